"""The risk model in the league table and its report over HTTP (DOMAIN.md section 10, API.md
"Fair comparison"): docs/metrics.md's risk-model worked example ingested as events with
characteristics, its numbers out of the league table and GET risk-model; scoping and
anonymisation for a subcontractor; the CSV's new columns."""

import math
from datetime import date

from tests.helpers import read_csv_export
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)
AS_OF = "2025-06-01"
Z95, Z998 = 1.959964, 3.090232
A, B = "jsa_25_plus", "esa_ex_ib"


def load_worked_example(client, world):
    """Alder = s1, Birch = s2: docs/metrics.md "Risk model: worked example", refs
    <a|b>-<group>-<level>-NN with the outcomes numbered first (calibration orders by them)."""
    rows = [("s1", A, "yes", 30, 6), ("s1", A, "no", 40, 24), ("s1", B, "no", 10, 5),
            ("s2", A, "yes", 10, 4), ("s2", A, "no", 20, 6), ("s2", B, "yes", 40, 8),
            ("s2", B, "no", 60, 25)]
    c = world.contract_a
    batches: dict[str, list[dict]] = {"s1": [], "s2": []}
    for who, group, level, n, outcomes in rows:
        provider = getattr(world, who)
        for i in range(1, n + 1):
            ref = f"{'ab'[who == 's2']}-{group}-{level}-{i:02d}"
            events = (journey(c, ref, provider, D, group, 26 if group == A else 13)
                      if i <= outcomes else
                      [ev(c, ref, "referral", D, payment_group=group, provider_id=provider)])
            events[0]["characteristics"] = {"health_condition": level}
            batches[who].extend(events)
    for who, events in batches.items():
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == []
    # Payment group and health condition; two providers are enough units to estimate phi.
    response = client.patch(f"/api/v1/contracts/{c}", headers=world.headers["admin"], json={
        "settings": {"risk_covariates": ["health_condition"], "od_min_units": 2}})
    assert response.status_code == 200, response.text


def get(client, world, who, path, **params):
    return client.get(f"/api/v1/contracts/{world.contract_a}/{path}",
                      params={"as_of": AS_OF, **params}, headers=world.keys[who])


def test_league_table_takes_expected_from_the_risk_model(client, world):
    load_worked_example(client, world)
    response = get(client, world, "manager_a", "league-table")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["risk_model"]["covariates"] == ["payment_group", "health_condition"]
    assert body["risk_model"]["n"] == 210
    assert math.isclose(body["risk_model"]["c_statistic"], 6568 / 10296, abs_tol=1e-12)
    rows = {r["provider_id"]: r for r in body["rows"]}
    alder, birch = rows[world.s1], rows[world.s2]
    assert (alder["eligible"], alder["outcomes"], birch["eligible"], birch["outcomes"]) == (
        80, 35, 130, 43)
    assert math.isclose(alder["expected"], 445 / 14, abs_tol=1e-9)
    assert math.isclose(birch["expected"], 647 / 14, abs_tol=1e-9)
    assert math.isclose(alder["performance_index"], 35 / (445 / 14), abs_tol=1e-9)
    assert math.isclose(alder["adjusted_rate"], 35 / (445 / 14) * 78 / 210, abs_tol=1e-9)
    # Section 5's funnel around p0 = X / E, now with the fitted X.
    p0 = 445 / 14 / 80
    assert math.isclose(alder["funnel_lower_95"], p0 - Z95 * math.sqrt(p0 * (1 - p0) / 80),
                        abs_tol=1e-9)
    # Overdispersion over the two units, by hand (DOMAIN.md section 10).
    v = {"a": 30 * 3 / 16 + 10 + 120 / 49, "b": 30 / 16 + 5 + 6.4 + 720 / 49}
    x = {"a": 445 / 14, "b": 647 / 14}
    o = {"a": 35, "b": 43}
    s2 = {k: v[k] / x[k] ** 2 for k in x}
    z = sorted(math.log(o[k] / x[k]) / math.sqrt(s2[k]) for k in x)
    q10, q90 = z[0] + 0.1 * (z[1] - z[0]), z[0] + 0.9 * (z[1] - z[0])
    phi = sum(min(max(zk, q10), q90) ** 2 for zk in z) / 2
    od = body["overdispersion"]
    assert od["units"] == 2 and math.isclose(od["phi"], phi, abs_tol=1e-9)
    tau2 = 0.0
    if phi > 1:
        w = [1 / s2[k] for k in x]
        tau2 = max(0.0, (2 * phi - 1) / (sum(w) - sum(wk * wk for wk in w) / sum(w)))
    assert math.isclose(od["tau2"], tau2, abs_tol=1e-12)
    spread = math.sqrt(s2["a"] + tau2)
    assert math.isclose(alder["pi_lower_95"], math.exp(-Z95 * spread), abs_tol=1e-9)
    assert math.isclose(alder["pi_upper_998"], math.exp(Z998 * spread), abs_tol=1e-9)
    assert alder["rag_od"] == "green" and alder["high_outlier_od"] is False
    w_a = tau2 / (tau2 + s2["a"])
    y_a = math.log((35 + 0.5) / (x["a"] + 0.5))
    assert math.isclose(alder["shrunk_pi"], math.exp(w_a * y_a), abs_tol=1e-9)
    assert alder["shrunk_pi_low"] <= alder["shrunk_pi"] <= alder["shrunk_pi_high"]
    # Nobody eligible: every new figure null.
    prime = rows[world.prime_a]
    assert all(prime[name] is None for name in ("pi_lower_95", "rag_od", "shrunk_pi"))

    response = get(client, world, "manager_a", "league-table", format="csv")
    _block, csv_rows = read_csv_export(response.text)
    header = list(csv_rows[0])
    assert header[-9:] == ["pi_lower_95", "pi_upper_95", "pi_lower_998", "pi_upper_998",
                           "rag_od", "high_outlier_od", "shrunk_pi", "shrunk_pi_low",
                           "shrunk_pi_high"]


def test_the_model_report_is_the_worked_example(client, world):
    load_worked_example(client, world)
    response = get(client, world, "manager_a", "risk-model")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["covariates"] == ["payment_group", "health_condition"]
    assert report["reference_levels"] == [{"covariate": "payment_group", "level": B},
                                          {"covariate": "health_condition", "level": "no"}]
    assert report["merged_levels"] == [] and report["converged"] is True
    assert (report["n"], report["outcomes"]) == (210, 78)
    assert math.isclose(report["deviance"], 263.8038017778, abs_tol=1e-9)
    assert math.isclose(report["c_statistic"], 0.6379176379, abs_tol=1e-9)
    assert [(g["decile"], g["n"], g["observed"]) for g in report["calibration"]] == [
        (d, 21, o) for d, o in enumerate([8, 2, 4, 8, 16, 10, 0, 18, 6, 6])]
    expected = [4.2, 4.3, 5.25, 4.25 + 12 / 7, 9, 9, 9, 9 / 7 + 9, 10.5, 10.5]
    for group, e in zip(report["calibration"], expected, strict=True):
        assert math.isclose(group["expected"], e, abs_tol=1e-9)
    terms = {c["term"]: c for c in report["coefficients"]}
    assert list(terms) == ["intercept", f"payment_group={A}", "health_condition=yes"]
    yes = terms["health_condition=yes"]
    assert math.isclose(yes["estimate"], -math.log(3), abs_tol=1e-9)
    assert yes["ci_low"] < yes["estimate"] < yes["ci_high"]
    named = {p["provider_id"]: p for p in report["providers"]}
    assert named[world.s1]["rank"] == 1 and named[world.s1]["raw_rank"] == 1


def test_a_subcontractor_sees_the_report_and_its_own_shrunk_estimate_others_anonymised(
        client, world):
    load_worked_example(client, world)
    for path in ("league-table", "risk-model"):
        response = get(client, world, "s1", path)
        assert response.status_code == 200, response.text
        rows = response.json()["rows" if path == "league-table" else "providers"]
        own = [r for r in rows if r["provider_id"] == world.s1]
        assert len(own) == 1 and own[0]["shrunk_pi"] is not None
        others = [r for r in rows if r["provider_id"] != world.s1]
        assert others and all(r["provider_id"] is None for r in others)
        assert all(r["provider_name"].startswith("Provider ") for r in others)
        # Performance figures stay on anonymised rows, as the PI does.
        birch = next(r for r in others if r["eligible"] == 130)
        assert birch["shrunk_pi"] is not None
    # Another contract's provider does not see that the contract exists.
    assert get(client, world, "sb", "risk-model").status_code == 404
