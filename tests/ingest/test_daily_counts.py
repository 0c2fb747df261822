"""event_daily_counts, which data timeliness and payments earned add up, always equals a
GROUP BY over the stored events: after duplicates, rejected atomic batches and partial ones."""

from datetime import date, timedelta

from sqlalchemy import case, func, select

from app.models import Event, EventDailyCount
from app.models.participants import LAG_DAYS_CAP
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)


def summary(db):
    db.rollback()  # a fresh snapshot
    return {tuple(row[:-1]): row[-1] for row in db.execute(select(
        EventDailyCount.contract_id, EventDailyCount.event_date, EventDailyCount.provider_id,
        EventDailyCount.payment_group, EventDailyCount.type, EventDailyCount.lag_days,
        EventDailyCount.events))}


def events_grouped(db):
    lag = case((Event.lag_days > LAG_DAYS_CAP, LAG_DAYS_CAP), else_=Event.lag_days)
    return {tuple(row[:-1]): row[-1] for row in db.execute(
        select(Event.contract_id, Event.event_date, Event.provider_id, Event.payment_group,
               Event.type, lag, func.count())
        .group_by(Event.contract_id, Event.event_date, Event.provider_id, Event.payment_group,
                  Event.type, lag))}


def test_daily_counts_follow_the_stored_events(client, world, db):
    third, private = world.headers["third"], world.headers["private"]
    # Two participants referred the same day by one provider share rows; the lag is today -
    # event date, so these old events all sit beyond the cap.
    first = journey(world.contract_id, "C-1", world.third_id, D)
    second = journey(world.contract_id, "C-2", world.third_id, D)
    assert client.post("/api/v1/events", json=first + second,
                       headers=third).json()["accepted"] == 10
    assert client.post("/api/v1/events", json=first, headers=third).json()["duplicates"] == 5
    rejected = [*journey(world.contract_id, "C-3", world.private_id, D),
                ev(world.contract_id, "C-3", "exit", D - timedelta(days=1), reason="retired")]
    assert client.post("/api/v1/events", json=rejected, headers=private).status_code == 422
    partial = client.post("/api/v1/events?partial=true", json=rejected, headers=private).json()
    assert partial["accepted"] == 5 and len(partial["rejected"]) == 1

    counts = summary(db)
    assert counts == events_grouped(db)
    referrals = {key: n for key, n in counts.items() if key[4] == "referral"}
    assert referrals == {(world.contract_id, D, world.third_id, "jsa_ex_ib", "referral",
                          LAG_DAYS_CAP): 2,
                         (world.contract_id, D, world.private_id, "jsa_ex_ib", "referral",
                          LAG_DAYS_CAP): 1}
    assert sum(counts.values()) == 15
