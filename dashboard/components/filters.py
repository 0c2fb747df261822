"""Query-string filters: every page's state is its URL, so a filtered view can be shared.

A page parses its query arguments with `parse_filters`, draws its controls with `filter_bar`,
and the one callback here writes the controls' values back to the URL; the pages router then
draws the page again from the new URL."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, clientside_callback, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.supply_chain.service import list_contracts
from dashboard.components.page import aria_label

HORIZONS = list(range(3, 25))


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
    contracts, _ = list_contracts(session, principal, PageParams(limit=1000))
    return [{"label": f"{c.cpa_code} {c.cpa_name}", "value": str(c.id)} for c in contracts]


def _control(label: str, control: Any, width: int = 3) -> dbc.Col:
    # The control sits inside its <label>: a pattern-matching id cannot be a label's `for`.
    return dbc.Col(html.Label([html.Span(label, className="d-block mb-1 small"), control],
                              className="w-100"), md=width, className="mb-2")


def filter_control(name: str, label: str, value: Any, *, kind: str = "text",
                   options: list[dict[str, Any]] | None = None, width: int = 3) -> dbc.Col:
    """One labelled control; its value goes to the URL as `name`."""
    ident = {"type": "url-filter", "name": name}
    text = "" if value is None else str(value)
    if options is not None:
        # dbc.Select shows its placeholder for the value "": the label of our "" choice.
        empty = next((o["label"] for o in options if o["value"] == ""), "")
        control = dbc.Select(id=ident, options=options, value=text, html_size="sm",
                             placeholder=empty)
    else:
        control = dbc.Input(id=ident, type=kind, value=text, debounce=True, size="sm")
    return _control(label, control, width)


def filter_bar(filters: Filters, contracts: list[dict[str, Any]], *, period: bool = True,
               horizon: bool = True, as_of: bool = True,
               extra: list[dbc.Col] | None = None) -> html.Div:
    """The contract, period, as-of and horizon controls, and any of the page's own."""
    columns = [filter_control("contract", "Contract", filters.contract_id, options=contracts)]
    if period:
        columns += [filter_control("from", "Referred from", filters.period_from, kind="date",
                                   width=2),
                    filter_control("to", "Referred to", filters.period_to, kind="date",
                                   width=2)]
    if as_of:
        columns.append(filter_control("as_of", "As of", filters.as_of, kind="date", width=2))
    if horizon:
        columns.append(filter_control(
            "horizon", "Horizon (months)", filters.horizon, width=2,
            options=[{"label": "contract default", "value": ""}]
            + [{"label": str(h), "value": str(h)} for h in HORIZONS]))
    columns += extra or []
    notes = [dbc.Alert(error, color="warning", className="py-1 small mb-1")
             for error in filters.errors]
    return html.Div([*notes, html.Div(dbc.Row(columns, className="g-2"), role="search",
                                      **aria_label("Filters"))], className="mb-3")


# In the browser: writing the URL needs no server. Dash calls it when a page's controls are
# drawn too, reporting every control at once; only a user's change (one control) moves the URL.
clientside_callback(
    """
    function(values, ids) {
        const triggered = dash_clientside.callback_context.triggered;
        if (values.length > 1 && triggered.length !== 1) {
            return dash_clientside.no_update;
        }
        const query = new URLSearchParams();
        ids.forEach(function(id, i) {
            const value = values[i];
            if (value !== null && value !== undefined && value !== "") {
                query.set(id.name, value);
            }
        });
        return "?" + query.toString();
    }
    """,
    Output("_pages_location", "search"),
    Input({"type": "url-filter", "name": ALL}, "value"),
    State({"type": "url-filter", "name": ALL}, "id"),
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
