"""The scope that follows a specialist referral (DOMAIN.md section 12), through HTTP: the
specialist sees the referral facts and its own outcomes, and nothing else of the journey;
another specialist sees nothing; the participant's provider and the prime see the
specialist's outcomes."""

from datetime import date, timedelta

import pytest

from tests.helpers import API, add_member, add_user, create_org, login
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)


@pytest.fixture()
def referred(client, db, world):
    """S2's participant R with a whole journey (a job outcome too), assessed twice, referred
    to the specialist S1 for mental health, which started and completed it; a second
    specialist (with a user of its own) to which nothing was referred."""
    admin = world.headers["admin"]
    other = create_org(client, admin, "Other Specialist CIC", "subcontractor", "third")
    add_member(client, admin, world.contract_a, other, tier=2, contracted_share="0")
    add_user(db, "other.user", "provider_user", other)
    events = [*journey(world.contract_a, "R", world.s2, D),
              ev(world.contract_a, "R", "specialist_referral", D + timedelta(days=5),
                 specialist_id=world.s1, intervention="mental_health", fee="300"),
              ev(world.contract_a, "R", "assessment", D + timedelta(days=4),
                 scores={"confidence": 2}),
              ev(world.contract_a, "R", "assessment", D + timedelta(days=90),
                 scores={"confidence": 6})]
    response = client.post(f"{API}/events", json=events, headers=world.keys["s2"])
    assert response.status_code == 200, response.text
    outcomes = [ev(world.contract_a, "R", "specialist_outcome", D + timedelta(days=12),
                   specialist_id=world.s1, intervention="mental_health", result="started"),
                ev(world.contract_a, "R", "specialist_outcome", D + timedelta(days=60),
                   specialist_id=world.s1, intervention="mental_health", result="completed")]
    response = client.post(f"{API}/events", json=outcomes, headers=world.keys["s1"])
    assert response.status_code == 200, response.text
    return {"other": other, "other_headers": login(client, "other.user")}


def _events(client, headers, ref="R"):
    response = client.get(f"{API}/events", headers=headers, params={"participant_ref": ref})
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_the_specialist_sees_the_referral_facts_and_its_outcomes_only(client, world, referred):
    rows = _events(client, world.headers["s1"])
    assert sorted((r["type"], r["result"]) for r in rows) == [
        ("specialist_outcome", "completed"), ("specialist_outcome", "started"),
        ("specialist_referral", None)]
    assert all(r["payment_group"] is None and r["specialist_id"] == world.s1 for r in rows)
    referral = next(r for r in rows if r["type"] == "specialist_referral")
    assert (referral["intervention"], referral["event_date"], referral["provider_id"]) == (
        "mental_health", (D + timedelta(days=5)).isoformat(), world.s2)


def test_the_specialist_sees_no_job_starts_outcomes_checks_or_league_counts(client, world,
                                                                            referred):
    s1 = world.headers["s1"]
    for kind in ("job_start", "job_outcome", "referral", "assessment"):
        response = client.get(f"{API}/events", headers=s1, params={"type": kind})
        assert response.json()["rows"] == [], kind
    checks = client.get(f"{API}/contracts/{world.contract_a}/milestones", headers=s1)
    assert checks.status_code == 200
    assert [r for r in checks.json()["rows"] if r["participant_ref"] == "R"] == []
    league = client.get(f"{API}/contracts/{world.contract_a}/league-table", headers=s1,
                        params={"from": "2024-01-01", "to": "2024-12-31"})
    own = next(r for r in league.json()["rows"] if r["provider_id"] == world.s1)
    assert (own["referrals"], own["job_starts"]) == (0, 0)
    progress = client.get(f"{API}/contracts/{world.contract_a}/progress", headers=s1)
    assert progress.json()["rows"] == []


def test_the_specialist_lists_its_referral(client, world, referred):
    response = client.get(f"{API}/contracts/{world.contract_a}/specialist-referrals",
                          headers=world.headers["s1"])
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [{
        "participant_ref": "R", "provider_id": world.s2, "specialist_id": world.s1,
        "intervention": "mental_health", "fee": "300.00",
        "referral_date": (D + timedelta(days=5)).isoformat(),
        "started_on": (D + timedelta(days=12)).isoformat(),
        "closed_on": (D + timedelta(days=60)).isoformat(), "closing_result": "completed"}]


def test_another_specialist_sees_nothing_and_may_not_report(client, world, referred):
    headers = referred["other_headers"]
    assert _events(client, headers) == []
    listed = client.get(f"{API}/contracts/{world.contract_a}/specialist-referrals",
                        headers=headers)
    assert listed.json()["rows"] == []
    usage = client.get(f"{API}/contracts/{world.contract_a}/specialists", headers=headers)
    assert usage.status_code == 200
    assert usage.json()["rows"] == [] and usage.json()["specialists"] == []
    response = client.post(f"{API}/events", headers=headers, json=[
        ev(world.contract_a, "R", "specialist_outcome", D + timedelta(days=70),
           specialist_id=referred["other"], intervention="mental_health", result="started")])
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"] == [
        f"participant_ref: no referral for this participant in contract {world.contract_a} "
        "(send the referral first, or in the same batch)"]


@pytest.mark.parametrize("who", ["s2", "manager_a"])
def test_the_provider_and_the_prime_see_the_specialists_outcomes(client, world, referred, who):
    rows = _events(client, world.headers[who])
    outcomes = sorted(r["result"] for r in rows if r["type"] == "specialist_outcome")
    assert outcomes == ["completed", "started"]
    assert {r["payment_group"] for r in rows} == {"jsa_ex_ib"}
    assert {r["type"] for r in rows} >= {"referral", "job_start", "job_outcome", "assessment"}
    listed = client.get(f"{API}/contracts/{world.contract_a}/specialist-referrals",
                        headers=world.headers[who]).json()["rows"]
    assert [(r["closing_result"], r["specialist_id"]) for r in listed] == [
        ("completed", world.s1)]


def test_a_provider_of_another_participant_sees_nothing_of_the_referral(client, world,
                                                                        referred):
    """SB is of another contract: 404 for contract A; the reviewer reads usage, not
    participants."""
    sb = world.headers["sb"]
    assert client.get(f"{API}/contracts/{world.contract_a}/specialist-referrals",
                      headers=sb).status_code == 404
    assert _events(client, sb) == []
    reviewer = world.headers["reviewer"]
    assert client.get(f"{API}/contracts/{world.contract_a}/specialist-referrals",
                      headers=reviewer).status_code == 403
    usage = client.get(f"{API}/contracts/{world.contract_a}/specialists", headers=reviewer)
    assert usage.json()["rows"][0]["referrals"] == 1
