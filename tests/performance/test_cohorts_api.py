"""GET /contracts/{id}/cohorts: monthly referral cohorts counted in SQL after ingesting events,
with hand-computed curves across month ends; a provider's curve against the contract's;
scoping."""

from datetime import date, timedelta

from tests.ingest.events import ev


def participant(c, ref, provider, referred, outcome=None):
    """Referred and started work the same day (jsa_ex_ib: an outcome after 13 weeks)."""
    events = [ev(c, ref, "referral", referred, payment_group="jsa_ex_ib", provider_id=provider),
              ev(c, ref, "attachment", referred), ev(c, ref, "job_start", referred)]
    if outcome is not None:
        assert outcome >= referred + timedelta(days=91)
        events.append(ev(c, ref, "job_outcome", outcome))
    return events


def load(client, world):
    """third: A (31 Jan, outcome 31 May: 4 months), B (30 Jan, outcome 31 May: 5 months, as
    30 Jan + 4 months is 30 May), D (29 Feb, outcome 29 Jun: 4 months); private: C (15 Jan, no
    outcome), E (10 Feb, outcome 20 Aug: 7 months)."""
    c = world.contract_a
    batches = {
        "s1": [*participant(c, "A", world.s1, date(2024, 1, 31), date(2024, 5, 31)),
                  *participant(c, "B", world.s1, date(2024, 1, 30), date(2024, 5, 31)),
                  *participant(c, "D", world.s1, date(2024, 2, 29), date(2024, 6, 29))],
        "s2": [*participant(c, "C", world.s2, date(2024, 1, 15)),
                    *participant(c, "E", world.s2, date(2024, 2, 10),
                                 date(2024, 8, 20))],
    }
    for who, events in batches.items():
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def cohorts(client, world, who, expect=200, **params):
    response = client.get(f"/api/v1/contracts/{world.contract_a}/cohorts", params=params,
                          headers=world.keys[who])
    assert response.status_code == expect, response.text
    return response.json()


def curve(points):
    return [(p["eligible"], p["outcomes"], p["rate"]) for p in points]


def test_the_contracts_cohorts_on_a_day_that_is_not_a_month_end(client, world):
    load(client, world)
    body = cohorts(client, world, "manager_a", as_of="2024-06-29", horizon_months=6)
    assert (body["contract_id"], body["provider_id"], body["as_of"], body["horizon_months"]) == (
        world.contract_a, None, "2024-06-29", 6)
    assert body["next_cursor"] is None and body["contract_rows"] is None
    january, february = body["rows"]
    assert (january["month"], january["referrals"]) == ("2024-01", 3)
    # Months 1-4 have passed for all of January; month 5 only for C (15 Jan + 5 = 15 Jun),
    # not for A or B (30 and 31 Jan + 5 months = 30 Jun, after 29 Jun).
    assert curve(january["points"]) == [(3, 0, 0.0), (3, 0, 0.0), (3, 0, 0.0), (3, 1, 1 / 3),
                                        (1, 0, 0.0), (0, 0, None)]
    assert (february["month"], february["referrals"]) == ("2024-02", 2)
    # 29 Feb + 4 months = 29 Jun: eligible, with D's outcome that day; E's is after as_of.
    assert curve(february["points"]) == [(2, 0, 0.0), (2, 0, 0.0), (2, 0, 0.0), (2, 1, 0.5),
                                         (0, 0, None), (0, 0, None)]
    assert curve(body["overall"]) == [(5, 0, 0.0), (5, 0, 0.0), (5, 0, 0.0), (5, 2, 0.4),
                                      (1, 0, 0.0), (0, 0, None)]
    assert [p["month_since_referral"] for p in body["overall"]] == [1, 2, 3, 4, 5, 6]


def test_on_the_months_last_day_the_31st_has_had_its_months(client, world):
    load(client, world)
    body = cohorts(client, world, "manager_a", as_of="2024-06-30", horizon_months=6)
    january, february = body["rows"]
    # 30 and 31 Jan + 5 months = 30 Jun: all eligible; B's outcome came within 5 months.
    assert curve(january["points"])[3:] == [(3, 1, 1 / 3), (3, 2, 2 / 3), (0, 0, None)]
    assert curve(february["points"])[3:5] == [(2, 1, 0.5), (0, 0, None)]


def test_the_default_horizon_is_24_months(client, world):
    load(client, world)
    body = cohorts(client, world, "manager_a", as_of="2026-03-01")
    assert body["horizon_months"] == 24 and len(body["overall"]) == 24
    january = body["rows"][0]
    # E's outcome (10 Feb -> 20 Aug) counts from month 7.
    february = body["rows"][1]
    assert curve(february["points"])[5:7] == [(2, 1, 0.5), (2, 2, 1.0)]
    assert curve(january["points"])[23] == (3, 2, 2 / 3)


def test_a_providers_cohorts_beside_the_contracts(client, world):
    load(client, world)
    body = cohorts(client, world, "s1", as_of="2024-06-29", horizon_months=6,
                   provider_id=world.s1)
    assert body["provider_id"] == world.s1
    january, february = body["rows"]
    assert january["referrals"] == 2 and february["referrals"] == 1
    assert curve(january["points"]) == [(2, 0, 0.0), (2, 0, 0.0), (2, 0, 0.0), (2, 1, 0.5),
                                        (0, 0, None), (0, 0, None)]
    assert curve(february["points"])[3] == (1, 1, 1.0)
    assert curve(body["overall"])[3] == (3, 2, 2 / 3)
    # The contract's curve to draw against: an aggregate, the same as the prime's.
    whole = cohorts(client, world, "manager_a", as_of="2024-06-29", horizon_months=6)
    assert body["contract_rows"] == whole["rows"]
    assert body["contract_overall"] == whole["overall"]


def test_scoping(client, world):
    load(client, world)
    url = f"/api/v1/contracts/{world.contract_a}/cohorts"
    # A provider may ask for its own curve and the contract's, not another provider's.
    cohorts(client, world, "s1", provider_id=world.s2, expect=404)
    assert cohorts(client, world, "s1")["rows"]
    cohorts(client, world, "inhouse_a", provider_id=world.prime_a)
    cohorts(client, world, "inhouse_a", provider_id=world.s1, expect=404)
    # The prime sees any of its providers; nobody sees an organisation outside the contract.
    assert cohorts(client, world, "manager_a", provider_id=world.s2)["rows"]
    cohorts(client, world, "admin", provider_id=world.prime_b, expect=404)
    # Another prime's manager does not see the contract at all.
    response = client.get(url, headers=world.keys["manager_b"])
    assert response.status_code == 404
    assert client.get(url).status_code == 401


def test_a_suspended_member_still_has_its_cohorts(client, world):
    body = cohorts(client, world, "manager_a", provider_id=world.s3)
    assert body["rows"] == [] and all(p["rate"] is None for p in body["overall"])


def test_bad_parameters_answer_422_naming_them(client, world):
    for params in ({"horizon_months": 0}, {"horizon_months": 25}, {"as_of": "2024-02-30"},
                   {"as_of": "0001-01-01"}, {"provider_id": 2**40}, {"provider_id": "x"}):
        response = client.get(f"/api/v1/contracts/{world.contract_a}/cohorts", params=params,
                              headers=world.keys["manager_a"])
        assert response.status_code == 422, (params, response.text)
        assert next(iter(params)) in str(response.json()["detail"])
    response = client.get("/api/v1/contracts/99999999999/cohorts",
                          headers=world.keys["manager_a"])
    assert response.status_code == 422


def test_a_new_batch_of_events_renews_the_cached_cohort_counts(client, world):
    """The counts are cached per data version (app.performance.fit_cache): the next batch
    must show, in the provider's curve and the contract's."""
    load(client, world)
    params = {"as_of": "2024-06-29", "horizon_months": 6, "provider_id": world.s2}
    before = cohorts(client, world, "manager_a", **params)
    assert [r["month"] for r in before["rows"]] == ["2024-01", "2024-02"]
    assert cohorts(client, world, "manager_a", **params) == before  # from the cache
    response = client.post("/api/v1/events", json=participant(
        world.contract_a, "F", world.s2, date(2024, 3, 5)), headers=world.keys["s2"])
    assert response.status_code == 200, response.text
    after = cohorts(client, world, "manager_a", **params)
    assert [(r["month"], r["referrals"]) for r in after["rows"]] == [
        ("2024-01", 1), ("2024-02", 1), ("2024-03", 1)]
    assert [r["referrals"] for r in after["contract_rows"]] == [3, 2, 1]


def test_a_provider_sees_its_own_cohorts_from_the_cached_whole_contract(client, world):
    """The whole contract's counts are cached once, per provider; each caller still gets
    only the providers it may see."""
    load(client, world)
    params = {"as_of": "2024-06-29", "horizon_months": 6}
    # The prime's manager fills the cache with every provider's counts.
    assert cohorts(client, world, "manager_a", provider_id=world.s2, **params)["rows"]
    own = cohorts(client, world, "s1", provider_id=world.s1, **params)
    assert [(r["month"], r["referrals"]) for r in own["rows"]] == [("2024-01", 2),
                                                                  ("2024-02", 1)]
    assert [r["referrals"] for r in own["contract_rows"]] == [3, 2]
    cohorts(client, world, "s1", provider_id=world.s2, expect=404, **params)
    cohorts(client, world, "s2", provider_id=world.s1, expect=404, **params)
