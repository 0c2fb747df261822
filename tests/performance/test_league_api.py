"""GET /contracts/{id}/league-table: the numbers of DOMAIN.md section 5 after ingesting
events, computed by hand; anonymisation for subcontractors; CSV."""

import math
from datetime import date, timedelta

from tests.helpers import read_csv_export
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)
AS_OF = "2025-06-01"
Z = 1.959964


def load(client, world):
    """third: 2 x jsa_ex_ib (1 outcome) and 2 x jsa_25_plus (none); private: 2 x jsa_25_plus,
    both with outcomes. Pooled rates: b(jsa_ex_ib) = 1/2, b(jsa_25_plus) = 2/4, overall 3/6."""
    c, third, private = world.contract_a, world.s1, world.s2
    batches = {
        "s1": [*journey(c, "T1", third, D, "jsa_ex_ib", 13),
                  *journey(c, "T2", third, D, "jsa_ex_ib", 13)[:3],
                  *journey(c, "T3", third, D, "jsa_25_plus", 26)[:3],
                  *journey(c, "T4", third, D, "jsa_25_plus", 26)[:3]],
        "s2": [*journey(c, "V1", private, D, "jsa_25_plus", 26),
                    *journey(c, "V2", private, D, "jsa_25_plus", 26)],
    }
    for who, events in batches.items():
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def table(client, world, who, **params):
    response = client.get(f"/api/v1/contracts/{world.contract_a}/league-table",
                          params={"as_of": AS_OF, "min_n": 1, **params},
                          headers=world.keys[who])
    assert response.status_code == 200, response.text
    return response.json()


def wilson(o, n):
    p, z2 = o / n, Z * Z
    centre, half = p + z2 / (2 * n), Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (centre - half) / (1 + z2 / n), (centre + half) / (1 + z2 / n)


def test_the_prime_sees_every_provider_named_with_hand_computed_figures(client, world):
    load(client, world)
    body = table(client, world, "manager_a")
    assert (body["from"], body["to"], body["as_of"]) == ("2024-01-01", AS_OF, AS_OF)
    assert body["horizon_months"] == 12 and body["pooled_rate"] == 0.5
    rows = {r["provider_id"]: r for r in body["rows"]}
    third, private = rows[world.s1], rows[world.s2]
    # third: E=4, O=1, X = 2 x 1/2 + 2 x 1/2 = 2, PI = 1/2, adjusted = 1/2 x 1/2
    assert (third["eligible"], third["outcomes"], third["expected"]) == (4, 1, 2.0)
    assert third["rate"] == 0.25 and third["performance_index"] == 0.5
    assert third["adjusted_rate"] == 0.25
    # private: E=2, O=2, X = 2 x 1/2 = 1, PI = 2
    assert (private["eligible"], private["outcomes"], private["expected"]) == (2, 2, 1.0)
    assert private["performance_index"] == 2.0 and private["adjusted_rate"] == 1.0
    assert (private["rank"], third["rank"]) == (1, 2)
    assert (private["raw_rank"], third["raw_rank"]) == (1, 2)
    low, high = wilson(1, 4)
    assert math.isclose(third["ci_low"], low, abs_tol=1e-12)
    assert math.isclose(third["ci_high"], high, abs_tol=1e-12)
    # funnel around p0 = X/E = 1/2 with E = 4: 1/2 -/+ z sqrt(1/16)
    assert math.isclose(third["funnel_lower_95"], 0.5 - Z * 0.25, abs_tol=1e-12)
    assert third["rag"] == "green"  # 0.25 > 0.5 - 0.49
    assert third["referral_share"] == 4 / 6 and third["contracted_share"] == "0.1000"
    assert third["job_starts"] == 4 and private["job_starts"] == 2
    # fees of year one: attachments 400 each; outcomes 1,200
    assert third["payments_earned"] == "2800.00" and private["payments_earned"] == "3200.00"
    prime = rows[world.prime_a]
    assert prime["tier"] is None and prime["eligible"] == 0 and prime["rank"] is None


def test_eligibility_follows_the_horizon(client, world):
    load(client, world)
    # Referred 2024-03-01: with a 12-month horizon they become eligible on 2025-03-01.
    assert {r["eligible"] for r in table(client, world, "manager_a", as_of="2025-02-28",
                                         to="2025-02-28")["rows"]} == {0}
    assert table(client, world, "manager_a", as_of="2025-03-01")["pooled_rate"] == 0.5


def test_a_subcontractor_sees_its_own_row_named_and_the_others_anonymised(client, world, db):
    load(client, world)
    body = table(client, world, "s1")
    named = [r for r in body["rows"] if r["provider_id"] is not None]
    assert [r["provider_name"] for r in named] == ["S1 Community Trust"]
    others = [r["provider_name"] for r in body["rows"] if r["provider_id"] is None]
    assert sorted(others) == ["Provider A", "Provider B", "Provider C"]
    assert "S2 Employment Ltd" not in str(body) and str(world.s2) not in [
        str(r["provider_id"]) for r in body["rows"]]


def test_a_named_contract_shows_subcontractors_every_name(client, world):
    load(client, world)
    response = client.patch(f"/api/v1/contracts/{world.contract_a}",
                            json={"settings": {"league_visibility": "named"}},
                            headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    assert all(r["provider_id"] is not None for r in table(client, world, "s1")["rows"])


def test_another_primes_manager_gets_404(client, world):
    response = client.get(f"/api/v1/contracts/{world.contract_a}/league-table",
                          headers=world.keys["manager_b"])
    assert response.status_code == 404


def test_csv_has_the_same_rows_and_every_column(client, world):
    load(client, world)
    json_rows = table(client, world, "manager_a")["rows"]
    response = client.get(f"/api/v1/contracts/{world.contract_a}/league-table",
                          params={"as_of": AS_OF, "min_n": 1},
                          headers={**world.keys["manager_a"], "Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    _, rows = read_csv_export(response.text)
    assert [r["provider_name"] for r in rows] == [r["provider_name"] for r in json_rows]
    assert list(rows[0]) == list(json_rows[0])


def test_check_compliance_and_data_timeliness(client, world):
    c = world.contract_a
    start = D + timedelta(days=10)
    events = [
        ev(c, "K1", "referral", D, payment_group="jsa_ex_ib", provider_id=world.s1),
        ev(c, "K1", "attachment", D + timedelta(days=1)),
        ev(c, "K1", "job_start", start),
        ev(c, "K1", "in_work_check", start + timedelta(days=28), milestone="D28",
           result="in_work"),  # on time; D91 (due 2024-06-10) never checked
    ]
    # An admin backfill: two events reported 2 days after they happened, two 30 days after.
    for i, event in enumerate(events):
        lag = 2 if i < 2 else 30
        event["reported_at"] = f"{date.fromisoformat(event['event_date']) + timedelta(days=lag)}" \
                               "T12:00:00Z"
    assert client.post("/api/v1/events", json=events,
                       headers=world.keys["admin"]).status_code == 200
    row = next(r for r in table(client, world, "manager_a", as_of="2024-06-30", to="2024-06-30")[
        "rows"] if r["provider_id"] == world.s1)
    assert row["check_compliance"] == 0.5  # D28 on time, D91 overdue
    assert row["data_timeliness"] == 0.5
    # D91 counts from as_of = due + 7 (DOMAIN.md section 4), not the day before.
    row = next(r for r in table(client, world, "manager_a", as_of="2024-06-16", to="2024-06-16")[
        "rows"] if r["provider_id"] == world.s1)
    assert row["check_compliance"] == 1.0
