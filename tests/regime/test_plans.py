"""Improvement plans (DOMAIN.md section 11) through HTTP, and through the service with a clock
the test sets: every state and every refused move, comments and contests, progress from the
data, notifications to the other side, and who may see a plan."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.principal import Principal
from app.core.errors import Conflict
from app.models import Notification
from app.regime import plans
from app.regime.schemas import TransitionIn
from tests.ingest.events import journey

API = "/api/v1"
TODAY = date.today()
REVIEW = TODAY + timedelta(days=60)


def plan_body(**changes):
    return {"targets": [{"metric": "check_compliance", "threshold": 0.9,
                         "by_date": str(REVIEW)}],
            "actions": ["Every day-28 call made by its due date"],
            "review_date": str(REVIEW), **changes}


def open_for_s2(client, world, expect=201, **changes):
    response = client.post(
        f"{API}/contracts/{world.contract_a}/members/{world.s2}/improvement-plans",
        json=plan_body(**changes), headers=world.keys["manager_a"])
    assert response.status_code == expect, response.text
    return response.json()


def move(client, world, plan_id, who, to, expect=200, **extra):
    response = client.post(f"{API}/improvement-plans/{plan_id}/transitions",
                           json={"to": to, **extra}, headers=world.keys[who])
    assert response.status_code == expect, response.text
    return response.json()


def as_(world, who, role, org) -> Principal:
    return Principal(role=role, organisation_id=org, user_id=world.user_ids[who])


def notified(db, org):
    db.rollback()
    return [n.subject for n in db.scalars(select(Notification).where(
        Notification.recipient_org_id == org, Notification.kind == "improvement_plan")
        .order_by(Notification.id))]


def test_a_plan_from_proposal_to_failure_with_every_guard_rail(client, world, db):
    plan = open_for_s2(client, world)
    assert (plan["state"], plan["remedy_days"], plan["agreed_on"]) == ("proposed", 90, None)
    assert notified(db, world.s2) == ["An improvement plan is proposed"]
    # The prime cannot agree for the member: 403, with what it may do now (nothing).
    refused = move(client, world, plan["id"], "manager_a", "agreed", expect=403)
    assert refused["allowed"] == []
    member_view = client.get(f"{API}/improvement-plans/{plan['id']}",
                             headers=world.keys["s2"]).json()
    assert member_view["allowed_transitions"] == ["agreed"]
    agreed = move(client, world, plan["id"], "s2", "agreed", note="We agree")
    assert (agreed["state"], agreed["agreed_on"]) == ("agreed", str(TODAY))
    assert agreed["remedy_ends"] == str(TODAY + timedelta(days=90))
    assert notified(db, world.prime_a) == ["Improvement plan: agreed"]
    # Not reviewed before its review date.
    early = move(client, world, plan["id"], "manager_a", "in_review", expect=409)
    assert str(REVIEW) in early["detail"]
    prime = as_(world, "manager_a", "prime_manager", world.prime_a)
    db.rollback()
    plans.transition(db, prime, plan["id"], TransitionIn(to="in_review"), on=REVIEW)
    # Not failed before the remedy period (agreed + 90 days) has run.
    with pytest.raises(Conflict, match="remedy period runs to") as caught:
        plans.transition(db, prime, plan["id"], TransitionIn(to="failed"),
                         on=TODAY + timedelta(days=89))
    assert sorted(caught.value.extra["allowed"]) == ["extended", "met"]
    db.rollback()
    failed = plans.transition(db, prime, plan["id"], TransitionIn(to="failed", note="missed"),
                              on=TODAY + timedelta(days=90))
    assert (failed.state, failed.decided_on) == ("failed", TODAY + timedelta(days=90))
    assert [(e.from_state, e.to_state, e.by) for e in failed.history] == [
        (None, "proposed", "prime"), ("proposed", "agreed", "member"),
        ("agreed", "in_review", "prime"), ("in_review", "failed", "prime")]
    # A decided plan moves no more.
    final = move(client, world, plan["id"], "manager_a", "in_review", expect=409)
    assert "cannot go from failed" in final["detail"]


def test_extended_then_met(client, world, db):
    plan = open_for_s2(client, world)
    move(client, world, plan["id"], "s2", "agreed")
    prime = as_(world, "manager_a", "prime_manager", world.prime_a)
    db.rollback()
    plans.transition(db, prime, plan["id"], TransitionIn(to="in_review"), on=REVIEW)
    with pytest.raises(Conflict, match="new review date"):
        plans.transition(db, prime, plan["id"], TransitionIn(to="extended"), on=REVIEW)
    db.rollback()
    later = REVIEW + timedelta(days=30)
    extended = plans.transition(db, prime, plan["id"],
                                TransitionIn(to="extended", review_date=later), on=REVIEW)
    assert (extended.state, extended.review_date) == ("extended", later)
    plans.transition(db, prime, plan["id"], TransitionIn(to="in_review"), on=later)
    met = plans.transition(db, prime, plan["id"], TransitionIn(to="met"), on=later)
    assert (met.state, met.decided_on) == ("met", later)
    # A new plan may be opened once the last one is decided.
    open_for_s2(client, world)


def test_refused_openings(client, world):
    past = open_for_s2(client, world, expect=422, review_date=str(TODAY))
    assert "review_date" in past["detail"]
    no_target = open_for_s2(client, world, expect=422, targets=[])
    assert "targets" in str(no_target["detail"])
    open_for_s2(client, world)
    again = open_for_s2(client, world, expect=409)
    assert "open plan already" in again["detail"]
    # Only the prime opens plans, and only in its own contracts.
    response = client.post(
        f"{API}/contracts/{world.contract_a}/members/{world.s1}/improvement-plans",
        json=plan_body(), headers=world.keys["s1"])
    assert response.status_code == 403
    response = client.post(
        f"{API}/contracts/{world.contract_b}/members/{world.sb}/improvement-plans",
        json=plan_body(), headers=world.keys["manager_a"])
    assert response.status_code == 404


def test_comments_contest_and_who_reads(client, world, db):
    plan = open_for_s2(client, world)
    path = f"{API}/improvement-plans/{plan['id']}"
    said = client.post(f"{path}/comments", json={"body": "The calls go to voicemail"},
                       headers=world.keys["s2"])
    assert said.status_code == 200
    assert client.post(f"{path}/contest", json={"body": "x"},
                       headers=world.keys["manager_a"]).status_code == 403
    contested = client.post(f"{path}/contest", json={"body": "Our referrals were cut first"},
                            headers=world.keys["s2"])
    assert contested.status_code == 200 and contested.json()["contested"] is True
    assert [e["kind"] for e in contested.json()["history"]] == [
        "transition", "comment", "contest"]
    assert notified(db, world.prime_a) == ["Improvement plan: a comment",
                                           "Improvement plan contested"]
    # The reviewer reads every plan and acts on none.
    reviewed = client.get(path, headers=world.keys["reviewer"])
    assert reviewed.status_code == 200 and reviewed.json()["contested"] is True
    assert reviewed.json()["allowed_transitions"] == []
    assert client.post(f"{path}/comments", json={"body": "noted"},
                       headers=world.keys["reviewer"]).status_code == 403
    # Another member, and another prime, do not know the plan exists.
    for who in ("s1", "manager_b"):
        assert client.get(path, headers=world.keys[who]).status_code == 404
    listed = client.get(f"{API}/contracts/{world.contract_a}/improvement-plans",
                        headers=world.keys["s1"]).json()
    assert listed["rows"] == []
    assert [p["id"] for p in client.get(
        f"{API}/contracts/{world.contract_a}/improvement-plans",
        headers=world.keys["s2"]).json()["rows"]] == [plan["id"]]


def test_progress_is_the_members_league_figure(client, world):
    events = journey(world.contract_a, "V1", world.s2, date(2024, 3, 1))
    assert client.post(f"{API}/events", json=events, headers=world.keys["s2"]).status_code == 200
    plan = open_for_s2(client, world, targets=[
        {"metric": "check_compliance", "threshold": 0.9, "by_date": str(REVIEW)},
        {"metric": "rate", "threshold": 0.5, "by_date": str(REVIEW)}])
    league = client.get(f"{API}/contracts/{world.contract_a}/league-table",
                        headers=world.keys["manager_a"]).json()
    row = next(r for r in league["rows"] if r["provider_id"] == world.s2)
    compliance, rate = plan["targets"]
    assert (compliance["value"], compliance["as_of"]) == (row["check_compliance"], str(TODAY))
    assert compliance["met"] == (row["check_compliance"] >= 0.9)
    assert rate["value"] == row["rate"]


def test_who_may_make_which_move():
    """The table of moves: the member agrees, the prime reviews and decides."""
    assert plans.MOVES[("proposed", "agreed")] == {"member", "admin"}
    for move_ in [("agreed", "in_review"), ("in_review", "met"), ("in_review", "failed"),
                  ("in_review", "extended"), ("extended", "in_review")]:
        assert plans.MOVES[move_] == {"prime", "admin"}
    assert not any(start in ("met", "failed") for start, _ in plans.MOVES)
