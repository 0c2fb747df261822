"""GET /contracts/{id}/payments-earned: fees by month from the tariff row in force, running
totals, the forecast of docs/metrics.md's worked example rebuilt from events, scoping, CSV."""

from datetime import date

import pytest

from app.performance import payments
from tests.helpers import read_csv_export
from tests.ingest.events import ev

AS_OF = "2025-04-30"


def load(client, world):
    """Default tariff from 2024-01-01: attachment 400 in 2024 and 300 in 2025; jsa_ex_ib
    outcome 1,200 and sustainment 250.
    third: T1 attached 15 Dec 2024 (400), outcome 17 Mar 2025 (1,200), sustainment 1 on
    14 Apr (250); T2 attached 5 Jan 2025 (300). private: V1 attached 3 Jan 2025 (300)."""
    c = world.contract_a
    group = {"payment_group": "jsa_ex_ib"}
    batches = {
        "s1": [
            ev(c, "T1", "referral", "2024-11-20", provider_id=world.s1, **group),
            ev(c, "T1", "attachment", "2024-12-15"),
            ev(c, "T1", "job_start", "2024-12-16"),
            ev(c, "T1", "job_outcome", "2025-03-17"),  # 16 Dec + 91 days
            ev(c, "T1", "sustainment", "2025-04-14", number=1),  # outcome + 28 days
            ev(c, "T2", "referral", "2024-12-20", provider_id=world.s1, **group),
            ev(c, "T2", "attachment", "2025-01-05"),
        ],
        "s2": [
            ev(c, "V1", "referral", "2025-01-02", provider_id=world.s2, **group),
            ev(c, "V1", "attachment", "2025-01-03"),
        ],
    }
    for who, events in batches.items():
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def earned(client, headers, contract_id, expect=200, **params):
    response = client.get(f"/api/v1/contracts/{contract_id}/payments-earned",
                          params={"as_of": AS_OF, **params}, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def monthly(body, provider_id):
    return [(r["month"], r["attachments"], r["outcomes"], r["sustainments"], r["total"],
             r["cumulative_total"]) for r in body["rows"] if r["provider_id"] == provider_id]


@pytest.fixture()
def reviewer(world) -> dict[str, str]:
    return world.keys["reviewer"]


def test_fees_by_month_with_running_totals(client, world):
    load(client, world)
    body = earned(client, world.keys["manager_a"], world.contract_a)
    assert (body["from"], body["to"], body["as_of"]) == ("2024-01-01", AS_OF, AS_OF)
    assert body["next_cursor"] is None
    # From the first month with a paid event to as_of's month, zero months included.
    assert monthly(body, world.s1) == [
        ("2024-12", 1, 0, 0, "400.00", "400.00"),
        ("2025-01", 1, 0, 0, "300.00", "700.00"),  # year two's attachment fee
        ("2025-02", 0, 0, 0, "0.00", "700.00"),
        ("2025-03", 0, 1, 0, "1200.00", "1900.00"),
        ("2025-04", 0, 0, 1, "250.00", "2150.00"),
    ]
    assert monthly(body, world.s2) == [
        ("2024-12", 0, 0, 0, "0.00", "0.00"), ("2025-01", 1, 0, 0, "300.00", "300.00"),
        ("2025-02", 0, 0, 0, "0.00", "300.00"), ("2025-03", 0, 0, 0, "0.00", "300.00"),
        ("2025-04", 0, 0, 0, "0.00", "300.00")]
    third = next(r for r in body["rows"] if r["provider_id"] == world.s1)
    assert third["provider_name"] == "S1 Community Trust"
    totals = {t["provider_id"]: t for t in body["totals"]}
    assert {k: totals[world.s1][k] for k in (
        "attachments", "outcomes", "sustainments", "attachment_fees", "outcome_fees",
        "sustainment_fees", "total")} == {
        "attachments": 2, "outcomes": 1, "sustainments": 1, "attachment_fees": "700.00",
        "outcome_fees": "1200.00", "sustainment_fees": "250.00", "total": "2150.00"}
    assert totals[world.s2]["total"] == "300.00"


def test_the_same_totals_as_the_league_table(client, world, db):
    load(client, world)
    db.rollback()  # see the requests' commits
    start, as_of = date(2024, 1, 1), date.fromisoformat(AS_OF)
    expected = {world.s1: 2150, world.s2: 300}
    assert payments.earned_by_provider(db, world.contract_a, start, as_of) == expected
    response = client.get(f"/api/v1/contracts/{world.contract_a}/league-table",
                          params={"as_of": AS_OF, "from": "2024-01-01", "min_n": 1},
                          headers=world.keys["manager_a"])
    rows = {r["provider_id"]: r["payments_earned"] for r in response.json()["rows"]}
    assert (rows[world.s1], rows[world.s2]) == ("2150.00", "300.00")


def test_a_window_of_event_dates(client, world):
    load(client, world)
    body = earned(client, world.keys["manager_a"], world.contract_a, **{
        "from": "2025-01-01", "to": "2025-03-31"})
    assert monthly(body, world.s1) == [
        ("2025-01", 1, 0, 0, "300.00", "300.00"), ("2025-02", 0, 0, 0, "0.00", "300.00"),
        ("2025-03", 0, 1, 0, "1200.00", "1500.00")]
    # as_of before `to` cuts the events off at as_of.
    body = earned(client, world.keys["manager_a"], world.contract_a, as_of="2025-01-04")
    assert monthly(body, world.s2)[-1] == ("2025-01", 1, 0, 0, "300.00", "300.00")
    assert monthly(body, world.s1)[-1] == ("2025-01", 0, 0, 0, "0.00", "400.00")
    earned(client, world.keys["manager_a"], world.contract_a, expect=422,
           **{"from": "2025-02-01", "to": "2025-01-31"})


def test_the_forecast_for_a_participant_with_an_outcome(client, world):
    load(client, world)
    body = earned(client, world.keys["manager_a"], world.contract_a)
    # T1: outcome 17 Mar, sustainment 1 on 14 Apr; sustainment 2 (due 12 May) is open on
    # 30 Apr. History: the one participant whose step 1 is settled reached it (p1 = 1); nobody
    # has a settled step 2 yet, so p2 = 0 and nothing is expected so far.
    assert body["forecast"] == [{
        "provider_id": world.s1, "provider_name": "S1 Community Trust",
        "in_work_without_outcome": 0, "with_outcome": 1, "expected_outcomes": 0.0,
        "expected_sustainments": 0.0, "expected_outcome_fees": "0.00",
        "expected_sustainment_fees": "0.00", "expected_total": "0.00"}]
    assert body["estimates"] == [{
        "payment_group": "jsa_ex_ib", "outcome_weeks": 13, "max_sustainments": 20,
        "outcome_probability": [1.0] * 13, "sustainment_continuation": [1.0] + [0.0] * 19}]


def test_scoping(client, world, reviewer):
    load(client, world)
    c = world.contract_a
    both = {world.s1, world.s2}
    assert {r["provider_id"] for r in earned(client, world.keys["manager_a"], c)["rows"]} == both
    assert {r["provider_id"] for r in earned(client, world.keys["admin"], c)["rows"]} == both
    # A reviewer reads aggregates across providers.
    assert {r["provider_id"] for r in earned(client, reviewer, c)["rows"]} == both
    # A provider sees its own rows only, and answers 404 for another's.
    third = earned(client, world.keys["s1"], c)
    assert {r["provider_id"] for r in third["rows"]} == {world.s1}
    assert {r["provider_id"] for r in third["totals"]} == {world.s1}
    assert "S2 Employment" not in str(third)
    assert earned(client, world.keys["s2"], c)["forecast"] == []
    earned(client, world.keys["s1"], c, expect=404, provider_id=world.s2)
    assert earned(client, world.keys["s1"], c, provider_id=world.s1)["rows"]
    # The prime's in-house staff see the in-house rows: none here.
    inhouse = earned(client, world.keys["inhouse_a"], c)
    assert inhouse["rows"] == [] and inhouse["forecast"] == []
    # The prime may narrow to one provider; nobody may ask for one outside the contract.
    one = earned(client, world.keys["manager_a"], c, provider_id=world.s2)
    assert {r["provider_id"] for r in one["rows"]} == {world.s2}
    assert one["forecast"] == []
    earned(client, world.keys["admin"], c, expect=404, provider_id=world.prime_b)
    earned(client, world.keys["manager_b"], c, expect=404)


def test_a_provider_asked_for_with_nothing_earned_gets_a_zero_row(client, world):
    body = earned(client, world.keys["manager_a"], world.contract_a,
                  provider_id=world.s3)
    assert monthly(body, world.s3) == [("2025-04", 0, 0, 0, "0.00", "0.00")]
    assert body["forecast"] == [] and body["forecast_total"] == "0.00"


def test_csv_has_the_monthly_rows(client, world):
    load(client, world)
    json_rows = earned(client, world.keys["manager_a"], world.contract_a)["rows"]
    for params, headers in (({"format": "csv"}, {}), ({}, {"Accept": "text/csv"})):
        response = client.get(f"/api/v1/contracts/{world.contract_a}/payments-earned",
                              params={"as_of": AS_OF, **params},
                              headers={**world.keys["manager_a"], **headers})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        _, rows = read_csv_export(response.text)
        assert list(rows[0]) == list(json_rows[0])
        assert [(r["provider_id"], r["month"], r["cumulative_total"]) for r in rows] == [
            (str(r["provider_id"]), r["month"], r["cumulative_total"]) for r in json_rows]


def test_bad_parameters_answer_422(client, world):
    for params in ({"from": "2024-13-01"}, {"as_of": "9999-12-31"}, {"provider_id": 0},
                   {"format": "pdf"}):
        response = client.get(f"/api/v1/contracts/{world.contract_a}/payments-earned",
                              params=params, headers=world.keys["manager_a"])
        assert response.status_code == 422, (params, response.text)


# -- docs/metrics.md, "Payments and forecast", worked example, from events ------------------------
def doc_contract(client, world) -> int:
    """A contract whose jsa_ex_ib outcome needs 4 weeks in work, with 2 sustainments:
    outcome 1,000, sustainment 100 (no attachment fee)."""
    admin = world.keys["admin"]
    response = client.post("/api/v1/contracts", headers=admin, json={
        "prime_id": world.prime_a, "cpa_code": "CPA9", "cpa_name": "Forecastshire",
        "start_date": "2024-01-01", "end_date": "2029-12-31",
        "tariff": [{"payment_group": "jsa_ex_ib", "valid_from": "2024-01-01",
                    "attachment_fee": "0.00", "outcome_fee": "1000.00",
                    "sustainment_fee": "100.00", "max_sustainments": 2, "outcome_weeks": 4}]})
    assert response.status_code == 201, response.text
    contract_id = response.json()["id"]
    for provider in (world.s1, world.s2):
        response = client.post(f"/api/v1/contracts/{contract_id}/members", headers=admin,
                               json={"provider_id": provider, "tier": 1,
                                     "contracted_share": "0.3"})
        assert response.status_code == 201, response.text
    return contract_id


def doc_events(c, world):
    third, private = world.s1, world.s2

    def person(ref, provider, referred, start, end=None, outcome=None, sustainments=()):
        events = [ev(c, ref, "referral", referred, payment_group="jsa_ex_ib",
                     provider_id=provider),
                  ev(c, ref, "attachment", referred), ev(c, ref, "job_start", start)]
        if end:
            events.append(ev(c, ref, "job_end", end))
        if outcome:
            events.append(ev(c, ref, "job_outcome", outcome))
        events += [ev(c, ref, "sustainment", day, number=n)
                   for n, day in enumerate(sustainments, start=1)]
        return events

    return [
        *person("A", third, "2024-02-01", "2024-02-02", outcome="2024-03-01",
                sustainments=("2024-03-29", "2024-04-26")),
        *person("B", private, "2024-02-01", "2024-02-02", outcome="2024-03-01"),
        *person("C", third, "2024-04-01", "2024-04-22", outcome="2024-05-20",
                sustainments=("2024-06-17",)),
        *person("D", private, "2024-05-01", "2024-05-13", outcome="2024-06-10"),
        *person("P3", third, "2024-02-01", "2024-03-01", end="2024-03-11"),  # 10 days
        *person("P4", private, "2024-02-01", "2024-03-01", end="2024-03-21"),  # 20 days
        *person("P7", third, "2024-02-01", "2024-03-01", end="2024-03-26"),  # 25 days
        *person("P5", third, "2024-06-01", "2024-06-22"),  # 8 days on 30 June
        *person("P6", private, "2024-05-01", "2024-06-08"),  # 22 days on 30 June
    ]


def test_forecast_reproduces_the_metrics_doc_example(client, world, reviewer):
    c = doc_contract(client, world)
    response = client.post("/api/v1/events", json=doc_events(c, world),
                           headers=world.keys["admin"])
    assert response.status_code == 200, response.text
    body = earned(client, world.keys["manager_a"], c, as_of="2024-06-30")
    assert body["estimates"] == [{
        "payment_group": "jsa_ex_ib", "outcome_weeks": 4, "max_sustainments": 2,
        "outcome_probability": [3 / 5, 3 / 5, 24 / 35, 4 / 5],
        "sustainment_continuation": [2 / 3, 1.0]}]
    rows = {r["provider_id"]: r for r in body["forecast"]}
    assert rows[world.s1] == {
        "provider_id": world.s1, "provider_name": "S1 Community Trust",
        "in_work_without_outcome": 1, "with_outcome": 1, "expected_outcomes": 0.6,
        "expected_sustainments": 1.8, "expected_outcome_fees": "600.00",
        "expected_sustainment_fees": "180.00", "expected_total": "780.00"}
    assert rows[world.s2] == {
        "provider_id": world.s2, "provider_name": "S2 Employment Ltd",
        "in_work_without_outcome": 1, "with_outcome": 1, "expected_outcomes": 0.8,
        "expected_sustainments": 2.4, "expected_outcome_fees": "800.00",
        "expected_sustainment_fees": "240.00", "expected_total": "1040.00"}
    assert body["forecast_total"] == "1820.00"
    # A provider gets its own forecast row with the contract's estimates; a reviewer all rows.
    third = earned(client, world.keys["s1"], c, as_of="2024-06-30")
    assert [r["provider_id"] for r in third["forecast"]] == [world.s1]
    assert third["forecast"][0] == rows[world.s1]
    assert third["estimates"] == body["estimates"]
    assert earned(client, reviewer, c, as_of="2024-06-30")["forecast"] == body["forecast"]


def test_an_exit_ends_the_forecast(client, world):
    c = doc_contract(client, world)
    events = [*doc_events(c, world), ev(c, "P5", "exit", "2024-06-25", reason="left_early"),
              ev(c, "D", "exit", "2024-06-29", reason="moved_area")]
    assert client.post("/api/v1/events", json=events,
                       headers=world.keys["admin"]).status_code == 200
    rows = {r["provider_id"]: r for r in earned(client, world.keys["manager_a"], c,
                                                as_of="2024-06-30")["forecast"]}
    assert (rows[world.s1]["in_work_without_outcome"],
            rows[world.s2]["with_outcome"]) == (0, 0)
    # The day before the exits, both were still counted.
    rows = {r["provider_id"]: r for r in earned(client, world.keys["manager_a"], c,
                                                as_of="2024-06-24")["forecast"]}
    assert (rows[world.s1]["in_work_without_outcome"],
            rows[world.s2]["with_outcome"]) == (1, 1)


def test_a_new_batch_of_events_renews_the_cached_forecast(client, world):
    """The pass over the events is cached per data version: the next batch must show."""
    load(client, world)
    c = world.contract_a
    before = earned(client, world.keys["manager_a"], c)
    assert world.s2 not in {r["provider_id"] for r in before["forecast"]}
    assert earned(client, world.keys["manager_a"], c)["forecast"] == before["forecast"]
    response = client.post("/api/v1/events", json=[ev(c, "V1", "job_start", "2025-04-01")],
                           headers=world.keys["s2"])
    assert response.status_code == 200, response.text
    after = {r["provider_id"]: r for r in earned(client, world.keys["manager_a"], c)["forecast"]}
    assert after[world.s2]["in_work_without_outcome"] == 1
