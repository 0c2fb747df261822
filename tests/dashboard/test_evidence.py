"""The evidence renderer (dashboard.components.evidence) on shapes the rules store."""

import json
from typing import Any

import plotly

from dashboard.components.evidence import evidence_table, value_view


def as_json(component: Any) -> Any:
    return json.loads(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))


def test_plain_values_read_as_words() -> None:
    values: list[Any] = [None, True, False, 0.1234567, "on_improvement_plan", "2024-01-01",
                         "jsa_25_plus", 7, [], {}, ["a_b", 2]]
    assert [value_view(v) for v in values] == [
        "\u2014", "Yes", "No", "0.1235", "On improvement plan", "2024-01-01", "jsa_25_plus",
        "7", "\u2014", "\u2014", "A b, 2"]


def test_a_list_of_records_is_a_table_with_a_column_per_field() -> None:
    table = as_json(value_view([{"status_change_id": 3, "status": "active"},
                                {"status_change_id": 4, "status": "suspended", "extra": None}]))
    head, body = table["props"]["children"]
    assert [th["props"]["children"] for th in head["props"]["children"]["props"]["children"]] \
        == ["Status change id", "Status", "Extra"]
    cells = [[td["props"]["children"] for td in tr["props"]["children"]]
             for tr in body["props"]["children"]]
    assert cells == [["3", "Active", "\u2014"], ["4", "Suspended", "\u2014"]]


def test_nested_records_have_no_id_and_the_top_table_has_its_own() -> None:
    evidence = {"before": {"from": "2024-01-01", "share": 0.1},
                "downgrades": [{"from": "active", "to": "suspended"}],
                "mixed": [1, {"a": [2, 3]}]}
    table = as_json(evidence_table(evidence, table_id="flag-evidence"))
    assert table["props"]["id"] == "flag-evidence"
    text = json.dumps(table)
    assert text.count('"id"') == 1
    assert all(word in text for word in ("Before", "Downgrades", "Suspended", "2, 3"))
