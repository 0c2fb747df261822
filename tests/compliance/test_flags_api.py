"""Compliance flags through HTTP on a real database: each rule raised from data entered as
users enter it (events, payments, status changes; complaints inserted with the ORM until the
complaint API exists), its near miss not raised; recomputation never duplicates a flag and
keeps a person's status; scoping by role; confidential complainants; status changes; CSV."""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.compliance.service import recompute_flags
from app.core.timeutil import today
from app.models import Complaint, ComplianceFlag, Membership, MembershipStatusChange
from app.regime.schemas import PlanState
from tests.helpers import API, audit_entries, page_through, read_csv_export
from tests.ingest.events import ev, journey

FLAGS = f"{API}/compliance/flags"


@pytest.fixture()
def reviewer(world: Any) -> dict[str, str]:
    return world.keys["reviewer"]


def flags(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(FLAGS, headers=headers, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def live(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["cleared_at"] is None]


def post_events(client: TestClient, headers: dict[str, str], events: list[dict[str, Any]]) -> None:
    response = client.post(f"{API}/events", headers=headers, json=events)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events)


def referrals(contract_id: int, provider_id: int, day: date, n: int,
              tag: str) -> list[dict[str, Any]]:
    return [ev(contract_id, f"{tag}-{provider_id}-{day:%Y%m%d}-{i}", "referral", day,
               payment_group="jsa_25_plus", provider_id=provider_id) for i in range(n)]


def add_complaint(db: Session, contract_id: int, complainant: int, submitted: date, *,
                  acknowledged: date | None = None, confidential: bool = False) -> str:
    """The complaint's public id (as answers show it)."""
    def noon(day: date) -> datetime:
        return datetime.combine(day, time(12), UTC)

    complaint = Complaint(contract_id=contract_id, complainant_org_id=complainant,
                          principle="conduct", title="Referrals", description="Since March.",
                          confidential=confidential,
                          status="acknowledged" if acknowledged else "submitted",
                          submitted_at=noon(submitted), updated_at=noon(submitted),
                          acknowledged_at=noon(acknowledged) if acknowledged else None)
    db.add(complaint)
    db.commit()
    return complaint.public_id


# -- each rule -------------------------------------------------------------------------------------
def test_scd1_starved_member_cleared_when_fed_and_raised_anew_after_resolution(client, world):
    c, prime = world.contract_a, world.keys["manager_a"]
    day = today() - timedelta(days=5)
    post_events(client, prime, referrals(c, world.s2, day, 9, "a")
                + referrals(c, world.prime_a, day, 10, "a")
                + referrals(c, world.s1, today() - timedelta(days=95), 4, "old"))

    [flag] = flags(client, prime, rule="SCD-1")
    assert (flag["subject_org_id"], flag["severity"], flag["status"]) == (
        world.s1, "high", "open")
    assert flag["standard"] == "merlin-2012" and flag["principle"] == "supply_chain_design"
    evidence = flag["evidence"]
    assert (evidence["referrals_to_member"], evidence["referrals_in_contract"]) == (0, 19)
    assert evidence["contracted_share"] == 0.1 and evidence["window_days"] == 90
    assert flag["merlin_2018_principles"] == ["Design", "Performance Manage"]

    # One referral for the member: 1 of 20 is exactly half of its 10% share: no longer starved.
    post_events(client, prime, referrals(c, world.s1, day, 1, "b"))
    [after] = flags(client, prime, rule="SCD-1")
    assert after["id"] == flag["id"] and after["cleared_at"] is not None
    assert after["status"] == "open"

    # The prime resolves it; starved again later, the member gets a new flag.
    resolve = client.post(f"{FLAGS}/{flag['id']}/status", headers=prime,
                          json={"status": "resolved", "note": "Referral routing fixed"})
    assert resolve.status_code == 200, resolve.text
    post_events(client, prime, referrals(c, world.s2, day, 2, "c"))
    rows = flags(client, prime, rule="SCD-1")
    assert [(r["id"] == flag["id"], r["status"], r["cleared_at"] is None) for r in rows] == [
        (True, "resolved", False), (False, "open", True)]
    assert rows[1]["evidence"]["referrals_in_contract"] == 22


def test_com1_late_and_unpaid_payments_but_not_on_the_last_day(client, world):
    c, prime = world.contract_a, world.keys["manager_a"]

    def pay(invoice_days_ago: int, paid_days_ago: int | None) -> str:
        response = client.post(f"{API}/contracts/{c}/payments", headers=prime, json={
            "provider_id": world.s2, "amount": "1000.00",
            "invoice_date": (today() - timedelta(days=invoice_days_ago)).isoformat(),
            "paid_date": (None if paid_days_ago is None
                          else (today() - timedelta(days=paid_days_ago)).isoformat())})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    paid_a_day_late, paid_on_time = pay(60, 29), pay(60, 30)
    unpaid_a_day_over, unpaid_due_today = pay(31, None), pay(30, None)

    found = {f["evidence"]["payment_id"]: f for f in flags(client, prime, rule="COM-1")}
    assert sorted(found) == sorted([paid_a_day_late, unpaid_a_day_over])
    assert paid_on_time not in found and unpaid_due_today not in found
    late = found[paid_a_day_late]
    assert (late["subject_org_id"], late["severity"], late["principle"]) == (
        world.s2, "low", "commitment")
    assert late["evidence"]["days_late"] == 1 and late["evidence"]["unpaid"] is False
    assert found[unpaid_a_day_over]["evidence"]["unpaid"] is True

    # Paid today: still a late payment, the same flag with its evidence refreshed.
    response = client.post(f"{API}/contracts/{c}/payments/{unpaid_a_day_over}/paid",
                           headers=prime, json={"paid_date": today().isoformat()})
    assert response.status_code == 200, response.text
    refreshed = {f["evidence"]["payment_id"]: f for f in flags(client, prime, rule="COM-1")}
    assert refreshed[unpaid_a_day_over]["id"] == found[unpaid_a_day_over]["id"]
    assert refreshed[unpaid_a_day_over]["evidence"]["unpaid"] is False
    assert refreshed[unpaid_a_day_over]["evidence"]["paid_date"] == today().isoformat()


def test_con1_acknowledged_on_the_sixth_working_day_not_the_fifth(client, db, world):
    c = world.contract_a
    monday = date(2026, 3, 2)
    late = add_complaint(db, c, world.s1, monday, acknowledged=date(2026, 3, 10))
    in_time = add_complaint(db, c, world.s2, monday, acknowledged=date(2026, 3, 9))
    recompute_flags(db, c, now=datetime(2026, 3, 20, 12, tzinfo=UTC))

    [flag] = flags(client, world.keys["manager_a"], rule="CON-1")
    assert flag["complaint_id"] == late and flag["subject_org_id"] == world.s1
    assert flag["severity"] == "medium" and flag["principle"] == "conduct"
    assert flag["evidence"]["acknowledge_due"] == "2026-03-09"
    assert flag["evidence"]["acknowledge_working_days"] == 6
    assert flag["evidence"]["complainant_org_id"] == world.s1
    assert in_time not in {f["complaint_id"] for f in flags(client, world.keys["admin"])}


def _plan_through(db, world, provider: int, last: "PlanState", days_ago: int) -> str:
    """An improvement plan of `provider` agreed `days_ago` days ago, moved on to `last`
    (in_review 50 days after agreement, failed or met 90 days after): through the service
    with the days the test sets."""
    from app.auth.principal import Principal
    from app.regime import plans
    from app.regime.schemas import PlanCreate, TargetIn, TransitionIn

    prime = Principal(role="prime_manager", organisation_id=world.prime_a,
                      user_id=world.user_ids["manager_a"])
    member = Principal(role="provider_user", organisation_id=provider)
    db.rollback()  # a fresh transaction: the requests' commits seen, no read lock held
    agreed = today() - timedelta(days=days_ago)
    review = agreed + timedelta(days=50)
    plan = plans.open_plan(db, prime, world.contract_a, provider, PlanCreate(
        targets=[TargetIn(metric="rate", threshold=0.3, by_date=review)],
        actions=["weekly calls"], review_date=review), on=agreed)
    plans.transition(db, member, plan.id, TransitionIn(to="agreed"), on=agreed)
    if last != "agreed":
        plans.transition(db, prime, plan.id, TransitionIn(to="in_review"), on=review)
    if last in ("failed", "met"):
        plans.transition(db, prime, plan.id, TransitionIn(to=last),
                         on=agreed + timedelta(days=90))
    return plan.id


def test_con2_exit_needs_a_plan_failed_after_its_remedy_period(client, db, world):
    c, prime = world.contract_a, world.keys["manager_a"]

    def status(provider: int, to: str) -> None:
        response = client.post(f"{API}/contracts/{c}/members/{provider}/status", headers=prime,
                               json={"status": to, "reason": "performance"})
        assert response.status_code == 200, response.text

    _plan_through(db, world, world.s1, "failed", 120)  # failed 30 days ago, after its remedy
    status(world.s1, "suspended")  # due process: no flag
    in_review = _plan_through(db, world, world.s2, "in_review", 60)
    status(world.s2, "terminated")  # its plan has not failed

    found = {f["subject_org_id"]: f for f in flags(client, prime, rule="CON-2")}
    assert sorted(found) == sorted([world.s2, world.s3])
    terminated = found[world.s2]
    assert terminated["severity"] == "high"
    assert terminated["evidence"]["improvement_plan_id"] == in_review
    assert terminated["evidence"]["improvement_plan_state"] == "in_review"
    assert "is in_review" in terminated["summary"]
    db.rollback()
    terminated_id = db.scalar(
        select(MembershipStatusChange.id)
        .join(Membership, Membership.id == MembershipStatusChange.membership_id)
        .where(Membership.provider_id == world.s2, MembershipStatusChange.status == "terminated"))
    assert terminated["evidence"]["status_change_id"] == terminated_id
    # The world's member suspended today without any plan.
    suspended = found[world.s3]
    assert suspended["severity"] == "medium"
    assert suspended["evidence"]["improvement_plan_id"] is None


def test_con3_share_drop_of_exactly_30_percent_then_just_over(client, db, world):
    c, prime = world.contract_a, world.keys["manager_a"]
    submitted = today() - timedelta(days=120)
    before, after = submitted - timedelta(days=10), submitted + timedelta(days=10)
    complaint = add_complaint(db, c, world.s1, submitted,
                              acknowledged=submitted + timedelta(days=1))
    # Before: 10 of 100 referrals (10%); after: 7 of 100 (7%): exactly 30% lower.
    post_events(client, prime, referrals(c, world.s1, before, 10, "b")
                + referrals(c, world.prime_a, before, 90, "b")
                + referrals(c, world.s1, after, 7, "a")
                + referrals(c, world.prime_a, after, 93, "a"))
    assert flags(client, world.keys["admin"], rule="CON-3") == []

    post_events(client, prime, referrals(c, world.prime_a, after, 1, "x"))  # 7 of 101
    [flag] = flags(client, world.keys["admin"], rule="CON-3")
    assert (flag["complaint_id"], flag["subject_org_id"], flag["severity"]) == (
        complaint, world.s1, "medium")
    evidence = flag["evidence"]
    assert (evidence["before"]["member_referrals"], evidence["before"]["contract_referrals"]) \
        == (10, 100)
    assert (evidence["after"]["member_referrals"], evidence["after"]["contract_referrals"]) \
        == (7, 101)
    assert evidence["after"]["complete"] is True and evidence["relative_drop"] > 0.3


def test_league_flags_carry_the_league_tables_figures(client, world):
    c, admin = world.contract_a, world.keys["admin"]
    response = client.patch(f"{API}/contracts/{c}", headers=admin,
                            json={"settings": {"min_n": 5}})
    assert response.status_code == 200, response.text
    client_org = client.post(f"{API}/organisations", headers=admin, json={
        "name": "Fourth Way Ltd", "kind": "subcontractor", "sector": "private"})
    fourth = client_org.json()["id"]
    assert client.post(f"{API}/contracts/{c}/members", headers=admin, json={
        "provider_id": fourth, "tier": 1, "contracted_share": "0.1"}).status_code == 201
    referred = today() - timedelta(days=450)
    events: list[dict[str, Any]] = []

    def cohort(provider: int, group: str, n: int, with_outcome: int, weeks: int) -> None:
        for i in range(n):
            ref = f"L-{provider}-{group}-{i}"
            if i < with_outcome:
                events.extend(journey(c, ref, provider, referred, group, weeks))
            else:
                events.extend([ev(c, ref, "referral", referred, payment_group=group,
                                  provider_id=provider),
                               ev(c, ref, "attachment", referred + timedelta(days=3))])

    cohort(world.prime_a, "jsa_25_plus", 10, 6, 26)
    cohort(world.s2, "jsa_25_plus", 10, 5, 26)
    cohort(fourth, "jsa_25_plus", 10, 5, 26)
    cohort(fourth, "esa_ex_ib", 10, 0, 13)
    cohort(world.s1, "esa_ex_ib", 10, 2, 13)  # bottom on raw rate, fine for its mix
    post_events(client, world.keys["manager_a"], events)

    table = client.get(f"{API}/contracts/{c}/league-table", headers=admin).json()
    rows = {row["provider_id"]: row for row in table["rows"]}
    assert rows[world.s1]["raw_rank"] == 4 and rows[world.s1]["rag"] == "green"
    found = live(flags(client, admin, contract_id=c))

    [rev1] = [f for f in found if f["rule"] == "REV-1"]
    assert rev1["subject_org_id"] == world.s1 and rev1["principle"] == "review"
    for name in ("raw_rank", "rank", "rate", "performance_index", "adjusted_rate", "rag",
                 "eligible", "outcomes"):
        assert rev1["evidence"][name] == rows[world.s1][name], name
    assert rev1["evidence"]["ranked_providers"] == 4

    for rule, column, minimum in (("CC-CHECKS", "check_compliance", 0.9),
                                  ("CC-TIMELINESS", "data_timeliness", 0.8)):
        flagged = {f["subject_org_id"]: f for f in found if f["rule"] == rule}
        expected = {p for p, row in rows.items()
                    if row[column] is not None and row[column] < minimum}
        assert set(flagged) == expected and expected, rule
        for provider, flag in flagged.items():
            assert flag["standard"] == "contract"
            assert flag["evidence"]["value"] == rows[provider][column]
    red = {p for p, row in rows.items() if row["rag"] == "red"}
    assert {f["subject_org_id"] for f in found if f["rule"] == "CC-RAG"} == red


# -- recomputation ---------------------------------------------------------------------------------
def _late_payment(client: TestClient, world: Any) -> dict[str, Any]:
    response = client.post(f"{API}/contracts/{world.contract_a}/payments",
                           headers=world.keys["manager_a"], json={
                               "provider_id": world.s2, "amount": "500.00",
                               "invoice_date": (today() - timedelta(days=80)).isoformat(),
                               "paid_date": (today() - timedelta(days=10)).isoformat()})
    assert response.status_code == 201, response.text
    [flag] = flags(client, world.keys["manager_a"], rule="COM-1")
    return flag


def test_recomputing_twice_keeps_one_flag_and_the_managers_acknowledgement(client, db, world):
    flag = _late_payment(client, world)
    prime = world.keys["manager_a"]
    response = client.post(f"{FLAGS}/{flag['id']}/status", headers=prime,
                           json={"status": "acknowledged", "note": "Paid in the next run"})
    assert response.status_code == 200, response.text
    assert response.json()["status_note"] == "Paid in the next run"

    later = datetime.now(UTC) + timedelta(minutes=5)
    recompute_flags(db, world.contract_a, now=later)
    recompute_flags(db, world.contract_a, now=later + timedelta(minutes=1))

    db.rollback()
    assert db.scalar(select(func.count()).select_from(ComplianceFlag).where(
        ComplianceFlag.rule == "COM-1")) == 1
    [again] = flags(client, prime, rule="COM-1")
    assert again["id"] == flag["id"] and again["status"] == "acknowledged"
    assert again["first_detected_at"] == flag["first_detected_at"]
    assert (datetime.fromisoformat(again["last_detected_at"])
            > datetime.fromisoformat(flag["last_detected_at"]))
    assert again["cleared_at"] is None
    [entry] = audit_entries(db, "compliance_flag.status")
    assert entry.entity_id == flag["id"] and entry.details["status"] == "acknowledged"
    assert entry.details["note"] == "Paid in the next run"


def test_status_changes_allowed_and_refused(client, world, reviewer):
    flag = _late_payment(client, world)
    url = f"{FLAGS}/{flag['id']}/status"
    prime = world.keys["manager_a"]
    assert client.post(url, headers=prime, json={"status": "acknowledged"}).status_code == 422
    empty = client.post(url, headers=prime, json={"status": "acknowledged", "note": " "})
    assert empty.status_code == 422 and "note" in str(empty.json()["detail"])
    assert client.post(url, headers=prime, json={"status": "open", "note": "x"}).status_code \
        == 422
    for who in ("s2", "inhouse_a"):
        assert client.post(url, headers=world.keys[who],
                           json={"status": "resolved", "note": "x"}).status_code == 403
    assert client.post(url, headers=reviewer,
                       json={"status": "resolved", "note": "x"}).status_code == 403
    assert client.post(url, headers=world.keys["manager_b"],
                       json={"status": "resolved", "note": "x"}).status_code == 404

    assert client.post(url, headers=prime,
                       json={"status": "resolved", "note": "Paid"}).status_code == 200
    refused = client.post(url, headers=world.keys["admin"],
                          json={"status": "acknowledged", "note": "again"})
    assert refused.status_code == 409
    assert refused.json()["allowed"] == [] and "resolved" in refused.json()["detail"]
    # Resolved while the condition still holds: recomputation keeps that flag, no new one.
    again = flags(client, world.keys["admin"], rule="COM-1")
    assert [(f["id"], f["status"]) for f in again] == [(flag["id"], "resolved")]


def test_acknowledged_flag_may_only_be_resolved(client, world):
    flag = _late_payment(client, world)
    url = f"{FLAGS}/{flag['id']}/status"
    admin = world.keys["admin"]
    assert client.post(url, headers=admin, json={"status": "acknowledged",
                                                 "note": "seen"}).status_code == 200
    refused = client.post(url, headers=admin, json={"status": "acknowledged", "note": "again"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["resolved"]


# -- scoping ---------------------------------------------------------------------------------------
def test_who_sees_which_flags(client, world, reviewer):
    # COM-1 about `private`; CON-2 about `suspended`; SCD-2 about S1, the tier-2 member no
    # participant was ever referred to for specialist help.
    flag = _late_payment(client, world)
    everything = flags(client, world.keys["admin"])
    assert {f["rule"] for f in everything} == {"COM-1", "CON-2", "SCD-2"}
    assert flags(client, reviewer) == everything
    assert flags(client, world.keys["manager_a"]) == everything
    assert flags(client, world.keys["manager_b"]) == []
    assert client.get(f"{FLAGS}/{flag['id']}",
                      headers=world.keys["manager_b"]).status_code == 404
    assert [f["id"] for f in flags(client, world.keys["s2"])] == [flag["id"]]
    assert [f["rule"] for f in flags(client, world.keys["s1"])] == ["SCD-2"]
    assert client.get(f"{FLAGS}/{flag['id']}", headers=world.keys["s1"]).status_code == 404
    mine = client.get(f"{FLAGS}/{flag['id']}", headers=world.keys["s2"])
    assert mine.status_code == 200 and mine.json()["evidence"]["days_late"] == 40
    assert client.get(f"{FLAGS}/999999", headers=world.keys["admin"]).status_code == 404
    assert client.get(FLAGS).status_code == 401
    assert [f["rule"] for f in flags(client, world.keys["admin"], standard="merlin-2012",
                                     principle="commitment", status="open")] == ["COM-1"]
    assert flags(client, world.keys["admin"], subject_org_id=world.s3)[0][
        "rule"] == "CON-2"
    bad = client.get(FLAGS, headers=world.keys["admin"], params={"status": "closed"})
    assert bad.status_code == 422 and "status" in str(bad.json()["detail"])


def test_confidential_complainant_hidden_from_the_prime(client, db, world, reviewer):
    c = world.contract_a
    complaint = add_complaint(db, c, world.s2, today() - timedelta(days=20),
                              confidential=True)
    response = client.post(f"{API}/contracts/{c}/members/{world.s2}/status",
                           headers=world.keys["manager_a"],
                           json={"status": "on_improvement_plan", "reason": "targets"})
    assert response.status_code == 200, response.text

    seen_by_reviewer = {f["rule"]: f for f in flags(client, reviewer) if f["complaint_id"]}
    assert set(seen_by_reviewer) == {"CON-1", "CON-3"}
    assert all(f["subject_org_id"] == world.s2 for f in seen_by_reviewer.values())
    con3 = seen_by_reviewer["CON-3"]
    assert con3["severity"] == "high" and con3["evidence"]["downgrades"][0]["to"] \
        == "on_improvement_plan"
    assert {f["rule"] for f in flags(client, world.keys["s2"])
            if f["complaint_id"]} == {"CON-1", "CON-3"}
    assert [f for f in flags(client, world.keys["s1"]) if f["complaint_id"]] == []

    prime = world.keys["manager_a"]
    by_prime = [f for f in flags(client, prime) if f["complaint_id"]]
    assert [f["rule"] for f in by_prime] == ["CON-1"]
    assert by_prime[0]["subject_org_id"] is None and by_prime[0]["complainant_hidden"] is True
    assert by_prime[0]["evidence"]["complainant_org_id"] is None
    assert by_prime[0]["summary"] == seen_by_reviewer["CON-1"]["summary"]
    assert client.get(f"{FLAGS}/{con3['id']}", headers=prime).status_code == 404
    assert client.post(f"{FLAGS}/{con3['id']}/status", headers=prime,
                       json={"status": "acknowledged", "note": "x"}).status_code == 404
    assert [f for f in flags(client, prime, subject_org_id=world.s2)
            if f["complaint_id"]] == []
    _, exported = read_csv_export(client.get(FLAGS, headers=prime, params={"format": "csv"}).text)
    [con1_row] = [r for r in exported if r["rule"] == "CON-1"]
    assert con1_row["subject_org_id"] == ""
    assert json.loads(con1_row["evidence"])["complainant_org_id"] is None

    # The complainant lifts confidentiality: the prime sees who, and the CON-3 flag.
    db.scalars(select(Complaint).where(Complaint.public_id == complaint)).one().confidential = False
    db.commit()
    lifted = {f["rule"]: f for f in flags(client, prime) if f["complaint_id"]}
    assert set(lifted) == {"CON-1", "CON-3"}
    assert lifted["CON-1"]["subject_org_id"] == world.s2


# -- lists -----------------------------------------------------------------------------------------
def test_pages_and_csv(client, world):
    c, prime = world.contract_a, world.keys["manager_a"]
    for days in (40, 50, 60):
        client.post(f"{API}/contracts/{c}/payments", headers=prime, json={
            "provider_id": world.s2, "amount": "10.00",
            "invoice_date": (today() - timedelta(days=days)).isoformat()})
    admin = world.keys["admin"]
    everything = flags(client, admin)
    # three unpaid invoices, the suspended member, S1 never sent specialist work
    assert len(everything) == 5
    pages = page_through(client, FLAGS, admin, limit=3)
    assert [len(p) for p in pages] == [3, 2]
    assert [f["id"] for p in pages for f in p] == [f["id"] for f in everything]

    response = client.get(FLAGS, headers=admin, params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/csv")
    _, table = read_csv_export(response.text)
    assert [r["id"] for r in table] == [f["id"] for f in everything]
    assert {r["rule"] for r in table} == {"COM-1", "CON-2", "SCD-2"}
    assert table[0]["merlin_2018_principles"] in ("Funding; Contract",
                                                  "Performance Manage; Review & Close",
                                                  "Supply Chain Design")
    assert all(r["summary"] and r["evidence"].startswith("{") for r in table)
