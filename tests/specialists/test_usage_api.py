"""GET /contracts/{id}/specialists and /progress through HTTP: the figures, and what each
principal sees (the prime everything and the specialist never used; a tier-1 provider its own
spot purchases; a specialist its referrals in, by provider)."""

from datetime import date, timedelta

import pytest

from tests.helpers import API, add_member, create_org, record_payment
from tests.ingest.events import ev

D = date(2025, 3, 3)


def _referred(w, ref, provider, specialist, day, fee=None, intervention="debt"):
    events = [ev(w.contract_a, ref, "referral", D, payment_group="jsa_25_plus",
                 provider_id=provider),
              ev(w.contract_a, ref, "specialist_referral", day, specialist_id=specialist,
                 intervention=intervention, **({"fee": fee} if fee else {}))]
    return events


def _outcome(w, ref, specialist, day, result, intervention="debt"):
    return ev(w.contract_a, ref, "specialist_outcome", day, specialist_id=specialist,
              intervention=intervention, result=result)


@pytest.fixture()
def used(client, world):
    """S2 buys three debt referrals from S1 at 100 (one completed, one started, one declined)
    and one outside the period; the prime's in-house team one (no fee, did not attend); a
    named specialist U is never used; the prime paid S1 100 in the period."""
    admin = world.headers["admin"]
    unused = create_org(client, admin, "Unused Charity", "subcontractor", "third")
    add_member(client, admin, world.contract_a, unused, tier=2, contracted_share="0")
    w, s1 = world, world.s1
    day = D + timedelta(days=7)
    by_s2 = [*_referred(w, "A", w.s2, s1, day, "100"), *_referred(w, "B", w.s2, s1, day, "100"),
             *_referred(w, "C", w.s2, s1, day, "100"),
             *_referred(w, "OLD", w.s2, s1, D - timedelta(days=60), "100")]
    by_s2[-1]["event_date"] = by_s2[-2]["event_date"] = (D - timedelta(days=90)).isoformat()
    response = client.post(f"{API}/events", json=by_s2, headers=w.keys["s2"])
    assert response.status_code == 200, response.text
    response = client.post(f"{API}/events", json=_referred(w, "H", w.prime_a, s1, day),
                           headers=w.keys["inhouse_a"])
    assert response.status_code == 200, response.text
    outcomes = [_outcome(w, "A", s1, day + timedelta(days=3), "started"),
                _outcome(w, "A", s1, day + timedelta(days=40), "completed"),
                _outcome(w, "B", s1, day + timedelta(days=3), "started"),
                _outcome(w, "C", s1, day + timedelta(days=2), "declined"),
                _outcome(w, "H", s1, day + timedelta(days=2), "did_not_attend")]
    response = client.post(f"{API}/events", json=outcomes, headers=w.keys["s1"])
    assert response.status_code == 200, response.text
    record_payment(client, admin, w.contract_a, s1, invoice_date=D + timedelta(days=50),
                   amount="100.00", paid_date=(D + timedelta(days=60)).isoformat())
    return unused


PERIOD = {"from": D.isoformat(), "to": (D + timedelta(days=180)).isoformat()}


def _usage(client, world, who):
    response = client.get(f"{API}/contracts/{world.contract_a}/specialists",
                          headers=world.headers[who], params=PERIOD)
    assert response.status_code == 200, response.text
    return response.json()


def _figures(row):
    return {k: row[k] for k in ("referrals", "started", "completed", "declined",
                                "did_not_attend", "open", "completion_rate", "fees_agreed",
                                "fees_owed")}


def test_the_prime_sees_every_specialist_and_provider(client, world, used):
    body = _usage(client, world, "manager_a")
    assert (body["from"], body["to"]) == (PERIOD["from"], PERIOD["to"])
    rows = {(r["provider_id"], r["specialist_id"]): _figures(r) for r in body["rows"]}
    assert rows == {
        (world.prime_a, world.s1): {"referrals": 1, "started": 0, "completed": 0,
                                    "declined": 0, "did_not_attend": 1, "open": 0,
                                    "completion_rate": None, "fees_agreed": "0.00",
                                    "fees_owed": "0.00"},
        (world.s2, world.s1): {"referrals": 3, "started": 2, "completed": 1, "declined": 1,
                               "did_not_attend": 0, "open": 1, "completion_rate": 0.5,
                               "fees_agreed": "300.00", "fees_owed": "100.00"}}
    specialists = {s["specialist_id"]: s for s in body["specialists"]}
    assert set(specialists) == {world.s1, used}
    s1 = specialists[world.s1]
    assert (s1["referrals"], s1["started"], s1["completed"], s1["providers"],
            s1["fees_owed"], s1["fees_paid"]) == (4, 2, 1, 2, "100.00", "100.00")
    never = specialists[used]
    assert (never["referrals"], never["providers"], never["fees_paid"],
            never["membership_status"], never["completion_rate"]) == (
        0, 0, "0.00", "active", None)
    providers = {p["provider_id"]: (p["referrals"], p["specialists"])
                 for p in body["providers"]}
    assert providers == {world.prime_a: (1, 1), world.s2: (3, 1)}


def test_a_tier_1_provider_sees_its_own_spot_purchases(client, world, used):
    body = _usage(client, world, "s2")
    assert [(r["provider_id"], r["specialist_id"], r["referrals"]) for r in body["rows"]] == [
        (world.s2, world.s1, 3)]
    assert [(s["specialist_id"], s["referrals"], s["fees_paid"])
            for s in body["specialists"]] == [(world.s1, 3, None)]


def test_a_specialist_sees_its_referrals_in_by_provider(client, world, used):
    body = _usage(client, world, "s1")
    assert sorted((r["provider_id"], r["referrals"]) for r in body["rows"]) == sorted(
        [(world.prime_a, 1), (world.s2, 3)])
    assert [(s["specialist_id"], s["referrals"], s["fees_paid"])
            for s in body["specialists"]] == [(world.s1, 4, "100.00")]


def test_the_period_is_by_referral_date(client, world, used):
    response = client.get(f"{API}/contracts/{world.contract_a}/specialists",
                          headers=world.headers["manager_a"], params={
                              "from": (D - timedelta(days=100)).isoformat(),
                              "to": (D - timedelta(days=1)).isoformat()})
    assert [(r["provider_id"], r["referrals"], r["open"]) for r in response.json()["rows"]] == [
        (world.s2, 1, 1)]


def test_a_period_that_ends_before_it_starts_is_refused(client, world):
    response = client.get(f"{API}/contracts/{world.contract_a}/specialists",
                          headers=world.headers["manager_a"],
                          params={"from": "2025-06-01", "to": "2025-05-01"})
    assert response.status_code == 422
    assert response.json()["detail"] == "to: 2025-05-01 is before from (2025-06-01)"


def test_progress_per_provider_and_area(client, world):
    """S2's two participants gain 3 and 1 in confidence over 8 weeks or more; the in-house
    team's one gains 2 in health; a provider sees only its own rows."""
    w = world
    events = []
    for ref, first, last, gap in (("P1", 3, 6, 56), ("P2", 4, 5, 90)):
        events += [ev(w.contract_a, ref, "referral", D, payment_group="jsa_25_plus",
                      provider_id=w.s2),
                   ev(w.contract_a, ref, "assessment", D, scores={"confidence": first}),
                   ev(w.contract_a, ref, "assessment", D + timedelta(days=gap),
                      scores={"confidence": last})]
    assert client.post(f"{API}/events", json=events, headers=w.keys["s2"]).status_code == 200
    inhouse = [ev(w.contract_a, "P3", "referral", D, payment_group="jsa_25_plus",
                  provider_id=w.prime_a),
               ev(w.contract_a, "P3", "assessment", D, scores={"health": 5}),
               ev(w.contract_a, "P3", "assessment", D + timedelta(days=70), scores={"health": 7})]
    assert client.post(f"{API}/events", json=inhouse,
                       headers=w.keys["inhouse_a"]).status_code == 200
    body = client.get(f"{API}/contracts/{w.contract_a}/progress",
                      headers=w.headers["manager_a"]).json()
    assert body["min_gap_days"] == 56 and body["areas"][0] == "job_search"
    rows = {(r["provider_id"], r["area"]): r for r in body["rows"]}
    assert set(rows) == {(w.s2, "confidence"), (w.prime_a, "health")}
    confidence = rows[(w.s2, "confidence")]
    assert (confidence["participants"], confidence["mean_change"]) == (2, 2.0)
    assert confidence["ci_low"] == pytest.approx(2 - 12.706205 * 1.0, abs=1e-5)
    own = client.get(f"{API}/contracts/{w.contract_a}/progress", headers=w.headers["s2"]).json()
    assert [(r["provider_id"], r["area"]) for r in own["rows"]] == [(w.s2, "confidence")]
    filtered = client.get(f"{API}/contracts/{w.contract_a}/progress",
                          headers=w.headers["manager_a"],
                          params={"provider_id": w.prime_a}).json()
    assert [(r["provider_id"], r["mean_change"], r["ci_low"]) for r in filtered["rows"]] == [
        (w.prime_a, 2.0, None)]
    other = client.get(f"{API}/contracts/{w.contract_a}/progress", headers=w.headers["s2"],
                       params={"provider_id": w.prime_a})
    assert other.status_code == 404
    assert own["participants"] is None
    detail = client.get(f"{API}/contracts/{w.contract_a}/progress", headers=w.headers["s2"],
                        params={"participants": "true"}).json()["participants"]
    assert sorted((p["participant_ref"], p["first_score"], p["last_score"], p["change"])
                  for p in detail) == [("P1", 3, 6, 3), ("P2", 4, 5, 1)]
    reviewer = client.get(f"{API}/contracts/{w.contract_a}/progress",
                          headers=w.headers["reviewer"], params={"participants": "true"})
    assert reviewer.json()["participants"] is None
    assert len(reviewer.json()["rows"]) == 2


def test_a_new_assessment_renews_the_cached_distance_travelled(client, world):
    """Distance travelled is cached per data version (app.performance.fit_cache): the next
    batch's assessment shows at once, for the prime and for the provider."""
    w = world
    events = [ev(w.contract_a, "R1", "referral", D, payment_group="jsa_25_plus",
                 provider_id=w.s2),
              ev(w.contract_a, "R1", "assessment", D, scores={"skills": 2}),
              ev(w.contract_a, "R1", "assessment", D + timedelta(days=60), scores={"skills": 4})]
    assert client.post(f"{API}/events", json=events, headers=w.keys["s2"]).status_code == 200

    def skills(who: str) -> tuple[int, float]:
        body = client.get(f"{API}/contracts/{w.contract_a}/progress",
                          headers=w.headers[who]).json()
        [row] = [r for r in body["rows"] if r["area"] == "skills"]
        return row["participants"], row["mean_change"]

    assert skills("manager_a") == skills("manager_a") == (1, 2.0)  # the second from the cache
    assert skills("s2") == (1, 2.0)
    later = [ev(w.contract_a, "R1", "assessment", D + timedelta(days=90), scores={"skills": 7})]
    assert client.post(f"{API}/events", json=later, headers=w.keys["s2"]).status_code == 200
    assert skills("manager_a") == (1, 5.0)
    assert skills("s2") == (1, 5.0)
