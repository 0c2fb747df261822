"""Every validation rule of DOMAIN.md section 3, each with one rejected example and its
message, through HTTP; and the boundary cases that must be accepted."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.core.timeutil import today
from tests.ingest.events import ev

D = date(2024, 3, 1)  # referral
ATTACHED = D + timedelta(days=3)
STARTED = D + timedelta(days=10)
OUTCOME = STARTED + timedelta(days=91)  # 13 weeks for jsa_ex_ib


def history(w, ref, upto):
    """A participant's stored history of jsa_ex_ib events, up to the named step."""
    steps = [
        ev(w.contract_a, ref, "referral", D, payment_group="jsa_ex_ib", provider_id=w.s1),
        ev(w.contract_a, ref, "attachment", ATTACHED),
        ev(w.contract_a, ref, "job_start", STARTED),
        ev(w.contract_a, ref, "job_outcome", OUTCOME),
        ev(w.contract_a, ref, "sustainment", OUTCOME + timedelta(days=28), number=1),
        ev(w.contract_a, ref, "exit", OUTCOME + timedelta(days=60), reason="completed"),
    ]
    names = ["referral", "attachment", "job_start", "job_outcome", "sustainment", "exit"]
    return steps[: names.index(upto) + 1] if upto else []


def referral(w, ref="R", **fields):
    return ev(w.contract_a, ref, "referral", fields.pop("day", D),
              **{"payment_group": "jsa_ex_ib", "provider_id": w.s1, **fields})


MakeEvent = Callable[[Any], dict[str, Any]]
# (case name, stored history up to, the event (built from the world), expected error[, who
# sends it: the third-sector member unless named])
Case = tuple[str, str | None, MakeEvent, str] | tuple[str, str | None, MakeEvent, str, str]
CASES: list[Case] = [
    ("empty event_id", None, lambda w: {**referral(w), "event_id": ""},
     "event_id: String should have at least 1 character"),
    ("long event_id", None, lambda w: {**referral(w), "event_id": "x" * 65},
     "event_id: String should have at most 64 characters"),
    ("formula event_id", None, lambda w: {**referral(w), "event_id": "=cmd|' /C calc'!A0"},
     "event_id: must not start with = + - @ or whitespace, nor hold control characters"),
    ("participant_ref characters", None, lambda w: referral(w, ref="J. Smith"),
     "participant_ref: only letters, digits, '-' and '_' (a pseudonymous reference)"),
    ("participant_ref NINO", None, lambda w: referral(w, ref="AB-12-34-56-C"),
     "participant_ref: looks like a National Insurance number; send a pseudonymous reference,"
     " never a NINO"),
    ("unknown type", None, lambda w: {**referral(w), "type": "interview"},
     "type: Input should be 'referral', 'attachment', 'job_start', 'job_end', 'in_work_check', "
     "'job_outcome', 'sustainment', 'exit', 'specialist_referral', 'specialist_outcome' or "
     "'assessment'"),
    ("date format", None, lambda w: {**referral(w), "event_date": "01/03/2024"},
     "event_date: must be an ISO date YYYY-MM-DD"),
    ("future date", None, lambda w: referral(w, day=today() + timedelta(days=1)),
     "event_date: after today ({today}); events cannot be dated in the future"),
    ("missing field of its type", None,
     lambda w: {k: v for k, v in referral(w).items() if k != "payment_group"},
     "payment_group: required for referral events"),
    ("field of another type", "referral",
     lambda w: ev(w.contract_a, "R", "attachment", ATTACHED, milestone="D28"),
     "milestone: not a field of attachment events"),
    ("unknown field", None, lambda w: {**referral(w), "name": "Jane Smith"},
     "name: unknown field"),
    ("unknown payment group", None, lambda w: referral(w, payment_group="jsa_60_plus"),
     "payment_group: Input should be 'jsa_18_24', 'jsa_25_plus', 'jsa_early_access', "
     "'jsa_ex_ib', 'esa_volunteers', 'esa_new', 'esa_ex_ib', 'ib_is' or 'jsa_prison_leavers'"),
    ("second referral", "referral", lambda w: referral(w, day=D + timedelta(days=5)),
     "participant_ref: already referred in contract {contract} (on 2024-03-01)"),
    ("referral to a suspended member", None,
     lambda w: referral(w, provider_id=w.s3),
     "provider_id: {suspended} cannot take referrals in contract {contract}: its membership is "
     "suspended", "manager_a"),
    ("referral to a non-member", None, lambda w: referral(w, provider_id=w.prime_b),
     "provider_id: {other_prime} cannot take referrals in contract {contract}: it is not a "
     "member", "manager_a"),
    ("referral to another provider", None, lambda w: referral(w, provider_id=w.s2),
     "provider_id: a provider may refer participants only to itself"),
    ("unknown contract", None, lambda w: {**referral(w), "contract_id": 999_999},
     "contract_id: contract 999999 not found"),
    ("event before the referral", "referral",
     lambda w: ev(w.contract_a, "R", "attachment", D - timedelta(days=1)),
     "event_date: before the participant's referral on 2024-03-01"),
    ("event without a referral", None, lambda w: ev(w.contract_a, "R", "attachment", D),
     "participant_ref: no referral for this participant in contract {contract} (send the "
     "referral first, or in the same batch)"),
    ("second attachment", "attachment",
     lambda w: ev(w.contract_a, "R", "attachment", ATTACHED + timedelta(days=1)),
     "type: the participant is already attached (on 2024-03-04)"),
    ("job start before attachment exists", "referral",
     lambda w: ev(w.contract_a, "R", "job_start", STARTED),
     "type: a job_start needs the participant's attachment first"),
    ("job start before the attachment date", "attachment",
     lambda w: ev(w.contract_a, "R", "job_start", ATTACHED - timedelta(days=1)),
     "event_date: before the participant's attachment on 2024-03-04"),
    ("job end without an open job", "attachment",
     lambda w: ev(w.contract_a, "R", "job_end", STARTED),
     "type: no open job spell started on or before this job_end"),
    ("check milestone not in the schedule", "job_start",
     lambda w: ev(w.contract_a, "R", "in_work_check", STARTED + timedelta(days=35),
                  milestone="D35", result="in_work"),
     "milestone: D35 is not in the contract's schedule for jsa_ex_ib (D28, D91, S1..)"),
    ("D182 for a 13-week group", "job_start",
     lambda w: ev(w.contract_a, "R", "in_work_check", STARTED + timedelta(days=182),
                  milestone="D182", result="in_work"),
     "milestone: D182 is not in the contract's schedule for jsa_ex_ib (D28, D91, S1..)"),
    ("check without a job", "attachment",
     lambda w: ev(w.contract_a, "R", "in_work_check", STARTED, milestone="D28",
                  result="no_contact"),
     "event_date: no job spell started on or before this check"),
    ("sustainment check before an outcome", "job_start",
     lambda w: ev(w.contract_a, "R", "in_work_check", STARTED + timedelta(days=40),
                  milestone="S1", result="in_work"),
     "milestone: S1 checks follow a job outcome; none is reported"),
    ("sustainment check beyond the group's maximum", "job_outcome",
     lambda w: ev(w.contract_a, "R", "in_work_check", OUTCOME + timedelta(days=28),
                  milestone="S21", result="in_work"),
     "milestone: S21 is not in the schedule for jsa_ex_ib (S1..S20)"),
    ("check result unknown", "job_start",
     lambda w: ev(w.contract_a, "R", "in_work_check", STARTED + timedelta(days=28),
                  milestone="D28", result="maybe"),
     "result: Input should be 'in_work', 'not_in_work' or 'no_contact'"),
    ("outcome too soon", "job_start",
     lambda w: ev(w.contract_a, "R", "job_outcome", OUTCOME - timedelta(days=1)),
     "event_date: 90 days in work by then; a job outcome for jsa_ex_ib needs 91 (13 weeks)"),
    ("second outcome", "job_outcome",
     lambda w: ev(w.contract_a, "R", "job_outcome", OUTCOME + timedelta(days=1)),
     "type: the participant already has a job outcome (on 2024-06-10)"),
    ("sustainment without an outcome", "job_start",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=28), number=1),
     "type: a sustainment needs the job outcome first"),
    ("sustainment too early", "job_outcome",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=27), number=1),
     "event_date: sustainment 1 is not due before 2024-07-08 (the outcome on 2024-06-10 + 28 x "
     "1 days)"),
    ("sustainment out of sequence", "job_outcome",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=56), number=2),
     "number: sustainment 2 needs sustainment 1 first"),
    ("sustainment repeated", "sustainment",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=30), number=1),
     "number: sustainment 1 is already reported"),
    ("sustainment above the maximum", "job_outcome",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=28 * 21),
                  number=21),
     "number: 21 is above the 20 sustainments of jsa_ex_ib"),
    ("second exit", "exit",
     lambda w: ev(w.contract_a, "R", "exit", OUTCOME + timedelta(days=61), reason="other"),
     "type: the participant already exited (on 2024-08-09)"),
    ("exit reason unknown", "referral",
     lambda w: ev(w.contract_a, "R", "exit", D + timedelta(days=1), reason="retired"),
     "reason: Input should be 'completed', 'left_early', 'moved_area', 'deceased' or 'other'"),
    ("reported_at from a provider", None,
     lambda w: {**referral(w), "reported_at": "2024-03-02T09:00:00Z"},
     "reported_at: only an admin's backfill may carry reported_at"),
]


@pytest.mark.parametrize(("stored", "make_event", "expected", "who"),
                         [(*case[1:], "s1")[:4] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_rule_rejects_with_its_reason(client, world, stored, make_event, expected, who):
    if stored:
        setup = client.post("/api/v1/events", json=history(world, "R", stored),
                            headers=world.keys["s1"])
        assert setup.status_code == 200, setup.text
    event = make_event(world)
    response = client.post("/api/v1/events", json=[event], headers=world.keys[who])
    assert response.status_code == 422, response.text
    errors = response.json()["rejected"][0]["errors"]
    assert expected.format(today=today(), contract=world.contract_a, suspended=world.s3,
                           other_prime=world.prime_b) in errors


BOUNDARIES = [
    ("dated today", None, lambda w: referral(w, day=today())),
    ("outcome on the day the weeks are complete", "job_start",
     lambda w: ev(w.contract_a, "R", "job_outcome", OUTCOME)),
    ("sustainment exactly 28 days after the outcome", "job_outcome",
     lambda w: ev(w.contract_a, "R", "sustainment", OUTCOME + timedelta(days=28), number=1)),
    ("job end on its start day", "job_start", lambda w: ev(w.contract_a, "R", "job_end", STARTED)),
    ("referral to a member on an improvement plan is allowed", None,
     lambda w: referral(w, provider_id=w.s2)),
    ("an admin backfill with reported_at", None,
     lambda w: {**referral(w), "reported_at": "2024-03-02T09:00:00Z"}),
]


@pytest.mark.parametrize(("stored", "make_event"), [case[1:] for case in BOUNDARIES],
                         ids=[case[0] for case in BOUNDARIES])
def test_boundary_is_accepted(client, world, db, stored, make_event):
    if stored:
        setup = client.post("/api/v1/events", json=history(world, "R", stored),
                            headers=world.keys["s1"])
        assert setup.status_code == 200, setup.text
    event = make_event(world)
    who = "s1"
    if event.get("provider_id") == world.s2:
        from app.supply_chain import schemas, service
        from tests.world import ADMIN

        service.change_member_status(db, ADMIN, world.contract_a, world.s2,
                                     schemas.StatusChangeIn(status="on_improvement_plan",
                                                            reason="late checks"))
        who = "s2"
    if "reported_at" in event:
        who = "admin"
    response = client.post("/api/v1/events", json=[event], headers=world.keys[who])
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


def test_cumulative_time_adds_up_several_job_spells(client, world):
    """Two spells of 50 and 41 days make the 13 weeks a jsa_ex_ib outcome needs."""
    second = STARTED + timedelta(days=80)
    events = [
        *history(world, "R", "job_start"),
        ev(world.contract_a, "R", "job_end", STARTED + timedelta(days=50)),
        ev(world.contract_a, "R", "job_start", second),
        ev(world.contract_a, "R", "in_work_check", second + timedelta(days=28),
           milestone="D28", result="in_work"),
    ]
    early = ev(world.contract_a, "R", "job_outcome", second + timedelta(days=40))
    on_time = ev(world.contract_a, "R", "job_outcome", second + timedelta(days=41))
    headers = world.keys["s1"]
    response = client.post("/api/v1/events", json=[*events, early], headers=headers)
    assert response.json()["rejected"][0]["errors"] == [
        "event_date: 90 days in work by then; a job outcome for jsa_ex_ib needs 91 (13 weeks)"]
    response = client.post("/api/v1/events", json=[*events, on_time], headers=headers)
    assert response.json() == {"accepted": 7, "duplicates": 0, "rejected": []}
