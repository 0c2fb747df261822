"""Each member's review status for a published quarter (DOMAIN.md section 11): meets, below
but not significantly, below expectation (significant, or two published quarters running),
against its own expectations or the contract's."""

import pytest

from app.performance.review import judge, previous_quarter
from tests.performance.test_ratings_api import API, load, publish


@pytest.mark.parametrize(("index", "lower", "minimum", "previous", "status", "words"), [
    (0.90, 0.6, 0.85, None, "meets", "meets the minimum of 0.85"),
    (0.85, 0.6, 0.85, 0.10, "meets", "meets"),  # at the minimum meets it
    (0.80, 0.6, 0.85, None, "below_not_significant", "within 0.51"),
    (0.80, None, 0.85, None, "below_not_significant", "too few participants"),
    (0.50, 0.6, 0.85, None, "below_expectation", "more than chance"),  # 0.50 < 0.51
    (0.80, 0.6, 0.85, 0.84, "below_expectation", "second published quarter running"),
    (0.80, 0.6, 0.85, 0.86, "below_not_significant", "may be chance"),  # last quarter met
    (None, None, 0.85, 0.50, None, "Not rated"),
])
def test_judge(index, lower, minimum, previous, status, words):
    verdict = judge(index, lower, minimum, previous, "2025Q4")
    assert verdict.status == status
    assert words in verdict.words
    if lower is not None and index is not None:
        assert verdict.significance_limit == pytest.approx(minimum * lower)


def test_the_previous_quarter_crosses_a_year():
    assert (previous_quarter("2025Q1"), previous_quarter("2025Q3")) == ("2024Q4", "2025Q2")


def status_of(client, world, who="manager_a", quarter="2025Q1", expect=200):
    response = client.get(f"{API}/contracts/{world.contract_a}/review-status",
                          params={"quarter": quarter}, headers=world.keys[who])
    assert response.status_code == expect, response.text
    return response.json()


def test_each_members_status_from_the_published_rating(client, world):
    load(client, world)
    status_of(client, world, expect=404)  # nothing published yet
    published = publish(client, world)
    rows = {r["provider_id"]: r for r in published["table"]["rows"]}
    body = status_of(client, world)
    assert body["rating_id"] == published["id"]
    mine = {r["provider_id"]: r for r in body["rows"]}
    third, private = mine[world.s1], mine[world.s2]
    # S1: three outcomes of three, above the pooled rate: meets the contract's 0.85.
    assert third["status"] == "meets" and third["minimum"] == 0.85
    assert third["performance_index"] == rows[world.s1]["performance_index"] > 1
    # S2: one of three, below 0.85; the limit under the minimum is m x the row's pi_lower_95.
    assert private["performance_index"] == rows[world.s2]["performance_index"] < 0.85
    assert private["significance_limit"] == pytest.approx(
        0.85 * rows[world.s2]["pi_lower_95"])
    assert private["status"] == ("below_expectation"
                                 if private["performance_index"] < private["significance_limit"]
                                 else "below_not_significant")
    assert private["reasons"][0].startswith(
        f"Performance index {private['performance_index']:.2f} is below the minimum of 0.85")
    assert (private["previous_quarter"], private["previous_performance_index"]) == (
        "2024Q4", None)


def test_a_members_own_expectation_is_judged_and_on_record(client, world):
    load(client, world)
    publish(client, world)
    path = f"{API}/contracts/{world.contract_a}/members/{world.s2}/expectations"
    refused = client.put(path, json={"min_performance_index": 0.4},
                         headers=world.keys["manager_a"])
    assert refused.status_code == 422 and "reason" in refused.text
    answer = client.put(path, json={"min_performance_index": 0.4, "reason": "New to the "
                                    "contract: its first year is judged more gently"},
                        headers=world.keys["manager_a"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"contract_id": world.contract_a, "provider_id": world.s2,
                             "min_performance_index": 0.4, "check_compliance_min": 0.9,
                             "data_timeliness_min": 0.8,
                             "overridden": ["min_performance_index"]}
    private = {r["provider_id"]: r for r in status_of(client, world)["rows"]}[world.s2]
    assert (private["minimum"], private["status"]) == (0.4, "meets")
    # The member reads its own expectations and status, and no other member's.
    assert client.get(path, headers=world.keys["s2"]).json()["min_performance_index"] == 0.4
    assert [r["provider_id"] for r in status_of(client, world, who="s1")["rows"]] == [world.s1]
    other = f"{API}/contracts/{world.contract_a}/members/{world.s2}/expectations"
    assert client.get(other, headers=world.keys["s1"]).status_code == 404
    # A member may not set its own.
    assert client.put(path, json={"min_performance_index": 0.1, "reason": "mine"},
                      headers=world.keys["s2"]).status_code == 403


def test_an_index_just_below_its_minimum_is_not_printed_equal_to_it():
    verdict = judge(0.8493, 0.6, 0.85, None, "2025Q4")
    assert verdict.words.startswith("Performance index 0.849 is below the minimum of 0.85")
