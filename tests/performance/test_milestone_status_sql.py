"""A check's status three ways agree: the pure rule (milestones.check_status), the SQL CASE
the lists show (queries.status_case) and the index-friendly filter (queries.status_condition)."""

from datetime import date, timedelta
from itertools import product

from sqlalchemy import select

from app.models import Milestone, Participant
from app.performance.milestones import check_status, check_timing
from app.performance.queries import status_case, status_condition
from tests.ingest.events import journey

AS_OF = date(2024, 9, 2)
STATUSES = ("on_time", "late", "early", "overdue", "pending", "cancelled")


def test_pure_case_and_filter_agree_on_every_combination(client, world, db):
    events = journey(world.contract_a, "S-1", world.s1, date(2024, 3, 1))[:1]
    assert client.post("/api/v1/events", json=events,
                       headers=world.keys["s1"]).status_code == 200
    participant_id = db.scalar(select(Participant.id))
    offsets = (-30, -8, -7, -1, 0, 1, 8)  # days from as_of
    for due_offset, checked_offset, cancelled_offset in product(
            offsets, (None, -20, -8, -7, 0, 1, 9), (None, -1, 0, 1)):
        due = AS_OF + timedelta(days=due_offset)
        checked = due + timedelta(days=checked_offset) if checked_offset is not None else None
        db.add(Milestone(
            participant_id=participant_id, contract_id=world.contract_a,
            provider_id=world.s1, milestone="D28", basis_date=due, due_date=due,
            checked_on=checked, check_timing=check_timing(due, checked) if checked else None,
            cancelled_on=(AS_OF + timedelta(days=cancelled_offset)
                          if cancelled_offset is not None else None)))
    db.commit()

    rows = db.execute(select(Milestone.id, Milestone.due_date, Milestone.checked_on,
                             Milestone.cancelled_on, status_case(AS_OF))).all()
    expected = {row.id: check_status(row.due_date, row.checked_on, row.cancelled_on, AS_OF)
                for row in rows}
    assert {row.id: row[-1] for row in rows} == expected
    for status in STATUSES:
        found = set(db.scalars(select(Milestone.id).where(status_condition(status, AS_OF))))
        assert found == {i for i, s in expected.items() if s == status}, status
    assert set(expected.values()) == set(STATUSES)  # every status was exercised
