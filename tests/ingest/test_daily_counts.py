"""The daily paid event counts that payments earned add up always equal a GROUP BY over the
stored events: after duplicates, rejected atomic batches and partial ones."""

from datetime import date, timedelta

from sqlalchemy import func, select

from app.models import Event, PaidEventCount
from app.performance.payments import PAID_EVENT_TYPES
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)


def stored(db, model, key):
    db.rollback()  # a fresh snapshot
    columns = [getattr(model, name) for name in key]
    return {tuple(row[:-1]): row[-1] for row in db.execute(select(*columns, model.events))}


def grouped(db, key, *where):
    columns = [getattr(Event, name) for name in key]
    return {tuple(row[:-1]): row[-1] for row in db.execute(
        select(*columns, func.count()).where(*where).group_by(*columns))}


PAID_KEY = ("contract_id", "event_date", "provider_id", "payment_group", "type")


def test_daily_counts_follow_the_stored_events(client, world, db):
    third, private = world.keys["s1"], world.keys["s2"]
    # Two participants referred the same day by one provider share rows.
    first = journey(world.contract_a, "C-1", world.s1, D)
    second = journey(world.contract_a, "C-2", world.s1, D)
    assert client.post("/api/v1/events", json=first + second,
                       headers=third).json()["accepted"] == 10
    assert client.post("/api/v1/events", json=first, headers=third).json()["duplicates"] == 5
    rejected = [*journey(world.contract_a, "C-3", world.s2, D),
                ev(world.contract_a, "C-3", "exit", D - timedelta(days=1), reason="retired")]
    assert client.post("/api/v1/events", json=rejected, headers=private).status_code == 422
    partial = client.post("/api/v1/events?partial=true", json=rejected, headers=private).json()
    assert partial["accepted"] == 5 and len(partial["rejected"]) == 1

    assert db.scalar(select(func.count()).select_from(Event)) == 15
    paid = stored(db, PaidEventCount, PAID_KEY)
    assert paid == grouped(db, PAID_KEY, Event.type.in_(PAID_EVENT_TYPES))
    # Each journey pays an attachment and a job outcome; C-1 and C-2 share their days.
    assert sorted(paid.values()) == [1, 1, 2, 2] and {key[4] for key in paid} == {
        "attachment", "job_outcome"}
