"""Refusals that reveal nothing (issue 13, finding 7): a provider that sends events for a
participant another organisation holds gets exactly the answer it would get for a reference
nobody holds, except where the unknown reference's events would really be stored (docs/
decisions.md, "Another organisation's participant"); idempotent re-sends still count as
duplicates, and another organisation's event_ids are not revealed either."""

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.timeutil import today
from app.models import Event, Participant
from tests.ingest.events import ev

D = date(2024, 3, 1)  # S1's participant is referred on this day
ATTACHED = D + timedelta(days=3)
STARTED = D + timedelta(days=10)
OUTCOME = STARTED + timedelta(days=91)  # 13 weeks for jsa_ex_ib
HELD, GHOST = "HELD-1", "GHOST-1"  # held by S1; held by nobody


def s1_history(w: Any) -> list[dict[str, Any]]:
    """S1's participant HELD, up to a first sustainment, each event valid in its turn (the
    same event ids at every call)."""
    events = [
        ev(w.contract_a, HELD, "referral", D, payment_group="jsa_ex_ib", provider_id=w.s1),
        ev(w.contract_a, HELD, "attachment", ATTACHED),
        ev(w.contract_a, HELD, "job_start", STARTED, hours_per_week=30),
        ev(w.contract_a, HELD, "in_work_check", STARTED + timedelta(days=28), milestone="D28",
           result="in_work"),
        ev(w.contract_a, HELD, "job_outcome", OUTCOME),
        ev(w.contract_a, HELD, "sustainment", OUTCOME + timedelta(days=28), number=1),
    ]
    return [{**event, "event_id": f"s1-{event['type']}"} for event in events]


def post(client: Any, w: Any, who: str, events: list[dict[str, Any]],
         partial: bool = False) -> Any:
    url = "/api/v1/events" + ("?partial=true" if partial else "")
    return client.post(url, json=events, headers=w.keys[who])


@pytest.fixture()
def held(client, world):
    response = post(client, world, "s1", s1_history(world))
    assert response.json() == {"accepted": 6, "duplicates": 0, "rejected": []}
    return world


def answer(response: Any) -> tuple[int, dict[str, Any]]:
    """The status and body without what the sender chose itself (event ids)."""
    body = response.json()
    return response.status_code, {
        **body, "rejected": [{k: v for k, v in entry.items() if k != "event_id"}
                             for entry in body["rejected"]]}


def twice(client, w, who, make, partial=False):
    """The answers to the same events for S1's participant and for a reference nobody holds;
    `make(ref, tag)` builds the events (`tag` keeps event ids apart)."""
    return (answer(post(client, w, who, make(HELD, "h"), partial)),
            answer(post(client, w, who, make(GHOST, "g"), partial)))


def stored(db):
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(Event)),
            db.scalar(select(func.count()).select_from(Participant)))


# -- every event type after the referral: "no referral", whoever holds it ------------------------
LATER = {
    "attachment": lambda c, ref: ev(c, ref, "attachment", ATTACHED + timedelta(days=1)),
    "job_start": lambda c, ref: ev(c, ref, "job_start", STARTED + timedelta(days=5)),
    "job_end": lambda c, ref: ev(c, ref, "job_end", STARTED + timedelta(days=40)),
    "in_work_check": lambda c, ref: ev(c, ref, "in_work_check", STARTED + timedelta(days=91),
                                       milestone="D91", result="in_work"),
    "job_outcome": lambda c, ref: ev(c, ref, "job_outcome", OUTCOME + timedelta(days=1)),
    "sustainment": lambda c, ref: ev(c, ref, "sustainment", OUTCOME + timedelta(days=56),
                                     number=2),
    "exit": lambda c, ref: ev(c, ref, "exit", OUTCOME + timedelta(days=60), reason="completed"),
}


@pytest.mark.parametrize("partial", [False, True], ids=["atomic", "partial"])
@pytest.mark.parametrize("type_", list(LATER))
def test_an_event_for_another_providers_participant_answers_as_for_nobodys(
        client, held, db, type_, partial):
    before = stored(db)
    on_held, on_ghost = twice(client, held, "s2",
                              lambda ref, _: [LATER[type_](held.contract_a, ref)], partial)
    assert on_held == on_ghost
    assert on_held[0] == (200 if partial else 422)
    assert on_held[1]["rejected"] == [{"index": 0, "errors": [
        f"participant_ref: no referral for this participant in contract {held.contract_a} "
        "(send the referral first, or in the same batch)"]}]
    assert stored(db) == before


# -- referrals: the clash shows only where nobody's reference would really be stored ------------
FLAWS = {
    "before the contract's start": lambda w, ref: ev(
        w.contract_a, ref, "referral", date(2023, 12, 31), payment_group="jsa_ex_ib",
        provider_id=w.s2),
    "dated in the future": lambda w, ref: ev(
        w.contract_a, ref, "referral", today() + timedelta(days=1), payment_group="jsa_ex_ib",
        provider_id=w.s2),
    "to another provider": lambda w, ref: ev(
        w.contract_a, ref, "referral", D, payment_group="jsa_ex_ib", provider_id=w.s1),
}


@pytest.mark.parametrize("partial", [False, True], ids=["atomic", "partial"])
@pytest.mark.parametrize("flaw", list(FLAWS))
def test_a_flawed_referral_of_another_providers_reference_answers_as_for_nobodys(
        client, held, db, flaw, partial):
    """A referral refused anyway must not also say that the reference is taken: that was a
    probe that stored nothing either way."""
    before = stored(db)
    on_held, on_ghost = twice(client, held, "s2", lambda ref, _: [FLAWS[flaw](held, ref)],
                              partial)
    assert on_held == on_ghost
    assert len(on_held[1]["rejected"][0]["errors"]) == 1
    assert stored(db) == before


def own_journey(w: Any, ref: str, tag: str) -> list[dict[str, Any]]:
    """S2's referral of `ref` with its attachment and job start, valid if `ref` were free."""
    return [
        ev(w.contract_a, ref, "referral", D, payment_group="jsa_25_plus", provider_id=w.s2,
           event_id=f"{tag}-ref"),
        ev(w.contract_a, ref, "attachment", ATTACHED, event_id=f"{tag}-att"),
        ev(w.contract_a, ref, "job_start", STARTED, event_id=f"{tag}-start"),
    ]


@pytest.mark.parametrize("flawed", ["unrelated event", "dependent event"])
def test_an_atomic_batch_refused_for_another_reason_does_not_reveal_the_clash(
        client, held, db, flawed):
    """Nothing would be stored for a free reference either, so the answers are the same: the
    clashing referral and its attachment are judged as if the reference were free."""
    before = stored(db)

    def batch(ref: str, tag: str) -> list[dict[str, Any]]:
        events = own_journey(held, ref, tag)
        if flawed == "dependent event":
            events.append(ev(held.contract_a, ref, "sustainment", STARTED + timedelta(days=1),
                             number=1, event_id=f"{tag}-bad"))
        else:
            events.append(ev(held.contract_a, f"OTHER-{tag}", "attachment", D,
                             event_id=f"{tag}-bad"))
        return events

    on_held, on_ghost = twice(client, held, "s2", batch)
    assert on_held == on_ghost
    assert on_held[0] == 422 and [e["index"] for e in on_held[1]["rejected"]] == [3]
    assert stored(db) == before


def test_a_referral_that_would_be_stored_is_refused_with_one_neutral_clash(client, held, db):
    """The decision pinned: references are unique in a contract, so where a free reference
    would be stored the clash must be told; it says no more than that (no provider, no date),
    and the reference's holder and its history are untouched. The prime, who sees every
    participant of its contract, is told when."""
    before = stored(db)
    response = post(client, held, "s2", own_journey(held, HELD, "h"))
    assert response.status_code == 422
    assert response.json()["rejected"] == [{"index": 0, "event_id": "h-ref", "errors": [
        f"participant_ref: not available for a new referral in contract {held.contract_a}; "
        "references are unique in a contract, so use another (the prime can resolve a clash)"]}]
    partial = post(client, held, "s2", own_journey(held, HELD, "h"), partial=True)
    assert partial.json()["accepted"] == 0
    assert partial.json()["rejected"][0]["errors"] == response.json()["rejected"][0]["errors"]
    assert stored(db) == before
    assert db.scalar(select(Participant.provider_id).where(
        Participant.participant_ref == HELD)) == held.s1
    prime = post(client, held, "manager_a", [ev(
        held.contract_a, HELD, "referral", D, payment_group="jsa_ex_ib", provider_id=held.s2)])
    assert prime.json()["rejected"][0]["errors"] == [
        f"participant_ref: already referred in contract {held.contract_a} (on {D})"]
    free = post(client, held, "s2", own_journey(held, GHOST, "g"))
    assert free.json() == {"accepted": 3, "duplicates": 0, "rejected": []}


# -- idempotency ---------------------------------------------------------------------------------
def test_resending_accepted_batches_still_answers_duplicates(client, held, db):
    own = own_journey(held, GHOST, "g")
    assert post(client, held, "s2", own).json()["accepted"] == 3
    before = stored(db)
    assert post(client, held, "s1", s1_history(held)).json() == {
        "accepted": 0, "duplicates": 6, "rejected": []}
    assert post(client, held, "s2", own).json() == {
        "accepted": 0, "duplicates": 3, "rejected": []}
    assert post(client, held, "s2", own, partial=True).json() == {
        "accepted": 0, "duplicates": 3, "rejected": []}
    assert stored(db) == before


def test_another_organisations_event_ids_are_not_revealed(client, held, db):
    """S1's event ids, even with S1's own content, are nothing to S2: the answers are those of
    fresh ids, never "duplicate" nor "reused with different content"."""
    history = s1_history(held)
    attachment = history[1]
    as_s1 = post(client, held, "s2", [attachment])
    fresh = post(client, held, "s2", [{**attachment, "event_id": "never-used"}])
    assert answer(as_s1) == answer(fresh)
    reused = [{**event, "participant_ref": GHOST, "provider_id": held.s2}
              if event["type"] == "referral" else {**event, "participant_ref": GHOST}
              for event in own_journey(held, GHOST, "x")]
    for mine, theirs in zip(reused, history, strict=False):
        mine["event_id"] = theirs["event_id"]
    assert post(client, held, "s2", reused).json() == {
        "accepted": 3, "duplicates": 0, "rejected": []}
