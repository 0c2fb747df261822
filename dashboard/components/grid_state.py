"""A grid's sort and column filters in the page's URL, so a sorted, filtered table is a link
that survives reload and back, and can be saved or shared.

The encoding (docs/decisions.md, "Grid sort and filters in the URL"), readable and stable:

    sort=rate:desc,referrals:asc            columns in sort priority, each asc or desc
    filter.rate=greaterThan:0.5             one condition: AG Grid's type, then its value
    filter.rate=inRange:0.2:0.5             a range: from, then to
    filter.sector=contains:public, local    text: everything after the first colon
    filter.due_date=lessThan:2026-01-31     dates as ISO dates
    filter.sector=blank                     a type without a value
    filter.rate={"operator":"AND","conditions":[...]}   two conditions (the column menu's):
                                            AG Grid's own model, as compact JSON

A page with more than one grid gives the others a key: `providers.sort=...`,
`providers.filter.rate=...`. None of these names is a page filter's (contract, from, to,
as_of, horizon, status...), and `Filters.query()`, which builds links between pages, never
carries them: a sort means something only on its own grid.

Reading happens on the server as the page is drawn (`grid_state`): what cannot be applied is
ignored with a note, as parse_filters does. Writing happens in the browser (`keep_in_url`):
`history.replaceState` changes the address without a navigation, so the pages router, which
draws the page again whenever `_pages_location` changes, does not redraw it."""

import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dash import Input, clientside_callback

NUMBER_TYPES = ("equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan",
                "greaterThanOrEqual", "inRange", "blank", "notBlank")
TEXT_TYPES = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith",
              "blank", "notBlank")
DATE_TYPES = ("equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank")
TYPES = {"number": NUMBER_TYPES, "text": TEXT_TYPES, "date": DATE_TYPES}
NO_VALUE = ("blank", "notBlank")
MAX_TEXT = 200  # as the filter bar's boxes


@dataclass
class GridState:
    """What the page passes to `grid()`: the columns with the URL's sort, and the grid
    options that apply the URL's filters; `errors` are the notes for the filter bar."""
    columns: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parameter(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _filter_kind(column: dict[str, Any]) -> str | None:
    chosen = column.get("filter", True)
    if chosen is False:
        return None
    return {"agNumberColumnFilter": "number", "agDateColumnFilter": "date"}.get(
        chosen if isinstance(chosen, str) else "", "text")


def _number(text: Any) -> float | int:
    if isinstance(text, bool):
        raise ValueError
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return int(value) if value.is_integer() else value


def _date(text: Any) -> str:
    return f"{date.fromisoformat(str(text)[:10]).isoformat()} 00:00:00"  # AG Grid's form


def _condition(kind: str, type_: str, values: list[Any]) -> dict[str, Any]:
    """One condition as AG Grid's model; ValueError when it cannot be one."""
    if type_ not in TYPES[kind]:
        raise ValueError
    condition: dict[str, Any] = {"filterType": kind, "type": type_}
    if type_ in NO_VALUE:
        return condition
    wanted = 2 if type_ == "inRange" else 1
    if len(values) != wanted or kind == "text" and not str(values[0]):
        raise ValueError
    if kind == "number":
        condition["filter"] = _number(values[0])
        if wanted == 2:
            condition["filterTo"] = _number(values[1])
    elif kind == "date":
        condition["dateFrom"] = _date(values[0])
        condition["dateTo"] = _date(values[1]) if wanted == 2 else None
    else:
        condition["filter"] = str(values[0])[:MAX_TEXT]
    return condition


def _from_model(kind: str, model: Any) -> dict[str, Any]:
    """A condition as AG Grid wrote it (inside the JSON form), checked as the text form is."""
    if not isinstance(model, dict):
        raise ValueError
    type_ = str(model.get("type"))
    if kind == "date":
        values = [model.get("dateFrom"), model.get("dateTo")]
    else:
        values = [model.get("filter"), model.get("filterTo")]
    return _condition(kind, type_, [v for v in values if v is not None][:2])


def parse_filter(kind: str, text: str) -> dict[str, Any]:
    """A column's filter from its URL value; ValueError when it cannot be applied."""
    if text.startswith("{"):
        combined = json.loads(text)
        conditions = combined.get("conditions") if isinstance(combined, dict) else None
        if combined.get("operator") not in ("AND", "OR") or not isinstance(conditions, list) \
                or not 1 <= len(conditions) <= 2:
            raise ValueError
        return {"filterType": kind, "operator": combined["operator"],
                "conditions": [_from_model(kind, c) for c in conditions]}
    type_, _, rest = text.partition(":")
    if kind == "text":
        return _condition(kind, type_, [rest] if rest else [])
    return _condition(kind, type_, rest.split(":") if rest else [])


def grid_state(query: dict[str, str], columns: list[dict[str, Any]],
               key: str = "") -> GridState:
    """The URL's sort and filters for a grid of these columns (see the module docstring)."""
    by_field = {c["field"]: c for c in columns if "field" in c}
    errors: list[str] = []
    sort_name = parameter(key, "sort")
    sorted_by: dict[str, str] = {}
    for item in filter(None, (query.get(sort_name) or "").split(",")):
        name, _, direction = item.strip().partition(":")
        direction = direction or "asc"
        if name not in by_field or by_field[name].get("sortable") is False \
                or direction not in ("asc", "desc") or name in sorted_by:
            errors.append(f"{sort_name}: '{item[:60]}' is not a column of this table with "
                          "asc or desc; ignored")
            continue
        sorted_by[name] = direction
    prefix = parameter(key, "filter.")
    model: dict[str, Any] = {}
    for name, text in query.items():
        if not name.startswith(prefix):
            continue
        column = name.removeprefix(prefix)
        kind = _filter_kind(by_field[column]) if column in by_field else None
        try:
            if kind is None:
                raise ValueError
            model[column] = parse_filter(kind, text)
        except (ValueError, TypeError, AttributeError):  # json's errors are ValueErrors
            errors.append(f"{name}: '{text[:60]}' is not a filter of this table; ignored")
    sorted_columns = [
        {**column, "sort": sorted_by[column["field"]],
         "sortIndex": list(sorted_by).index(column["field"])}
        if column.get("field") in sorted_by else column for column in columns]
    options = {"initialState": {"filter": {"filterModel": model}}} if model else {}
    return GridState(sorted_columns, options, errors)


# In the browser: the grid's sort (its columnState) and filters (its filterModel) written into
# the query string in place, the page's other arguments kept. The inverse of parse_filter.
_WRITE_URL = """
function(columnState, filterModel) {
    const prefix = %s;
    // A grid's last event can arrive after a link has opened another page: not this grid's URL.
    if (!document.getElementById(%s)) { return window.dash_clientside.no_update; }
    const query = new URLSearchParams(window.location.search);
    const sort = (columnState || []).filter(function(c) { return c.sort; })
        .sort(function(a, b) { return (a.sortIndex || 0) - (b.sortIndex || 0); })
        .map(function(c) { return c.colId + ":" + c.sort; }).join(",");
    if (sort) { query.set(prefix + "sort", sort); } else { query.delete(prefix + "sort"); }
    Array.from(query.keys()).filter(function(k) { return k.startsWith(prefix + "filter."); })
        .forEach(function(k) { query.delete(k); });
    const value = function(m) {
        if (m.dateFrom !== undefined) {
            return [m.type, m.dateFrom && m.dateFrom.slice(0, 10),
                    m.dateTo && m.dateTo.slice(0, 10)];
        }
        return [m.type, m.filter, m.filterTo];
    };
    Object.entries(filterModel || {}).forEach(function([column, m]) {
        const text = m.conditions
            ? JSON.stringify({operator: m.operator, conditions: m.conditions})
            : value(m).filter(function(v) { return v !== null && v !== undefined; }).join(":");
        query.set(prefix + "filter." + column, text);
    });
    // Colons and commas kept as they are: legal in a query, and the URL stays readable.
    const search = Array.from(query.entries()).map(function([k, v]) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(v)
            .replace(/%%3A/g, ":").replace(/%%2C/g, ",");
    }).join("&");
    const address = window.location.pathname + (search ? "?" + search : "")
        + window.location.hash;
    if (address !== window.location.pathname + window.location.search + window.location.hash) {
        window.history.replaceState(window.history.state, "", address);
    }
    return window.dash_clientside.no_update;
}
"""


def keep_in_url(grid_id: str, key: str = "") -> None:
    """Register, at the page module's import, the callback that writes the grid's state into
    the URL. `key` names a page's second grid's parameters (`providers.sort`)."""
    prefix = json.dumps(f"{key}." if key else "")
    clientside_callback(_WRITE_URL % (prefix, json.dumps(grid_id)),
                        Input(grid_id, "columnState"), Input(grid_id, "filterModel"),
                        prevent_initial_call=True)
