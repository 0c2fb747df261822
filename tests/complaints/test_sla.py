"""The SLA clock on fixed dates: weekends, a contract's holidays, the London calendar, breaches
recorded and notified once, and escalation they allow."""

from collections import Counter
from datetime import UTC, date, datetime
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints import schemas, service
from app.complaints.sla import sla_clock
from app.core.errors import Conflict
from app.models import Complaint
from app.models.auth import Role
from tests.complaints.conftest import move, notifications
from tests.helpers import API
from tests.world import World

FRI = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
HOLIDAY = date(2026, 11, 25)  # a Wednesday


def _principal(world: World, who: str, role: Role, org_id: int) -> Principal:
    return Principal(role=role, organisation_id=org_id, user_id=world.user_ids[who])


def _raise_at(db: Session, world: World, when: datetime) -> str:
    s1 = _principal(world, "s1", "provider_user", world.s1)
    view = service.raise_complaint(db, s1, schemas.ComplaintCreate(
        contract_id=world.contract_a, principle="commitment", title="Invoice unpaid",
        description="Unpaid 60 days after invoice.", confidential=False), now=when)
    return view.id


def _sla(db: Session, world: World, complaint_id: str, now: datetime) -> dict[str, object]:
    s1 = _principal(world, "s1", "provider_user", world.s1)
    return service.get_complaint(db, s1, complaint_id, now=now).sla.model_dump()


def test_deadlines_skip_the_weekend(client, db, world):
    complaint_id = _raise_at(db, world, FRI)
    # Through HTTP the deadlines are the same whatever today is.
    sla = client.get(f"{API}/complaints/{complaint_id}", headers=world.headers["s1"]).json()["sla"]
    assert (sla["acknowledge_by"], sla["resolve_by"]) == ("2026-11-27", "2026-12-18")
    saturday = _sla(db, world, complaint_id, datetime(2026, 11, 21, 12, tzinfo=UTC))
    monday = _sla(db, world, complaint_id, datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert saturday["acknowledgement_working_days_left"] == 5
    assert monday["acknowledgement_working_days_left"] == 4
    assert monday["resolution_working_days_left"] == 19
    due_day = _sla(db, world, complaint_id, datetime(2026, 11, 27, 23, 0, tzinfo=UTC))
    assert (due_day["acknowledgement_working_days_left"],
            due_day["acknowledgement_breached"]) == (0, False)
    next_monday = _sla(db, world, complaint_id, datetime(2026, 11, 30, 9, tzinfo=UTC))
    assert (next_monday["acknowledgement_working_days_left"],
            next_monday["acknowledgement_breached"],
            next_monday["resolution_breached"]) == (-1, True, False)


def test_a_contract_holiday_moves_both_deadlines(client, db, world):
    response = client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                            json={"settings": {"holidays": [HOLIDAY.isoformat()]}})
    assert response.status_code == 200, response.text
    complaint_id = _raise_at(db, world, FRI)
    sla = _sla(db, world, complaint_id, datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert (sla["acknowledge_by"], sla["resolve_by"]) == (date(2026, 11, 30), date(2026, 12, 21))
    assert sla["acknowledgement_working_days_left"] == 4  # Tue, Thu, Fri, Mon


def test_the_contracts_sla_days_are_used(client, db, world):
    client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                 json={"settings": {"complaint_ack_working_days": 2,
                                    "complaint_resolve_working_days": 10}})
    complaint_id = _raise_at(db, world, FRI)
    sla = _sla(db, world, complaint_id, FRI)
    assert (sla["acknowledge_by"], sla["resolve_by"]) == (date(2026, 11, 24), date(2026, 12, 4))


def test_the_submission_date_is_the_date_in_london():
    # 23:30 UTC on Thursday 4 June 2026 is 00:30 on Friday in London (summer time).
    late_thursday = datetime(2026, 6, 4, 23, 30, tzinfo=UTC)
    from app.core.timeutil import local_date

    submitted_on = local_date(late_thursday)
    assert submitted_on == date(2026, 6, 5)
    clock = sla_clock(submitted_on=submitted_on, acknowledged_on=None, resolved_on=None,
                      left_procedure_on=None, today=submitted_on, ack_working_days=5,
                      resolve_working_days=20, holidays=())
    assert clock.acknowledge_by == date(2026, 6, 12)


def test_a_stopped_clock_keeps_its_verdict():
    clock = partial(sla_clock, submitted_on=date(2026, 11, 20), ack_working_days=5,
                    resolve_working_days=20, holidays=(), today=date(2027, 3, 1))
    on_time = clock(acknowledged_on=date(2026, 11, 27), resolved_on=date(2026, 12, 18),
                    left_procedure_on=None)
    assert not on_time.breached
    assert on_time.acknowledgement_working_days_left is None
    late_ack = clock(acknowledged_on=date(2026, 11, 30), resolved_on=None,
                     left_procedure_on=date(2026, 12, 1))
    assert (late_ack.acknowledgement_breached, late_ack.resolution_breached) == (True, False)
    withdrawn_early = clock(acknowledged_on=None, resolved_on=None,
                            left_procedure_on=date(2026, 11, 24))
    assert not withdrawn_early.breached


def test_a_breach_is_recorded_and_notified_once_and_lets_the_complainant_escalate(
        client, db, world):
    second = _raise_at(db, world, FRI)
    before_due = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert service.sweep_breaches(db, now=before_due) == []
    after_ack_due = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert service.sweep_breaches(db, now=after_ack_due) == [(second, "acknowledgement")]
    assert service.sweep_breaches(db, now=after_ack_due) == []
    breach_notes = [n for n in notifications(db, second) if n.kind.endswith("_breach")]
    assert Counter(n.recipient_org_id for n in breach_notes) == Counter([world.s1, world.prime_a])
    assert all("not acknowledged by 2026-11-27" in n.body for n in breach_notes)

    after_resolve_due = datetime(2026, 12, 21, 9, tzinfo=UTC)
    assert service.sweep_breaches(db, now=after_resolve_due) == [(second, "resolution")]
    assert service.sweep_breaches(db, now=after_resolve_due) == []
    kinds = sorted(n.kind for n in notifications(db, second) if n.kind.endswith("_breach"))
    assert kinds == ["complaint.acknowledgement_breach"] * 2 + ["complaint.resolution_breach"] * 2
    db.rollback()
    stored = db.scalars(select(Complaint).where(Complaint.public_id == second)).one()
    assert stored.acknowledgement_breach_at == after_ack_due
    assert stored.resolution_breach_at == after_resolve_due


def test_escalation_waits_for_the_breach(client, db, world):
    complaint_id = _raise_at(db, world, FRI)
    s1 = _principal(world, "s1", "provider_user", world.s1)
    escalate = schemas.TransitionCreate(to="escalated", note="no answer")
    before = datetime(2026, 11, 27, 16, tzinfo=UTC)
    view = service.get_complaint(db, s1, complaint_id, now=before)
    assert view.allowed_transitions == ["withdrawn"]
    with pytest.raises(Conflict) as refused:
        service.transition(db, s1, complaint_id, escalate, now=before)
    assert refused.value.extra == {"allowed": ["withdrawn"]}
    db.rollback()
    after = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert service.get_complaint(db, s1, complaint_id, now=after).allowed_transitions == [
        "escalated", "withdrawn"]
    view = service.transition(db, s1, complaint_id, escalate, now=after)
    assert (view.status, view.stage, view.escalated_at) == ("escalated", "merlin_triage", after)
    # Escalating recorded the breach it relied on, and told the reviewer.
    kinds = {(n.kind, n.recipient_org_id) for n in notifications(db, complaint_id)}
    assert ("complaint.acknowledgement_breach", world.prime_a) in kinds
    assert ("complaint.transition", world.reviewer_org) in kinds
    # The clock stopped when the complaint left the prime's procedure.
    later = service.get_complaint(db, s1, complaint_id, now=datetime(2027, 2, 1, tzinfo=UTC))
    assert later.sla.resolution_working_days_left is None
    assert later.sla.resolution_breached is False


def test_through_http_a_long_unanswered_complaint_may_be_escalated(client, db, world):
    # Long before today: both deadlines have passed.
    complaint_id = _raise_at(db, world, datetime(2025, 6, 6, 10, tzinfo=UTC))
    sla = client.get(f"{API}/complaints/{complaint_id}", headers=world.headers["s1"]).json()["sla"]
    assert sla["acknowledgement_breached"] and sla["resolution_breached"]
    assert sla["acknowledgement_working_days_left"] < 0
    assert move(client, world.headers["s1"], complaint_id, "escalated").status_code == 200


def test_bank_holidays_of_england_and_wales_are_not_working_days(client, db, world):
    # Tuesday 22 December 2026: Christmas Day is a Friday, Boxing Day a Saturday whose substitute
    # is Monday 28th, and New Year's Day a Friday. None of them is in the contract's own list.
    tuesday = datetime(2026, 12, 22, 11, 0, tzinfo=UTC)
    complaint_id = _raise_at(db, world, tuesday)
    sla = client.get(f"{API}/complaints/{complaint_id}", headers=world.headers["s1"]).json()["sla"]
    # Wed 23, Thu 24, Tue 29, Wed 30, Thu 31: 25, 26 (Sat) and 28 (its substitute) skipped.
    assert sla["acknowledge_by"] == "2026-12-31"
    # 20 working days: 5 in December, then three whole weeks from Monday 4 January.
    assert sla["resolve_by"] == "2027-01-22"


def test_a_contracts_own_holidays_add_to_the_bank_holidays(client, db, world):
    response = client.patch(f"{API}/contracts/{world.contract_a}", headers=world.headers["admin"],
                            json={"settings": {"holidays": ["2026-12-24"]}})
    assert response.status_code == 200, response.text
    complaint_id = _raise_at(db, world, datetime(2026, 12, 22, 11, 0, tzinfo=UTC))
    sla = _sla(db, world, complaint_id, datetime(2026, 12, 22, 12, tzinfo=UTC))
    # Wed 23, Tue 29, Wed 30, Thu 31, Mon 4 January (Fri 1 January is New Year's Day).
    assert sla["acknowledge_by"] == date(2027, 1, 4)
