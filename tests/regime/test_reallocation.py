"""Reallocation (DOMAIN.md section 11): the preview with its projections and guard-rails, the
override on record, the reviewer's hold, release and block; and the protections as
properties: no cut reaches a member within 90 days of its open complaint without an override
reason, none takes effect before the hold ends or is lifted, and the prime sees the same for
a member with a confidential complaint as for one without."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.timeutil import today
from app.core.workdays import add_working_days, is_working_day, working_calendar
from app.models import Membership, Notification
from app.regime import reallocation
from app.regime.reallocation import MemberFacts, effective_on, guard_rails
from tests.complaints.conftest import raise_complaint
from tests.ingest.events import ev
from tests.performance.test_ratings_api import load, publish

API = "/api/v1"
CALENDAR = working_calendar([])


# -- the pure rules, as properties ----------------------------------------------------------
def facts(draw_share, index: int, current: Decimal, proposed: Decimal, complaint: date | None,
          significant: bool | None) -> MemberFacts:
    return MemberFacts(
        provider_id=index, name=f"Member {index}", tier=1, current=current, proposed=proposed,
        performance_index=None if significant is None else (0.4 if significant else 0.8),
        significance_limit=None if significant is None else 0.5, minimum=0.85,
        shrunk_pi=None, open_complaint_on=complaint)


SHARES = st.decimals(min_value=0, max_value=Decimal("0.3"), places=2)
MEMBER = st.tuples(SHARES, SHARES, st.one_of(st.none(), st.integers(0, 200)),
                   st.one_of(st.none(), st.booleans()))


@settings(max_examples=300, deadline=None)
@given(st.lists(MEMBER, min_size=1, max_size=6), st.dates(date(2026, 1, 1), date(2027, 12, 31)))
def test_no_cut_passes_within_90_days_of_an_open_complaint_and_every_cut_is_held(members, on):
    built = [facts(None, i, current, proposed,
                   None if ago is None else on - timedelta(days=ago), significant)
             for i, (current, proposed, ago, significant) in enumerate(members, 1)]
    rails = guard_rails(built, on, 90)
    for m in built:
        recent = m.open_complaint_on is not None and (on - m.open_complaint_on).days <= 90
        mine = [r for r in rails if r.provider_id == m.provider_id]
        if not m.cut:
            assert mine == []  # only cuts are judged
            continue
        complaint = next(r for r in mine if r.rule == "recent_complaint")
        assert complaint.passed is not recent
        shortfall = next(r for r in mine if r.rule == "significant_shortfall")
        assert shortfall.passed is (m.performance_index is not None
                                    and m.performance_index < (m.significance_limit or 0))
    cut = any(m.cut for m in built)
    held_until = effective_on(built, on, 10, CALENDAR)
    assert held_until == (add_working_days(on, 10, CALENDAR) if cut else on)
    if cut:  # ten working days: a working day, at least 12 calendar days on
        assert is_working_day(held_until, CALENDAR)
        assert held_until >= on + timedelta(days=12)


# -- through HTTP -----------------------------------------------------------------------------
def share_of(db, world, provider):
    db.rollback()
    return db.scalar(select(Membership.contracted_share).where(
        Membership.contract_id == world.contract_a, Membership.provider_id == provider))


def post(client, world, path, body, who="manager_a", expect=200):
    response = client.post(f"{API}{path}", json=body, headers=world.keys[who])
    assert response.status_code == expect, response.text
    return response.json()


def cut_s2(**extra):
    return {"shares": {}, "reason": "Q1 review", **extra}


def recent_referrals(client, world, n: int = 10) -> None:
    """n referrals in the last year: the volume a projection scales."""
    events = [ev(world.contract_a, f"R{i}", "referral", today() - timedelta(days=30 + i),
                 payment_group="jsa_ex_ib", provider_id=world.s1) for i in range(n)]
    response = client.post(f"{API}/events", json=events, headers=world.keys["s1"])
    assert response.status_code == 200, response.text


def test_preview_blocked_by_a_guard_rail_then_applied_with_an_override_the_reviewer_reads(
        client, world, db):
    load(client, world)
    publish(client, world)
    recent_referrals(client, world)
    body = {"shares": {str(world.s2): "0.3", str(world.s1): "0.2"}, "reason": "Q1 review"}
    shown = post(client, world, f"/contracts/{world.contract_a}/reallocations/preview", body)
    rows = {r["provider_id"]: r for r in shown["rows"]}
    assert (rows[world.s2]["current_share"], rows[world.s2]["proposed_share"]) == (
        "0.4000", "0.3")
    # A year at last year's volume (10 referrals): the share of it, at the member's fair rate.
    assert (rows[world.s2]["current"]["referrals"], rows[world.s2]["proposed"]["referrals"]) \
        == (4.0, 3.0)
    assert rows[world.s2]["proposed"]["outcomes"] < rows[world.s2]["current"]["outcomes"]
    rails = {(r["rule"], r["provider_id"]): r for r in shown["guard_rails"]}
    # S2's index is below its minimum by no more than chance: no cut on chance.
    assert rails[("significant_shortfall", world.s2)]["passed"] is False
    assert rails[("recent_complaint", world.s2)]["passed"] is True
    assert rails[("tier1_shares_sum", None)]["passed"] is True
    assert ("significant_shortfall", world.s1) not in rails  # a rise is not judged
    hold_end = add_working_days(today(), 10, CALENDAR)
    assert shown["effective_on"] == str(hold_end)
    # Applying without an override reason is refused, naming the failing guard-rail.
    refused = post(client, world, f"/contracts/{world.contract_a}/reallocations", body,
                   expect=409)
    assert [r["rule"] for r in refused["guard_rails"]] == ["significant_shortfall"]
    assert share_of(db, world, world.s2) == Decimal("0.4")
    applied = post(client, world, f"/contracts/{world.contract_a}/reallocations",
                   {**body, "override_reason": "S2 asked to hand over Bradford cases"},
                   expect=201)
    assert (applied["state"], applied["effective_on"]) == ("held", str(hold_end))
    assert share_of(db, world, world.s2) == Decimal("0.4")  # held: nothing changed yet
    # The reviewer is told, sees the override, and releases it.
    db.rollback()
    told = db.scalars(select(Notification.subject).where(
        Notification.recipient_org_id == world.reviewer_org)).all()
    assert told == ["A cut in contracted shares is held for your review"]
    held = client.get(f"{API}/reallocations", params={"state": "held"},
                      headers=world.keys["reviewer"]).json()["rows"]
    assert [(r["id"], r["override_reason"]) for r in held] == [
        (applied["id"], "S2 asked to hand over Bradford cases")]
    assert post(client, world, f"/reallocations/{applied['id']}/release",
                {"note": "S2 agreed in writing"}, who="manager_a", expect=403)
    released = post(client, world, f"/reallocations/{applied['id']}/release",
                    {"note": "S2 agreed in writing"}, who="reviewer")
    assert released["state"] == "effective"
    assert (share_of(db, world, world.s2), share_of(db, world, world.s1)) == (
        Decimal("0.3"), Decimal("0.2"))


def test_a_blocked_cut_never_takes_effect_and_a_rise_alone_is_not_held(client, world, db):
    load(client, world)
    publish(client, world)
    body = {"shares": {str(world.s2): "0.35"}, "reason": "Q1", "override_reason": "test"}
    applied = post(client, world, f"/contracts/{world.contract_a}/reallocations", body,
                   expect=201)
    post(client, world, f"/reallocations/{applied['id']}/block",
         {"note": "A complaint of S2's is under review"}, who="reviewer")
    db.rollback()
    assert reallocation.release_due(db, today() + timedelta(days=60)) == []
    assert share_of(db, world, world.s2) == Decimal("0.4")
    seen = client.get(f"{API}/reallocations/{applied['id']}", headers=world.keys["manager_a"])
    assert (seen.json()["state"], seen.json()["reviewer_note"]) == (
        "blocked", "A complaint of S2's is under review")
    # A held cut takes effect when its hold ends, not a day before.
    again = post(client, world, f"/contracts/{world.contract_a}/reallocations", body,
                 expect=201)
    ends = date.fromisoformat(again["effective_on"])
    db.rollback()
    assert reallocation.release_due(db, ends - timedelta(days=1)) == []
    assert share_of(db, world, world.s2) == Decimal("0.4")
    assert reallocation.release_due(db, ends) == [again["id"]]
    assert share_of(db, world, world.s2) == Decimal("0.35")
    # A rise alone takes effect at once.
    rise = post(client, world, f"/contracts/{world.contract_a}/reallocations",
                {"shares": {str(world.s1): "0.15"}, "reason": "growth"}, expect=201)
    assert (rise["state"], rise["effective_on"]) == ("effective", str(today()))
    assert share_of(db, world, world.s1) == Decimal("0.15")


def test_what_the_prime_sees_is_the_same_with_a_confidential_complaint(client, world, db):
    load(client, world)
    publish(client, world)
    body = {"shares": {str(world.s2): "0.3"}, "reason": "Q1 review"}
    path = f"/contracts/{world.contract_a}/reallocations/preview"
    without = post(client, world, path, body)
    raise_complaint(client, world.headers["s2"], world.contract_a, confidential=True)
    assert post(client, world, path, body) == without
    refused_before = post(client, world, f"/contracts/{world.contract_a}/reallocations", body,
                          expect=409)
    # An open complaint the prime may know of does count.
    raise_complaint(client, world.headers["s2"], world.contract_a, confidential=False)
    rails = {(r["rule"], r["provider_id"]): r
             for r in post(client, world, path, body)["guard_rails"]}
    assert rails[("recent_complaint", world.s2)]["passed"] is False
    assert [r["rule"] for r in refused_before["guard_rails"]] == ["significant_shortfall"]


def test_refused_shares(client, world):
    load(client, world)
    path = f"/contracts/{world.contract_a}/reallocations/preview"
    unknown = post(client, world, path, {"shares": {"999": "0.1"}, "reason": "x"}, expect=422)
    assert "shares.999" in unknown["detail"]
    # S2 (tier 1) at 0.9 beside S3's 0.2 (tier 1): 1.1 in all. S1 is tier 2.
    over = post(client, world, path, {"shares": {str(world.s2): "0.9"}, "reason": "x"})
    assert {(r["rule"], r["passed"]) for r in over["guard_rails"]} == {
        ("tier1_shares_sum", False)}
    post(client, world, path, {"shares": {str(world.s2): "1.5"}, "reason": "x"}, expect=422)
    post(client, world, path, {"shares": {str(world.s2): "0.3"}, "reason": "x"}, who="s1",
         expect=403)
