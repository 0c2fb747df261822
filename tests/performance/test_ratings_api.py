"""POST/GET /contracts/{id}/ratings: a quarter's league table published, frozen, corrected
only by a publication naming the one it supersedes; each reader sees it as the live league
table would show it (DOMAIN.md section 11)."""

from datetime import UTC, date

import pytest
from sqlalchemy import select

from app.models import RatingPublication
from app.performance.ratings import rated_window
from tests.ingest.events import ev, journey

API = "/api/v1"


def load(client, world) -> None:
    """Referrals in 2024Q1 (the referrals 2025Q1 rates at the default 12-month horizon):
    S1 three with outcomes, S2 three, one with an outcome; and one in 2024Q2 (2025Q2's)."""
    c = world.contract_a
    third = [e for i in range(3)
             for e in journey(c, f"T{i}", world.s1, date(2024, 1, 10 + i))]
    private = [e for i in range(3) for e in (
        journey(c, f"V{i}", world.s2, date(2024, 2, 5 + i)) if i == 0 else
        [ev(c, f"V{i}", "referral", date(2024, 2, 5 + i), payment_group="jsa_ex_ib",
            provider_id=world.s2)])]
    later = journey(c, "T9", world.s1, date(2024, 4, 2))
    for who, events in (("s1", third + later), ("s2", private)):
        response = client.post(f"{API}/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def publish(client, world, who="manager_a", expect=201, **body):
    response = client.post(f"{API}/contracts/{world.contract_a}/ratings",
                           json={"quarter": "2025Q1", **body}, headers=world.keys[who])
    assert response.status_code == expect, response.text
    return response.json()


def ratings(client, world, who="manager_a", **params):
    response = client.get(f"{API}/contracts/{world.contract_a}/ratings", params=params,
                          headers=world.keys[who])
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_a_quarter_rates_the_referrals_whose_horizon_ended_in_it():
    assert rated_window("2025Q1", 12) == (date(2024, 1, 1), date(2024, 3, 31),
                                          date(2025, 3, 31))
    assert rated_window("2026Q3", 6) == (date(2026, 1, 1), date(2026, 3, 31),
                                         date(2026, 9, 30))
    assert rated_window("2026Q4", 24) == (date(2024, 10, 1), date(2024, 12, 31),
                                          date(2026, 12, 31))


def test_publishing_freezes_the_quarters_league_table(client, world):
    load(client, world)
    published = publish(client, world)
    assert (published["quarter"], published["from"], published["to"], published["as_of"],
            published["horizon_months"]) == ("2025Q1", "2024-01-01", "2024-03-31",
                                             "2025-03-31", 12)
    assert (published["supersedes"], published["superseded_by"]) == (None, None)
    rows = {r["provider_id"]: r for r in published["table"]["rows"]}
    assert (rows[world.s1]["eligible"], rows[world.s1]["outcomes"]) == (3, 3)
    assert (rows[world.s2]["eligible"], rows[world.s2]["outcomes"]) == (3, 1)
    # The same as the live league table for the same request.
    live = client.get(f"{API}/contracts/{world.contract_a}/league-table", params={
        "from": "2024-01-01", "to": "2024-03-31", "as_of": "2025-03-31",
        "horizon_months": 12}, headers=world.keys["manager_a"]).json()
    assert published["table"] == live
    # Later events change the live table, never the publication.
    more = journey(world.contract_a, "V9", world.s2, date(2024, 3, 1))
    assert client.post(f"{API}/events", json=more,
                       headers=world.keys["s2"]).status_code == 200
    [kept] = ratings(client, world)
    assert kept["table"] == published["table"]


def test_the_same_quarter_again_is_409_unless_it_names_what_it_corrects(client, world):
    load(client, world)
    first = publish(client, world)
    refused = publish(client, world, expect=409)
    assert first["id"] in refused["detail"] and "supersedes" in refused["detail"]
    # A correction names the current publication and says why.
    no_reason = publish(client, world, expect=422, supersedes=first["id"])
    assert "reason" in no_reason["detail"]
    corrected = publish(client, world, supersedes=first["id"],
                        reason="S2's February referrals were sent late")
    assert (corrected["supersedes"], corrected["correction_reason"]) == (
        first["id"], "S2's February referrals were sent late")
    # Correcting the corrected one again is refused: the chain has one current link.
    again = publish(client, world, expect=409, supersedes=first["id"], reason="again")
    assert corrected["id"] in again["detail"]
    history = ratings(client, world)
    assert [(r["id"], r["superseded_by"]) for r in history] == [
        (first["id"], corrected["id"]), (corrected["id"], None)]
    # Another quarter's publication cannot be named.
    publish(client, world, expect=422, quarter="2025Q2", supersedes=first["id"], reason="x")


def test_a_publication_is_never_changed_or_deleted(client, world, db):
    load(client, world)
    publish(client, world)
    db.rollback()
    publication = db.scalars(select(RatingPublication)).one()
    publication.quarter = "2025Q2"
    with pytest.raises(ValueError, match="never changed"):
        db.flush()
    db.rollback()
    publication = db.scalars(select(RatingPublication)).one()
    db.delete(publication)
    with pytest.raises(ValueError, match="never changed"):
        db.flush()
    db.rollback()


@pytest.mark.parametrize(("quarter", "words"), [
    ("2099Q1", "has not ended"), ("2023Q1", "nothing to rate"), ("2025Q5", "quarter")])
def test_a_quarter_that_cannot_be_rated_is_refused_naming_it(client, world, quarter, words):
    load(client, world)
    refused = publish(client, world, expect=422, quarter=quarter)
    assert words in str(refused["detail"])


def test_who_publishes_and_who_reads(client, world):
    load(client, world)
    for who in ("s1", "reviewer"):
        publish(client, world, who=who, expect=403)
    other = client.post(f"{API}/contracts/{world.contract_b}/ratings",
                        json={"quarter": "2025Q1"}, headers=world.keys["manager_a"])
    assert other.status_code == 404
    publish(client, world)
    # A subcontractor sees its own row named and the others anonymised, as in the league table.
    [seen] = ratings(client, world, who="s1")
    named = [r for r in seen["table"]["rows"] if r["provider_id"] is not None]
    assert [r["provider_id"] for r in named] == [world.s1]
    assert all(r["provider_name"].startswith("Provider ") for r in seen["table"]["rows"]
               if r["provider_id"] is None)
    # Its history: its own row in each publication; another's history is not found.
    [mine] = ratings(client, world, who="s1", provider_id=world.s1)
    assert [r["provider_id"] for r in mine["table"]["rows"]] == [world.s1]
    response = client.get(f"{API}/contracts/{world.contract_a}/ratings",
                          params={"provider_id": world.s2}, headers=world.keys["s1"])
    assert response.status_code == 404
    # The reviewer reads every row named.
    [reviewed] = ratings(client, world, who="reviewer")
    assert {world.s1, world.s2} <= {r["provider_id"] for r in reviewed["table"]["rows"]}


def test_the_worker_publishes_the_last_finished_quarter_once(client, world, engine, db):
    from datetime import datetime

    from app.worker.jobs import publish_ratings

    load(client, world)
    now = datetime(2025, 4, 15, 6, 0, tzinfo=UTC)  # in 2025Q2: 2025Q1 has ended
    summary = publish_ratings(engine, now)
    assert summary.startswith("2025Q1: published for 1 contract(s); not for ")
    assert "nothing to rate" in summary  # contract B had no referrals in 2024Q1
    [published] = ratings(client, world)
    assert (published["quarter"], published["supersedes"]) == ("2025Q1", None)
    assert publish_ratings(engine, now).startswith("2025Q1: published for 0 contract(s)")
    assert len(ratings(client, world)) == 1


def test_every_rated_member_and_the_prime_are_told_of_a_publication(client, world, db):
    """Whoever publishes (here the prime's API call), each member the rating names and the
    prime hear of it, with where to read their status and review pack; nobody else does."""
    from app.models import Notification

    def told() -> dict[int, list[str]]:
        db.rollback()  # what the requests committed
        found: dict[int, list[str]] = {}
        for n in db.scalars(select(Notification).where(Notification.kind == "rating")
                            .order_by(Notification.id)):
            found.setdefault(n.recipient_org_id, []).append(n.body)
        return found

    load(client, world)
    first = publish(client, world)
    named = {r["provider_id"] for r in first["table"]["rows"] if r["provider_id"]}
    notes = told()
    assert set(notes) == named | {world.prime_a}
    assert world.sb not in notes and world.prime_b not in notes
    assert all("2025Q1 rating is published" in bodies[0] and "review-pack" in bodies[0]
               for bodies in notes.values())
    publish(client, world, supersedes=first["id"], reason="a late batch of outcomes")
    assert all(len(bodies) == 2 and "a correction: a late batch of outcomes" in bodies[1]
               for bodies in told().values())
