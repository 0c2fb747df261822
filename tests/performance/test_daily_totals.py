"""The per-day provider totals (provider_daily_totals) give the league table exactly what
DOMAIN.md defines from the individual checks and events: for any period and as_of, after
batches that rewrite a participant's checks, duplicates and rejected batches, and after the
contract's timeliness_days or tariff changes."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Contract, Event, Milestone, ProviderDailyTotal
from app.models.participants import SECTION_12_EVENT_TYPES
from app.performance import daily_totals, payments
from app.performance.milestones import check_compliance, check_status
from app.performance.service import league_table
from app.supply_chain import schemas as setup
from app.supply_chain.service import contract_settings, update_contract
from tests.ingest.events import ev
from tests.world import ADMIN

D = date(2025, 1, 6)


def reference(db: Session, contract_id: int, period_from: date, period_to: date,
              as_of: date) -> dict[int, tuple[float | None, float | None, Decimal]]:
    """Per provider, straight from the definitions: check compliance over each scheduled
    check's status on as_of (the pure rule), data timeliness and fees over each event of the
    journey (DOMAIN.md section 3: section 12's specialist events and assessments are not the
    provider's timeliness, docs/decisions.md)."""
    contract = db.get_one(Contract, contract_id)
    limit = contract_settings(contract).timeliness_days
    tariff = payments.load_tariff(db, contract_id)
    checks: dict[int, list[tuple[date, str]]] = {}
    for m in db.scalars(select(Milestone).where(Milestone.contract_id == contract_id,
                                                Milestone.due_date >= period_from,
                                                Milestone.due_date <= period_to)):
        checks.setdefault(m.provider_id, []).append(
            (m.due_date, check_status(m.due_date, m.checked_on, m.cancelled_on, as_of)))
    events: dict[int, list[Event]] = {}
    for e in db.scalars(select(Event).where(Event.contract_id == contract_id,
                                            Event.event_date >= period_from,
                                            Event.event_date <= min(period_to, as_of),
                                            Event.type.not_in(SECTION_12_EVENT_TYPES))):
        events.setdefault(e.provider_id, []).append(e)
    found = {}
    for provider in checks.keys() | events.keys():
        mine = events.get(provider, [])
        found[provider] = (
            check_compliance(checks.get(provider, []), as_of),
            sum(e.lag_days <= limit for e in mine) / len(mine) if mine else None,
            sum((tariff.fee(e.payment_group, e.type, e.event_date) for e in mine
                 if e.type in payments.PAID_EVENT_TYPES), Decimal("0.00")))
    return found


def from_league_table(db: Session, contract_id: int, period_from: date, period_to: date,
                      as_of: date
                      ) -> dict[int | None, tuple[float | None, float | None, Decimal | None]]:
    """Per provider (None on an anonymised row), the league table's three measures."""
    db.expire_all()
    table = league_table(db, ADMIN, contract_id, period_from=period_from, period_to=period_to,
                         as_of=as_of)
    return {row.provider_id: (row.check_compliance, row.data_timeliness, row.payments_earned)
            for row in table.rows}


Provider = TypeVar("Provider")  # a provider id (None: an anonymised row)


def measured(found: dict[Provider, tuple[Any, ...]]) -> dict[Provider, tuple[Any, ...]]:
    """The providers with something to show (the league table lists every provider)."""
    return {p: values for p, values in found.items() if values != (None, None, Decimal(0))}


def same(db: Session, contract_id: int, period_from: date, period_to: date,
         as_of: date) -> dict[int | None, tuple[Any, ...]]:
    """The league table's measures, asserted equal to the definitions'."""
    found = measured(from_league_table(db, contract_id, period_from, period_to, as_of))
    assert found == measured(reference(db, contract_id, period_from, period_to, as_of))
    return found


def stored_totals(db: Session, contract_id: int) -> set[tuple[Any, ...]]:
    db.expire_all()
    return {tuple(row) for row in db.execute(select(ProviderDailyTotal.__table__).where(
        ProviderDailyTotal.contract_id == contract_id)) if any(row[3:])}


def assert_totals_equal_a_rebuild(db: Session, contract_id: int) -> None:
    kept = stored_totals(db, contract_id)
    daily_totals.rebuild(db, db.get_one(Contract, contract_id))
    db.flush()
    assert stored_totals(db, contract_id) == kept
    db.rollback()


def test_totals_follow_checks_rewritten_by_later_batches(client, world, db):
    c, third, private = world.contract_a, world.keys["s1"], world.keys["s2"]
    group = {"payment_group": "jsa_ex_ib"}
    start = D + timedelta(days=10)
    batches = [
        (third, [ev(c, "R-1", "referral", D, provider_id=world.s1, **group),
                 ev(c, "R-1", "attachment", D + timedelta(days=2)),
                 ev(c, "R-1", "job_start", start),
                 ev(c, "R-2", "referral", D, provider_id=world.s1, **group),
                 ev(c, "R-2", "attachment", D + timedelta(days=1)),
                 ev(c, "R-2", "job_start", start)]),
        # D28 on time for R-1, late for R-2: the checks of both are rewritten.
        (third, [ev(c, "R-1", "in_work_check", start + timedelta(days=30), milestone="D28",
                    result="in_work"),
                 ev(c, "R-2", "in_work_check", start + timedelta(days=40), milestone="D28",
                    result="in_work")]),
        # R-2's job ends before D91 falls due: D91 is cancelled and counts no more.
        (third, [ev(c, "R-2", "job_end", start + timedelta(days=60))]),
        # R-1 reaches the outcome: sustainment checks are scheduled after it.
        (third, [ev(c, "R-1", "in_work_check", start + timedelta(days=91), milestone="D91",
                    result="in_work"),
                 ev(c, "R-1", "job_outcome", start + timedelta(days=91)),
                 ev(c, "R-1", "in_work_check", start + timedelta(days=119), milestone="S1",
                    result="in_work")]),
        (private, [ev(c, "P-1", "referral", D, provider_id=world.s2, **group),
                   ev(c, "P-1", "attachment", D + timedelta(days=5)),
                   ev(c, "P-1", "job_start", D + timedelta(days=6))]),
    ]
    for headers, events in batches:
        answer = client.post("/api/v1/events", json=events, headers=headers)
        assert answer.status_code == 200 and answer.json()["accepted"] == len(events), answer.text
    # A duplicate, a rejected atomic batch and a partial one change nothing they should not.
    assert client.post("/api/v1/events", json=batches[2][1],
                       headers=third).json()["duplicates"] == 1
    bad = [ev(c, "P-1", "job_end", D + timedelta(days=40)),
           ev(c, "P-1", "exit", D - timedelta(days=1), reason="other")]
    assert client.post("/api/v1/events", json=bad, headers=private).status_code == 422
    assert client.post("/api/v1/events?partial=true", json=bad,
                       headers=private).json()["accepted"] == 1

    assert_totals_equal_a_rebuild(db, c)
    for as_of in (D + timedelta(days=45), D + timedelta(days=120), D + timedelta(days=400)):
        for period_from, period_to in ((D, as_of),
                                       (D + timedelta(days=30), D + timedelta(days=100))):
            same(db, c, period_from, period_to, as_of)
    # R-1's D28 on time, R-2's late, P-1's cancelled by its job end, R-1's D91 on time.
    expected = reference(db, c, D, D + timedelta(days=400), D + timedelta(days=400))
    s1_compliance = expected[world.s1][0]
    assert s1_compliance is not None and 0 < s1_compliance < 1


@pytest.fixture()
def demo_contract(db: Session) -> int:
    summary = load_demo(get_sessionmaker(), generate_cpa(400, 11, today()), progress=False)
    assert summary.rejected == []
    return summary.contract_id


@pytest.mark.parametrize("months_back", [0, 5, 14])
def test_league_table_measures_equal_the_definitions_on_demo_data(db, demo_contract,
                                                                   months_back):
    as_of = today() - timedelta(days=30 * months_back)
    contract = db.get_one(Contract, demo_contract)
    for period_from in (contract.start_date, contract.start_date + timedelta(days=200)):
        found = same(db, demo_contract, period_from, as_of, as_of)
        assert any(values[0] is not None for values in found.values())


def test_changing_timeliness_days_or_the_tariff_rebuilds_the_totals(db, demo_contract):
    as_of = today()
    start = db.get_one(Contract, demo_contract).start_date
    before = same(db, demo_contract, start, as_of, as_of)

    update_contract(db, ADMIN, demo_contract, setup.ContractUpdate.model_validate(
        {"settings": {"timeliness_days": 60}}))
    after = same(db, demo_contract, start, as_of, as_of)
    assert any(after[p][1] != before[p][1] for p in after)  # more events count as timely

    group = db.get_one(Contract, demo_contract).tariff_rows[0]
    raise_from = as_of - timedelta(days=200)
    update_contract(db, ADMIN, demo_contract, setup.ContractUpdate.model_validate({"tariff": [{
        "payment_group": group.payment_group, "valid_from": raise_from.isoformat(),
        "attachment_fee": str(group.attachment_fee + 100), "outcome_fee": str(group.outcome_fee),
        "sustainment_fee": str(group.sustainment_fee),
        "max_sustainments": group.max_sustainments, "outcome_weeks": group.outcome_weeks}]}))
    raised = same(db, demo_contract, start, as_of, as_of)
    assert sum(v[2] for v in raised.values()) > sum(v[2] for v in after.values())
    assert_totals_equal_a_rebuild(db, demo_contract)


def test_a_new_schedule_moves_the_check_totals_with_the_checks(db, demo_contract):
    as_of = today()
    start = db.get_one(Contract, demo_contract).start_date
    before = same(db, demo_contract, start, as_of, as_of)

    # D28 and D91 become D35 and D84: every check moves, no rebuild runs.
    update_contract(db, ADMIN, demo_contract, setup.ContractUpdate.model_validate(
        {"milestone_schedule": {"spell_checks": [{"milestone": "D35", "days": 35},
                                                 {"milestone": "D84", "days": 84}]}}))
    after = same(db, demo_contract, start, as_of, as_of)
    assert any(after[p][0] != before[p][0] for p in after)  # on-time checks are late now
    assert_totals_equal_a_rebuild(db, demo_contract)
