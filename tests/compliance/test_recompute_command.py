"""`chainboard recompute-flags`, the scheduled run, and the staleness that ingestion marks."""

import threading
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.compliance.service import recompute_flags
from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.models import Complaint, ComplianceContractState, ComplianceFlag
from tests.helpers import API
from tests.ingest.events import ev


def test_command_recomputes_what_no_request_triggered(client, db, world):
    submitted = datetime.combine(today() - timedelta(days=30), time(12), UTC)
    db.add(Complaint(contract_id=world.contract_a, complainant_org_id=world.s1,
                     principle="conduct", title="Late answers", description="No reply.",
                     submitted_at=submitted, updated_at=submitted))
    db.commit()
    assert db.scalar(select(ComplianceFlag.id).where(ComplianceFlag.rule == "CON-1")) is None

    result = CliRunner().invoke(cli, ["recompute-flags", "--contract-id",
                                      str(world.contract_a)])
    assert result.exit_code == 0, result.output
    assert f"contract {world.contract_a}: 1 raised" in result.output
    db.rollback()
    flag = db.scalar(select(ComplianceFlag).where(ComplianceFlag.rule == "CON-1"))
    assert flag is not None and flag.subject_org_id == world.s1
    assert flag.evidence["acknowledge_missed"] and flag.evidence["resolve_missed"]

    again = CliRunner().invoke(cli, ["recompute-flags"])
    assert again.exit_code == 0 and f"contract {world.contract_a}: 0 raised" in again.output
    unknown = CliRunner().invoke(cli, ["recompute-flags", "--contract-id", "999999"])
    assert unknown.exit_code == 2 and "contract 999999 not found" in unknown.output


def test_ingestion_marks_the_contract_stale_and_reading_recomputes_it(client, db, world):
    prime = world.keys["manager_a"]
    assert client.get(f"{API}/compliance/flags", headers=prime).status_code == 200

    def state() -> ComplianceContractState:
        db.rollback()
        return db.get_one(ComplianceContractState, world.contract_a,
                          populate_existing=True)

    assert state().stale_since is None and state().computed_at is not None
    batch = [ev(world.contract_a, f"R{i}", "referral", today(), payment_group="jsa_18_24",
                provider_id=world.s2) for i in range(5)]
    assert client.post(f"{API}/events", headers=prime, json=batch).status_code == 200
    marked = state()
    assert marked.stale_since is not None
    assert db.scalar(select(ComplianceFlag.id).where(ComplianceFlag.rule == "SCD-1")) is None

    rows = client.get(f"{API}/compliance/flags", headers=prime,
                      params={"rule": "SCD-1"}).json()["rows"]
    assert [r["subject_org_id"] for r in rows] == [world.s1]  # 0 of 5 for a 10% share
    assert state().stale_since is None


def test_concurrent_recomputations_raise_one_flag(db, world):
    """Four recomputations at once (as a nightly run, a reader and a payment could overlap):
    the stores take the contract's lock in turn, so the new condition is raised once."""
    submitted = datetime.combine(today() - timedelta(days=40), time(12), UTC)
    db.add(Complaint(contract_id=world.contract_a, complainant_org_id=world.s2,
                     principle="commitment", title="Unpaid", description="Invoice 7.",
                     submitted_at=submitted, updated_at=submitted))
    db.commit()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with get_sessionmaker()() as session:
                barrier.wait()
                recompute_flags(session, world.contract_a)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ComplianceFlag).where(
        ComplianceFlag.rule == "CON-1")) == 1
