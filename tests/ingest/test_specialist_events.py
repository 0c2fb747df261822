"""DOMAIN.md section 12 through HTTP: specialist referrals, their outcomes and progress
assessments, each rule with one refused example and its message (the field named, the event's
index or CSV line), the cases that must be accepted, idempotency, and the referral summary."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import SpecialistReferral
from tests.helpers import API, add_member, create_org
from tests.ingest.events import ev

D = date(2024, 3, 1)  # the participant's referral to S2
REFERRED = D + timedelta(days=7)  # S2 refers it to the specialist S1


def journey_to_s2(w, ref="R"):
    return [ev(w.contract_a, ref, "referral", D, payment_group="jsa_ex_ib", provider_id=w.s2),
            ev(w.contract_a, ref, "attachment", D + timedelta(days=2))]


def spec_referral(w, ref="R", day=REFERRED, **fields):
    return ev(w.contract_a, ref, "specialist_referral", day,
              **{"specialist_id": w.s1, "intervention": "mental_health", **fields})


def outcome(w, result, ref="R", day=REFERRED + timedelta(days=7), **fields):
    return ev(w.contract_a, ref, "specialist_outcome", day,
              **{"specialist_id": w.s1, "intervention": "mental_health", "result": result,
                 **fields})


def assessment(w, scores, ref="R", day=D + timedelta(days=3)):
    return ev(w.contract_a, ref, "assessment", day, scores=scores)


def post(client, w, who, events):
    return client.post(f"{API}/events", json=events, headers=w.keys[who])


def stored(client, w, who, events):
    response = post(client, w, who, events)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture()
def other_specialists(client, world):
    """A second active specialist, a suspended one, and their ids."""
    admin = world.headers["admin"]
    active = create_org(client, admin, "Debt Advice North", "subcontractor", "third")
    suspended = create_org(client, admin, "Quiet Housing Trust", "subcontractor", "third")
    for org in (active, suspended):
        add_member(client, admin, world.contract_a, org, tier=2, contracted_share="0.01")
    response = client.post(f"{API}/contracts/{world.contract_a}/members/{suspended}/status",
                           headers=admin, json={"status": "suspended", "reason": "test"})
    assert response.status_code == 200, response.text
    return {"active": active, "suspended": suspended}


# (case, what is stored first (by S2, then by S1), the event (from the world and the other
# specialists), who sends it, the expected message)
CASES = [
    ("specialist not a member", "journey",
     lambda w, o: spec_referral(w, specialist_id=w.prime_b), "s2",
     "specialist_id: {prime_b} is not a tier-2 (specialist) member of contract {contract}"),
    ("specialist a tier-1 member", "journey",
     lambda w, o: spec_referral(w, specialist_id=w.s3), "s2",
     "specialist_id: {s3} is not a tier-2 (specialist) member of contract {contract}"),
    ("specialist suspended", "journey",
     lambda w, o: spec_referral(w, specialist_id=o["suspended"]), "s2",
     "specialist_id: {suspended} cannot take specialist referrals in contract {contract}: its "
     "membership is suspended"),
    ("the participant's own provider", "journey_s1",
     lambda w, o: spec_referral(w, ref="OWN"), "s1",
     "specialist_id: the participant's own provider cannot be its specialist"),
    ("intervention not the contract's", "journey",
     lambda w, o: spec_referral(w, intervention="astrology"), "s2",
     "intervention: astrology is not one of contract {contract}'s interventions "
     "(mental_health, basic_skills, housing, debt, substance_misuse, disability_support)"),
    ("a second open referral", "referred",
     lambda w, o: spec_referral(w, day=REFERRED + timedelta(days=3)), "s2",
     "intervention: the participant's mental_health referral to specialist {s1} on 2024-03-08 "
     "is still open; its outcome comes before another referral"),
    ("fee below zero", "journey", lambda w, o: spec_referral(w, fee=-5), "s2",
     "fee: Input should be greater than or equal to 0"),
    ("specialist_id missing", "journey",
     lambda w, o: {k: v for k, v in spec_referral(w).items() if k != "specialist_id"}, "s2",
     "specialist_id: required for specialist_referral events"),
    ("outcome without a referral for that intervention", "referred",
     lambda w, o: outcome(w, "started", intervention="housing"), "s1",
     "intervention: no housing referral of this participant to specialist {s1}; an outcome "
     "follows a referral"),
    ("outcome of a closed referral", "completed",
     lambda w, o: outcome(w, "completed", day=REFERRED + timedelta(days=30)), "s1",
     "intervention: the mental_health referral to specialist {s1} on 2024-03-08 is closed "
     "(completed on 2024-03-22); an outcome follows an open referral"),
    ("outcome before its referral", "referred",
     lambda w, o: outcome(w, "started", day=REFERRED - timedelta(days=1)), "s1",
     "event_date: before the mental_health referral to specialist {s1} on 2024-03-08"),
    ("started twice", "started",
     lambda w, o: outcome(w, "started", day=REFERRED + timedelta(days=9)), "s1",
     "result: the mental_health referral is already started (on 2024-03-15)"),
    ("an outcome's result unknown", "referred", lambda w, o: outcome(w, "in_work"), "s1",
     "result: Input should be 'started', 'completed', 'declined' or 'did_not_attend'"),
    ("an outcome from the provider", "referred", lambda w, o: outcome(w, "started"), "s2",
     "type: only the specialist ({s1}) reports the outcomes of its referrals"),
    ("an outcome from the prime", "referred", lambda w, o: outcome(w, "started"), "manager_a",
     "type: only the specialist ({s1}) reports the outcomes of its referrals"),
    ("an outcome under another specialist's id", "referred",
     lambda w, o: outcome(w, "started", specialist_id=o["active"]), "s1",
     "specialist_id: a specialist reports outcomes under its own id ({s1})"),
    ("a specialist's outcome for a participant not referred to it", "journey",
     lambda w, o: outcome(w, "started"), "s1",
     "participant_ref: no referral for this participant in contract {contract} (send the "
     "referral first, or in the same batch)"),
    ("a specialist reporting the journey", "referred",
     lambda w, o: ev(w.contract_a, "R", "job_start", D + timedelta(days=20)), "s1",
     "type: a specialist reports only specialist_outcome events for the participants "
     "referred to it"),
    ("a specialist referring on", "referred",
     lambda w, o: spec_referral(w, specialist_id=o["active"], intervention="debt"), "s1",
     "type: a specialist reports only specialist_outcome events for the participants "
     "referred to it"),
    ("a specialist's assessment", "referred",
     lambda w, o: assessment(w, {"confidence": 5}, day=REFERRED), "s1",
     "type: a specialist reports only specialist_outcome events for the participants "
     "referred to it"),
    ("assessment area not the contract's", "journey",
     lambda w, o: assessment(w, {"confidence": 5, "happiness": 9}), "s2",
     "scores: happiness is not one of contract {contract}'s assessment areas (job_search, "
     "skills, confidence, health, stability, work_experience, aspiration)"),
    ("score above 10", "journey", lambda w, o: assessment(w, {"confidence": 11}), "s2",
     "scores.confidence: Input should be less than or equal to 10"),
    ("score below 1", "journey", lambda w, o: assessment(w, {"confidence": 0}), "s2",
     "scores.confidence: Input should be greater than or equal to 1"),
    ("score not a whole number", "journey", lambda w, o: assessment(w, {"health": "7"}), "s2",
     "scores.health: Input should be a valid integer"),
    ("scores empty", "journey", lambda w, o: assessment(w, {}), "s2",
     "scores: Dictionary should have at least 1 item after validation, not 0"),
    ("scores not an object", "journey", lambda w, o: assessment(w, [7, 8]), "s2",
     'scores: must be a JSON object of area: score 1..10, e.g. {{"confidence": 4}}'),
    ("scores missing", "journey",
     lambda w, o: ev(w.contract_a, "R", "assessment", D + timedelta(days=3)), "s2",
     "scores: required for assessment events"),
    ("scores on another type", "journey",
     lambda w, o: ev(w.contract_a, "R", "job_start", D + timedelta(days=9),
                     scores={"health": 3}), "s2",
     "scores: not a field of job_start events"),
    ("an assessment before the referral", "journey",
     lambda w, o: assessment(w, {"health": 3}, day=D - timedelta(days=1)), "s2",
     "event_date: before the participant's referral on 2024-03-01"),
]


def _history(w, step):
    """What is stored before the case: (events S2 sends, events S1 sends)."""
    if step == "journey_s1":
        return ([], [ev(w.contract_a, "OWN", "referral", D, payment_group="jsa_ex_ib",
                        provider_id=w.s1)])
    steps = {"journey": 0, "referred": 1, "started": 2, "completed": 3}[step]
    by_s2 = journey_to_s2(w) + ([spec_referral(w)] if steps >= 1 else [])
    by_s1 = ([outcome(w, "started")] if steps >= 2 else []) + (
        [outcome(w, "completed", day=REFERRED + timedelta(days=14))] if steps >= 3 else [])
    return by_s2, by_s1


@pytest.mark.parametrize(("stored_first", "make_event", "who", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_rule_refuses_with_its_reason(client, world, other_specialists, stored_first,
                                      make_event, who, expected):
    by_s2, by_s1 = _history(world, stored_first)
    for sender, events in (("s2", by_s2), ("s1", by_s1)):
        if events:
            stored(client, world, sender, events)
    event = make_event(world, other_specialists)
    # Second in its batch, after an event that is fine, so that the index is seen to count.
    fine = ev(world.contract_a, "FINE", "referral", D, payment_group="jsa_ex_ib",
              provider_id=world.s1)
    senders_fine = who in ("s1", "manager_a")
    response = post(client, world, who, [fine, event] if senders_fine else [event])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["accepted"] == 0 and body["detail"]
    rejected = body["rejected"]
    assert len(rejected) == 1, rejected
    assert rejected[0]["index"] == (1 if senders_fine else 0)
    assert rejected[0]["event_id"] == event["event_id"]
    assert expected.format(contract=world.contract_a, s1=world.s1, s3=world.s3,
                           prime_b=world.prime_b,
                           suspended=other_specialists["suspended"]) in rejected[0]["errors"]


def test_a_whole_specialist_journey_is_accepted_and_summarised(client, world, db):
    """S2 refers its participant to S1 for mental health (fee 350) and assesses it twice; S1
    starts and completes; S2 refers again once the first referral closed, in one batch with
    the outcome that closed it (specialist events apply by date)."""
    stored(client, world, "s2", [
        *journey_to_s2(world), spec_referral(world, fee="350"),
        assessment(world, {"confidence": 3, "health": 4}),
        assessment(world, {"health": 6, "confidence": 5}, day=D + timedelta(days=70))])
    stored(client, world, "s1", [outcome(world, "started"),
                                 outcome(world, "completed", day=REFERRED + timedelta(days=40))])
    again = spec_referral(world, day=REFERRED + timedelta(days=50), fee="120.5")
    declined = outcome(world, "declined", day=REFERRED + timedelta(days=52))
    stored(client, world, "s2", [again])
    stored(client, world, "s1", [declined])
    rows = db.scalars(select(SpecialistReferral).order_by(SpecialistReferral.referral_date)).all()
    assert [(r.provider_id, r.specialist_id, r.intervention, str(r.fee), r.referral_date,
             r.started_on, r.closed_on, r.closing_result) for r in rows] == [
        (world.s2, world.s1, "mental_health", "350.00", REFERRED, REFERRED + timedelta(days=7),
         REFERRED + timedelta(days=40), "completed"),
        (world.s2, world.s1, "mental_health", "120.50", REFERRED + timedelta(days=50), None,
         REFERRED + timedelta(days=52), "declined")]


def test_a_referral_and_its_outcomes_in_one_admin_batch(client, world, db):
    """An admin's backfill may carry both sides; a referral, its closing outcome and the next
    referral apply by date whatever their order in the batch."""
    second = spec_referral(world, day=REFERRED + timedelta(days=20))
    closing = outcome(world, "did_not_attend", day=REFERRED + timedelta(days=10))
    body = stored(client, world, "admin", [second, *journey_to_s2(world), closing,
                                           spec_referral(world)])
    assert body == {"accepted": 5, "duplicates": 0, "rejected": []}
    assert len(db.scalars(select(SpecialistReferral)).all()) == 2


def test_the_prime_may_refer_and_assess(client, world):
    stored(client, world, "s2", journey_to_s2(world))
    body = stored(client, world, "manager_a", [
        spec_referral(world, intervention="debt"), assessment(world, {"stability": 2})])
    assert body["accepted"] == 2


def test_section_12_events_are_idempotent(client, world):
    """The same events again are duplicates, whatever the order of the scores or the way the
    fee is written; an event_id reused with other content is refused."""
    referral = spec_referral(world, fee="350")
    scores = assessment(world, {"confidence": 3, "health": 4})
    stored(client, world, "s2", [*journey_to_s2(world), referral, scores])
    started = outcome(world, "started")
    stored(client, world, "s1", [started])
    again = [{**referral, "fee": 350}, {**scores, "scores": {"health": 4, "confidence": 3}}]
    assert stored(client, world, "s2", again) == {"accepted": 0, "duplicates": 2,
                                                  "rejected": []}
    assert stored(client, world, "s1", [started]) == {"accepted": 0, "duplicates": 1,
                                                      "rejected": []}
    changed = post(client, world, "s2", [{**scores, "scores": {"confidence": 4, "health": 4}}])
    assert changed.status_code == 422
    assert changed.json()["rejected"][0]["errors"] == ["event_id: reused with different content"]


def test_events_before_section_12_keep_their_digest():
    """content_hash leaves the new fields out when they are empty, so an event stored before
    them is still a duplicate of itself."""
    from app.ingest.schemas import EventIn
    from app.ingest.service import content_hash

    event = EventIn.model_validate(
        {"event_id": "e1", "contract_id": 1, "participant_ref": "P1", "type": "attachment",
         "event_date": "2024-03-04"})
    values = tuple(event.__dict__.values())[:13]  # section 3's fields, no characteristics
    import hashlib
    assert content_hash(event) == hashlib.sha256(repr(values).encode()).hexdigest()


CSV_HEADER = ("event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id,"
              "specialist_id,intervention,fee,result,scores")


def _csv(world, *lines):
    return "\n".join([CSV_HEADER, *lines]).format(c=world.contract_a, s1=world.s1,
                                                  s2=world.s2) + "\n"


def upload(client, world, text, who):
    return client.post(f"{API}/events/csv", headers=world.keys[who],
                       files={"file": ("events.csv", text.encode(), "text/csv")})


def test_csv_carries_specialist_events_and_scores_as_one_json_cell(client, world, db):
    text = _csv(world,
                "c1,{c},C-1,referral,2024-03-01,jsa_ex_ib,{s2},,,,,",
                "c2,{c},C-1,specialist_referral,2024-03-08,,,{s1},housing,95.00,,",
                'c3,{c},C-1,assessment,2024-03-02,,,,,,,"{{""housing"": 1, ""stability"": 2}}"')
    response = upload(client, world, text, "s2")
    assert response.status_code == 422  # housing is an intervention, not an assessment area
    assert response.json()["rejected"] == [{
        "index": 2, "line": 4, "event_id": "c3", "errors": [
            f"scores: housing is not one of contract {world.contract_a}'s assessment areas "
            "(job_search, skills, confidence, health, stability, work_experience, "
            "aspiration)"]}]
    text = text.replace('""housing"": 1', '""health"": 1')
    response = upload(client, world, text, "s2")
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    outcome_csv = _csv(world, "c4,{c},C-1,specialist_outcome,2024-03-09,,,{s1},housing,,"
                              "started,")
    assert upload(client, world, outcome_csv, "s1").json()["accepted"] == 1
    events = client.get(f"{API}/events", headers=world.keys["s2"],
                        params={"participant_ref": "C-1"}).json()["rows"]
    by_type = {e["type"]: e for e in events}
    assert by_type["assessment"]["scores"] == {"health": 1, "stability": 2}
    assert by_type["specialist_referral"]["fee"] in ("95.00", 95.0)
    assert by_type["specialist_outcome"]["result"] == "started"


def test_csv_scores_cell_that_is_not_json_names_the_field_and_line(client, world):
    text = _csv(world,
                "c1,{c},C-2,referral,2024-03-01,jsa_ex_ib,{s2},,,,,",
                "c2,{c},C-2,assessment,2024-03-02,,,,,,,confidence=4")
    response = upload(client, world, text, "s2")
    assert response.status_code == 422
    assert response.json()["rejected"] == [{
        "index": 1, "line": 3, "event_id": "c2",
        "errors": ['scores: must be a JSON object of area: score 1..10, e.g. '
                   '{"confidence": 4}']}]
