"""Ingestion through HTTP: atomic and partial batches, idempotency, ordering, scoping."""

from datetime import date, timedelta

from sqlalchemy import func, select

from app.models import Event, Participant
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)


def post(client, world, who, events, partial=False):
    url = "/api/v1/events" + ("?partial=true" if partial else "")
    return client.post(url, json=events, headers=world.keys[who])


def stored(db):
    return (db.scalar(select(func.count()).select_from(Event)),
            db.scalar(select(func.count()).select_from(Participant)))


def test_a_whole_history_in_one_batch_is_accepted_in_any_order(client, world, db):
    events = journey(world.contract_a, "P-1", world.s1, D)
    response = post(client, world, "s1", list(reversed(events)))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 5, "duplicates": 0, "rejected": []}
    participant = db.scalar(select(Participant).where(Participant.participant_ref == "P-1"))
    assert participant.provider_id == world.s1
    assert participant.attachment_date == D + timedelta(days=3)
    assert participant.outcome_date == D + timedelta(days=10 + 91)


def test_atomic_batch_with_one_bad_event_stores_nothing(client, world, db):
    assert post(client, world, "s1", journey(world.contract_a, "P-0", world.s1,
                                               D)).status_code == 200
    before = stored(db)
    good = journey(world.contract_a, "P-2", world.s1, D)
    bad = ev(world.contract_a, "P-2", "sustainment", D + timedelta(days=120), number=3)
    response = post(client, world, "s1", [*good, bad])
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == 0 and body["duplicates"] == 0
    assert body["rejected"] == [{"index": 5, "event_id": bad["event_id"], "errors": [
        "number: sustainment 3 needs sustainment 2 first"]}]
    db.expire_all()
    assert stored(db) == before


def test_partial_batch_stores_the_valid_events_and_reports_the_rest(client, world, db):
    good = journey(world.contract_a, "P-3", world.s1, D)
    bad = ev(world.contract_a, "P-3", "exit", D + timedelta(days=1), reason="retired")
    response = post(client, world, "s1", [bad, *good], partial=True)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 5
    assert body["rejected"][0]["index"] == 0
    assert body["rejected"][0]["errors"][0].startswith("reason: Input should be")
    assert stored(db) == (5, 1)


def test_resending_a_batch_counts_duplicates_and_changes_nothing(client, world, db):
    events = journey(world.contract_a, "P-4", world.s1, D)
    assert post(client, world, "s1", events).json()["accepted"] == 5
    response = post(client, world, "s1", events)
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    assert stored(db) == (5, 1)


def test_a_reused_event_id_with_different_content_is_rejected(client, world, db):
    events = journey(world.contract_a, "P-5", world.s1, D)
    post(client, world, "s1", events)
    changed = {**events[1], "event_date": (D + timedelta(days=4)).isoformat()}
    response = post(client, world, "s1", [changed])
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"] == ["event_id: reused with different content"]


def test_the_same_event_twice_in_one_batch_is_one_event_and_one_duplicate(client, world, db):
    events = journey(world.contract_a, "P-6", world.s1, D)[:2]
    response = post(client, world, "s1", [*events, events[1]])
    assert response.json() == {"accepted": 2, "duplicates": 1, "rejected": []}


def test_event_ids_are_per_organisation(client, world, db):
    """Two organisations may use the same event_id for their own participants."""
    a = ev(world.contract_a, "P-7", "referral", D, payment_group="jsa_25_plus",
           provider_id=world.s1, event_id="ref-1")
    b = ev(world.contract_a, "P-8", "referral", D, payment_group="jsa_25_plus",
           provider_id=world.s2, event_id="ref-1")
    assert post(client, world, "s1", [a]).json()["accepted"] == 1
    assert post(client, world, "s2", [b]).json()["accepted"] == 1


def test_history_can_continue_across_batches(client, world, db):
    events = journey(world.contract_a, "P-9", world.s1, D)
    assert post(client, world, "s1", events[:3]).json()["accepted"] == 3
    assert post(client, world, "s1", events[3:]).json()["accepted"] == 2
    outcome = D + timedelta(days=101)
    s1 = ev(world.contract_a, "P-9", "sustainment", outcome + timedelta(days=28), number=1)
    assert post(client, world, "s1", [s1]).json()["accepted"] == 1


def test_a_provider_cannot_report_another_providers_participant(client, world, db):
    post(client, world, "s1", journey(world.contract_a, "P-10", world.s1, D)[:2])
    intruder = ev(world.contract_a, "P-10", "job_start", D + timedelta(days=20))
    response = post(client, world, "s2", [intruder])
    assert response.status_code == 422
    # The same answer as for a participant that does not exist: nothing is revealed.
    assert response.json()["rejected"][0]["errors"] == [
        f"participant_ref: no referral for this participant in contract {world.contract_a} "
        "(send the referral first, or in the same batch)"]


def test_the_prime_may_report_its_subcontractors_participants(client, world, db):
    post(client, world, "s1", journey(world.contract_a, "P-11", world.s1, D)[:2])
    start = ev(world.contract_a, "P-11", "job_start", D + timedelta(days=20))
    assert post(client, world, "manager_a", [start]).json()["accepted"] == 1


def test_another_primes_contract_is_not_found(client, world, db):
    events = journey(world.contract_a, "P-12", world.s1, D)[:1]
    response = post(client, world, "manager_b", events)
    assert response.json()["rejected"][0]["errors"] == [
        f"contract_id: contract {world.contract_a} not found"]


def test_events_are_read_back_only_within_scope(client, world, db):
    post(client, world, "s1", journey(world.contract_a, "P-13", world.s1, D))
    post(client, world, "s2", journey(world.contract_a, "P-14", world.s2, D))
    own = client.get("/api/v1/events", headers=world.keys["s1"]).json()["rows"]
    assert {row["participant_ref"] for row in own} == {"P-13"}
    prime = client.get("/api/v1/events?type=referral", headers=world.keys["manager_a"]).json()
    assert {row["participant_ref"] for row in prime["rows"]} == {"P-13", "P-14"}
    other = client.get("/api/v1/events", headers=world.keys["manager_b"]).json()
    assert other == {"rows": [], "next_cursor": None}
    page = client.get("/api/v1/events?limit=2", headers=world.keys["s1"]).json()
    rest = client.get(f"/api/v1/events?limit=10&cursor={page['next_cursor']}",
                      headers=world.keys["s1"]).json()
    assert len(page["rows"]) == 2 and len(rest["rows"]) == 3 and rest["next_cursor"] is None


def test_malformed_bodies_get_422_naming_the_problem(client, world):
    headers = {**world.keys["s1"], "Content-Type": "application/json"}
    response = client.post("/api/v1/events", content=b"[{", headers=headers)
    assert response.status_code == 422 and response.json()["detail"].startswith("body: not valid")
    response = client.post("/api/v1/events", json={"event_id": "x"}, headers=headers)
    assert response.json() == {"detail": "body: must be a JSON array of events"}
    response = client.post("/api/v1/events", json=[42], headers=headers)
    assert response.json()["rejected"] == [{"index": 0, "event_id": None,
                                            "errors": ["event: must be a JSON object"]}]


def test_a_batch_above_the_limit_is_refused_whole(client, world, monkeypatch):
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "max_batch_events", 3)
    events = journey(world.contract_a, "P-15", world.s1, D)
    response = post(client, world, "s1", events)
    assert response.status_code == 422
    assert response.json() == {"detail": "body: at most 3 events per batch; this one has 5"}


def test_reviewers_may_not_submit_events(client, world, db):
    from tests.world import api_key

    headers = api_key(db, world.reviewer_org, "reviewer")
    response = client.post("/api/v1/events", json=[], headers=headers)
    assert response.status_code == 403
