"""Ingestion keeps each participant's scheduled checks in step with its events."""

from datetime import date, timedelta

from sqlalchemy import select

from app.models import Milestone
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)
START = D + timedelta(days=10)


def checks(db):
    db.rollback()  # a fresh snapshot: SQLite keeps the old one for an open transaction
    return {(m.milestone, m.due_date): (m.checked_on, m.cancelled_on)
            for m in db.scalars(select(Milestone))}


def test_checks_are_scheduled_recorded_and_cancelled_as_events_arrive(client, world, db):
    headers = world.keys["s1"]
    history = journey(world.contract_a, "M-1", world.s1, D)[:4]  # up to the D28 check
    assert client.post("/api/v1/events", json=history, headers=headers).status_code == 200
    d28, d91 = START + timedelta(days=28), START + timedelta(days=91)
    assert checks(db) == {("D28", d28): (d28, None), ("D91", d91): (None, None)}

    end = START + timedelta(days=60)
    client.post("/api/v1/events", json=[ev(world.contract_a, "M-1", "job_end", end)],
                headers=headers)
    assert checks(db) == {("D28", d28): (d28, None), ("D91", d91): (None, end)}


def test_a_job_outcome_schedules_its_sustainment_checks(client, world, db):
    events = journey(world.contract_a, "M-2", world.s1, D)
    assert client.post("/api/v1/events", json=events,
                       headers=world.keys["s1"]).json()["accepted"] == 5
    outcome = START + timedelta(days=91)
    s_dues = sorted(due for (code, due) in checks(db) if code.startswith("S"))
    assert len(s_dues) == 20  # jsa_ex_ib: 20 sustainments
    assert s_dues[0] == outcome + timedelta(days=28) and s_dues[-1] == outcome + timedelta(
        days=28 * 20)


def test_a_rejected_atomic_batch_schedules_nothing(client, world, db):
    events = journey(world.contract_a, "M-3", world.s1, D)
    bad = ev(world.contract_a, "M-3", "exit", D, reason="retired")
    client.post("/api/v1/events", json=[*events, bad], headers=world.keys["s1"])
    assert checks(db) == {}
