"""Loading a generated CPA through the real services: nothing rejected; loading is idempotent."""

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import (
    AuditEntry,
    Contract,
    Event,
    Membership,
    MembershipStatusChange,
    Participant,
    Payment,
    User,
)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's dozen users at the production argon2 cost would take most of the test time."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr("app.auth.service.hash_password", hasher.hash)


def _counts(db: Session) -> dict[str, int]:
    db.rollback()  # a fresh snapshot
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Contract, Membership, MembershipStatusChange, Participant, Event,
                          Payment, User, AuditEntry)}


def test_load_accepts_every_event_and_loading_again_changes_nothing(db: Session) -> None:
    cpa = generate_cpa(800, 5, today())
    events = list(cpa.events())

    summary = load_demo(get_sessionmaker(), cpa, progress=False)

    assert summary.rejected == []
    assert (summary.loaded, summary.participants, summary.accepted) == (True, 800, len(events))
    counts = _counts(db)
    assert counts["Event"] == len(events) and counts["Participant"] == 800
    assert counts["Payment"] == len(cpa.payments) and counts["User"] == len(cpa.users)
    statuses = sorted(db.scalars(select(Membership.status)))
    assert statuses.count("active") == len(cpa.members) - 2
    assert {"suspended", "on_improvement_plan"} <= set(statuses)
    # An admin's backfill: every event keeps when its provider reported it, under the prime.
    assert db.scalar(select(func.count()).where(Event.reported_at.is_(None))) == 0
    assert set(db.scalars(select(Event.submitted_by_org_id).distinct())) == {
        db.scalar(select(Contract.prime_id))}

    again = load_demo(get_sessionmaker(), cpa, progress=False)
    assert (again.loaded, again.contract_id, again.accepted) == (False, summary.contract_id, 0)
    assert _counts(db) == counts


def test_an_interrupted_load_resumes_without_duplicating(db: Session) -> None:
    cpa = generate_cpa(200, 9, today())
    load_demo(get_sessionmaker(), cpa, progress=False)
    db.execute(delete(Payment))  # as if the load had stopped before the payments
    db.commit()
    before = _counts(db)

    resumed = load_demo(get_sessionmaker(), cpa, progress=False)

    assert resumed.loaded and resumed.rejected == []
    assert (resumed.accepted, resumed.duplicates) == (0, len(list(cpa.events())))
    after = _counts(db)
    assert after["Payment"] == len(cpa.payments)
    for table in ("Contract", "Membership", "MembershipStatusChange", "Participant", "Event",
                  "User"):
        assert after[table] == before[table], table
