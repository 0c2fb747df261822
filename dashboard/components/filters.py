"""Query-string filters: every page's state is its URL, so a filtered view can be shared.

A page parses its query arguments with `parse_filters`, draws its controls with `filter_bar`,
and the one callback here writes the controls' values back to the URL; the pages router then
draws the page again from the new URL. Date boxes show the dates in force (the page's
defaults when the URL names none) as DD/MM/YYYY; date presets are links to the same page with
the preset's period in the URL."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.supply_chain.service import list_contracts
from dashboard.components.page import aria_label

HORIZONS = list(range(3, 25))
# The value a dropdown's "no filter" choice ("contract default", "All contracts") carries in
# the page: dbc.Select always draws a hidden placeholder option of value "", which the browser
# would select (showing a blank box) for "". The URL callback leaves this value out.
NO_FILTER = "-"
DATE_FORMAT = "DD/MM/YYYY"  # en-GB, in the date boxes


@dataclass(frozen=True)
class InForce:
    """The values a page used, defaults included: what its controls show."""
    period_from: date | None = None
    period_to: date | None = None
    as_of: date | None = None
    horizon: int | None = None


@dataclass(frozen=True)
class DatePreset:
    label: str
    period_from: date
    period_to: date


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def date_presets(as_of: date, contract_start: date | None) -> list[DatePreset]:
    """Referral periods people ask for, relative to the as-of date: the last whole calendar
    quarter, the UK financial year to date (from 1 April), the contract year running on as_of
    (from the latest anniversary of the contract's start), and the last 12 months."""
    quarter_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    last_quarter_end = quarter_start - timedelta(days=1)
    last_quarter_start = date(last_quarter_end.year, last_quarter_end.month - 2, 1)
    financial_year = date(as_of.year if as_of.month >= 4 else as_of.year - 1, 4, 1)
    presets = [DatePreset("Last quarter", last_quarter_start, last_quarter_end),
               DatePreset("Year to date", financial_year, as_of)]
    if contract_start is not None and contract_start <= as_of:
        years = as_of.year - contract_start.year
        anniversary = _add_years(contract_start, years)
        if anniversary > as_of:
            anniversary = _add_years(contract_start, years - 1)
        presets.append(DatePreset("Contract year", anniversary, as_of))
    presets.append(DatePreset("Last 12 months", _add_years(as_of, -1) + timedelta(days=1),
                              as_of))
    return presets


@dataclass
class Filters:
    contract_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    as_of: date | None = None
    horizon: int | None = None
    errors: list[str] = field(default_factory=list)

    def query(self, **extra: Any) -> str:
        """The query string of these filters (plus `extra`), for links between pages."""
        values = {"contract": self.contract_id, "from": self.period_from,
                  "to": self.period_to, "as_of": self.as_of, "horizon": self.horizon, **extra}
        return "?" + urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _date(query: dict[str, str], name: str, errors: list[str]) -> date | None:
    text = (query.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{name}: '{text}' is not a date (YYYY-MM-DD); ignored")
        return None


def _int(query: dict[str, str], name: str, errors: list[str], low: int, high: int,
         meaning: str) -> int | None:
    text = (query.get(name) or "").strip()
    if not text:
        return None
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    errors.append(f"{name}: '{text}' is not {meaning}; ignored")
    return None


def parse_filters(query: dict[str, str]) -> Filters:
    errors: list[str] = []
    return Filters(
        contract_id=_int(query, "contract", errors, 1, 2**31 - 1, "a contract id"),
        period_from=_date(query, "from", errors), period_to=_date(query, "to", errors),
        as_of=_date(query, "as_of", errors),
        horizon=_int(query, "horizon", errors, 3, 24, "a horizon of 3 to 24 months"),
        errors=errors)


def contract_options(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The contracts as choices; `start` (the contract's start) is for the date presets and is
    not passed to the control."""
    contracts, _ = list_contracts(session, principal, PageParams(limit=1000))
    return [{"label": f"{c.cpa_code} {c.cpa_name}", "value": str(c.id),
             "start": c.start_date.isoformat()} for c in contracts]


def contract_in_view(session: Session, principal: Principal, filters: Filters
                     ) -> list[dict[str, Any]]:
    """The contract choices. Sets `filters.contract_id` to the contract the page shows: the
    URL's, else the first the principal may see (so the control shows the choice); None when
    it sees none, for the page's empty state."""
    contracts = contract_options(session, principal)
    if filters.contract_id is None and contracts:
        filters.contract_id = int(contracts[0]["value"])
    return contracts


def contract_of_search(session: Session, principal: Principal, search: str | None) -> int:
    """For a callback: the contract its page shows for the URL's query string (nothing to do
    when the principal sees no contract)."""
    filters = parse_filters(dict(parse_qsl((search or "").lstrip("?"))))
    contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        raise PreventUpdate
    return filters.contract_id


def _control(label: str, control: Any, width: int = 3) -> dbc.Col:
    # The control sits inside its <label>: a pattern-matching id cannot be a label's `for`.
    return dbc.Col(html.Label([html.Span(label, className="d-block mb-1 small"), control],
                              className="w-100"), md=width, className="mb-2")


def filter_control(name: str, label: str, value: Any, *, kind: str = "text",
                   options: list[dict[str, Any]] | None = None, width: int = 3) -> dbc.Col:
    """One labelled control; its value goes to the URL as `name`."""
    ident = {"type": "url-filter", "name": name}
    text = "" if value is None else str(value)
    control: Any
    if options is not None:
        # No placeholder: dbc.Select drew it as one more option with the label of our ""
        # choice, so that choice was listed twice. Our "" choice carries NO_FILTER instead.
        has_no_filter = any(o["value"] == "" for o in options)
        control = dbc.Select(
            id=ident, html_size="sm", value=text or (NO_FILTER if has_no_filter else ""),
            options=[{"label": o["label"], "value": o["value"] or NO_FILTER} for o in options])
    elif kind == "date":
        control = dcc.DatePickerSingle(
            id={"type": "url-date", "name": name}, date=text or None,
            # Dash draws the placeholder as the box's aria-label: the label's words, so the
            # box is named as its label says (the value shows the format).
            display_format=DATE_FORMAT, placeholder=label, first_day_of_week=1,
            clearable=True, className="w-100")
    else:
        control = dbc.Input(id=ident, type=kind, value=text, debounce=True, size="sm")
    return _control(label, control, width)


def _preset_dates(preset: DatePreset) -> dict[str, Any]:
    """What assets/presets.js reads from the span around a preset's link."""
    return {"data-preset-from": preset.period_from.isoformat(),
            "data-preset-to": preset.period_to.isoformat()}


def preset_links(filters: Filters, contracts: list[dict[str, Any]],
                 as_of: date, label: str = "Referral period") -> html.Div:
    """Links to this page with a preset referral period (and the URL's other filters; in the
    browser, assets/presets.js keeps everything else the address holds at the click, a grid's
    sort included)."""
    start = next((o.get("start") for o in contracts
                  if o["value"] == str(filters.contract_id or "")), None)
    links = [html.Span(dcc.Link(preset.label,
                                className="btn btn-outline-secondary btn-sm me-1 mb-1",
                                href=filters.query(contract=filters.contract_id,
                                                   **{"from": preset.period_from,
                                                      "to": preset.period_to})),
                       **_preset_dates(preset))
             for preset in date_presets(as_of, date.fromisoformat(start) if start else None)]
    return html.Div([html.Span(f"{label}: ", className="small me-1"), *links],
                    className="mb-1", role="group", **aria_label("Date presets"))


def filter_bar(filters: Filters, contracts: list[dict[str, Any]], *, period: bool = True,
               horizon: bool = True, as_of: bool = True,
               extra: list[dbc.Col] | None = None,
               in_force: InForce | None = None, dated: str = "Referred") -> html.Div:
    """The contract, period, as-of and horizon controls, and any of the page's own; with
    `in_force`, the controls show the values the page used where the URL names none, and the
    period comes with date presets. `dated`: what the period's dates are of ("Referred" from
    and to; the payments page's are the fees' events)."""
    shown = in_force or InForce()
    columns = [filter_control("contract", "Contract", filters.contract_id, options=contracts)]
    if period:
        columns += [filter_control("from", f"{dated} from",
                                   filters.period_from or shown.period_from, kind="date",
                                   width=2),
                    filter_control("to", f"{dated} to", filters.period_to or shown.period_to,
                                   kind="date", width=2)]
    if as_of:
        columns.append(filter_control("as_of", "As of", filters.as_of or shown.as_of,
                                      kind="date", width=2))
    if horizon:
        columns.append(filter_control(
            "horizon", "Horizon (months)", filters.horizon or shown.horizon, width=2,
            options=[{"label": "contract default", "value": ""}]
            + [{"label": str(h), "value": str(h)} for h in HORIZONS]))
    columns += extra or []
    notes = [dbc.Alert(error, color="warning", className="py-1 small mb-1")
             for error in filters.errors]
    as_of_shown = filters.as_of or shown.as_of
    presets = (preset_links(filters, contracts, as_of_shown,
                            "Referral period" if dated == "Referred" else "Period")
               if period and as_of_shown is not None else None)
    return html.Div([*notes, html.Div([dbc.Row(columns, className="g-2"), presets],
                                      role="search", **aria_label("Filters"))],
                    className="mb-3")


# In the browser: writing the URL needs no server. Dash calls it when a page's controls are
# drawn too, reporting every control at once; only a user's change (one control) moves the URL.
clientside_callback(
    """
    function(values, dates, ids, dateIds) {
        const triggered = dash_clientside.callback_context.triggered;
        if (values.length + dates.length > 1 && triggered.length !== 1) {
            return dash_clientside.no_update;
        }
        // The grid's sort and filters stay (dashboard/components/grid_state.py): the same
        // table, other figures.
        const query = new URLSearchParams();
        new URLSearchParams(window.location.search).forEach(function(value, name) {
            if (/(^|\\.)(sort$|filter\\.)/.test(name)) { query.set(name, value); }
        });
        ids.concat(dateIds).forEach(function(id, i) {
            const value = values.concat(dates)[i];
            if (value !== null && value !== undefined && value !== "" && value !== "-") {
                query.set(id.name, String(value).slice(0, id.type === "url-date" ? 10 : 200));
            }
        });
        // Colons and commas as they are (legal in a query): the grid's sort stays readable.
        return "?" + query.toString().replace(/%3A/g, ":").replace(/%2C/g, ",");
    }
    """,
    Output("_pages_location", "search"),
    Input({"type": "url-filter", "name": ALL}, "value"),
    Input({"type": "url-date", "name": ALL}, "date"),
    State({"type": "url-filter", "name": ALL}, "id"),
    State({"type": "url-date", "name": ALL}, "id"),
    prevent_initial_call=True,
)


def parse_choice(query: dict[str, str], name: str, allowed: Collection[str],
                 errors: list[str]) -> str | None:
    """A query argument that must be one of `allowed`; anything else is noted and ignored."""
    text = (query.get(name) or "").strip()
    if not text:
        return None
    if text in allowed:
        return text
    errors.append(f"{name}: '{text}' is not one of {', '.join(allowed)}; ignored")
    return None


def any_contract(contracts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract choices with "All contracts" first (pages that list across contracts)."""
    return [{"label": "All contracts", "value": ""}, *contracts]
