"""The URL's grid arguments: what each becomes for AG Grid, and what is ignored with a note."""

from typing import Any

from dashboard.components.grid import CHAR_PX, MONEY, number, sized
from dashboard.components.grid_state import grid_state

COLUMNS = [number("rate", "Outcome rate"), number("referrals", "Referrals"),
           {"field": "sector", "headerName": "Sector"},
           {"field": "due", "headerName": "Due", "filter": "agDateColumnFilter"},
           {"field": "note", "headerName": "Note", "filter": False, "sortable": False}]


def test_sort_and_filters_become_the_grids_initial_state() -> None:
    state = grid_state({
        "sort": "rate:desc,referrals:asc", "contract": "3",
        "filter.rate": "inRange:0.2:0.5", "filter.sector": "contains:public: local, ltd",
        "filter.referrals": "blank", "filter.due": "lessThan:2026-01-31",
    }, COLUMNS)
    assert state.errors == []
    sorts = {c["field"]: (c.get("sort"), c.get("sortIndex")) for c in state.columns}
    assert sorts == {"rate": ("desc", 0), "referrals": ("asc", 1), "sector": (None, None),
                     "due": (None, None), "note": (None, None)}
    assert state.options["initialState"]["filter"]["filterModel"] == {
        "rate": {"filterType": "number", "type": "inRange", "filter": 0.2, "filterTo": 0.5},
        "sector": {"filterType": "text", "type": "contains", "filter": "public: local, ltd"},
        "referrals": {"filterType": "number", "type": "blank"},
        "due": {"filterType": "date", "type": "lessThan", "dateFrom": "2026-01-31 00:00:00",
                "dateTo": None},
    }


def test_two_conditions_come_as_ag_grids_own_model_in_json() -> None:
    state = grid_state({"filter.rate": '{"operator":"OR","conditions":[{"filterType":"number",'
                                       '"type":"lessThan","filter":0.1},{"type":"greaterThan",'
                                       '"filter":0.9}]}'}, COLUMNS)
    assert state.errors == []
    assert state.options["initialState"]["filter"]["filterModel"]["rate"] == {
        "filterType": "number", "operator": "OR",
        "conditions": [{"filterType": "number", "type": "lessThan", "filter": 0.1},
                       {"filterType": "number", "type": "greaterThan", "filter": 0.9}]}


def test_a_second_grid_reads_only_its_own_keyed_arguments() -> None:
    state = grid_state({"sort": "rate:desc", "coefficients.sort": "referrals:desc",
                        "filter.rate": "equals:1"}, COLUMNS, key="coefficients")
    assert [c["field"] for c in state.columns if c.get("sort")] == ["referrals"]
    assert state.options == {} and state.errors == []


def test_what_cannot_be_applied_is_ignored_with_a_note() -> None:
    state = grid_state({
        "sort": "rate:up,nonsense:asc,note:asc,referrals,referrals:desc",
        "filter.rate": "greaterThan:lots", "filter.nonsense": "equals:1",
        "filter.sector": "between:a", "filter.note": "contains:x",
        "filter.referrals": "{not json", "filter.due": "lessThan:31/01/2026",
    }, COLUMNS)
    assert [c["field"] for c in state.columns if c.get("sort")] == ["referrals"]
    assert state.options == {}
    assert state.errors == [
        "sort: 'rate:up' is not a column of this table with asc or desc; ignored",
        "sort: 'nonsense:asc' is not a column of this table with asc or desc; ignored",
        "sort: 'note:asc' is not a column of this table with asc or desc; ignored",
        "sort: 'referrals:desc' is not a column of this table with asc or desc; ignored",
        "filter.rate: 'greaterThan:lots' is not a filter of this table; ignored",
        "filter.nonsense: 'equals:1' is not a filter of this table; ignored",
        "filter.sector: 'between:a' is not a filter of this table; ignored",
        "filter.note: 'contains:x' is not a filter of this table; ignored",
        "filter.referrals: '{not json' is not a filter of this table; ignored",
        "filter.due: 'lessThan:31/01/2026' is not a filter of this table; ignored",
    ]


def test_columns_are_as_wide_as_their_header_or_widest_value() -> None:
    """Widths from the rows on the server (no autoSize in the browser): a column fits its
    header on one line and its widest value as the formatter writes it, over a width given
    (as autoSize did); a wrapping column keeps its own."""
    columns: list[dict[str, Any]] = [
        {"field": "provider_link", "headerName": "Provider", "cellRenderer": "markdown",
         "minWidth": 220},
        {"field": "total", "headerName": "Fees", "valueFormatter": MONEY},
        {"field": "summary", "headerName": "Summary", "wrapText": True},
        {"field": "n", "headerName": "A long header for a count", "width": 50}]
    rows: list[dict[str, Any]] = [
        {"provider_link": f"[{'W' * 40}](/dashboard/providers/1)", "total": 12345678.0,
         "summary": "x" * 500, "n": 1},
        {"provider_link": "[A](/x)", "total": None, "summary": "", "n": 2}]
    link, total, summary, n = sized(columns, rows)
    assert link["width"] >= 40 * CHAR_PX > 220  # the name, not its link
    assert total["width"] >= len("£12,345,678") * CHAR_PX
    assert "width" not in summary
    assert n["width"] >= len("A long header for a count") * CHAR_PX > 50
    assert sized(columns, [])[0]["width"] == 220  # no rows: the header, at least minWidth
