"""Milestones: the in-work checks a provider's staff must make, overdue first or due this
week, with their participant references; filter by status, provider and the month they were
due (where a month of the provider page's check compliance leads), export to CSV."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.core.timeutil import today
from app.performance import exports, service
from app.supply_chain.service import list_organisations
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import send_export
from dashboard.components.filters import InForce, filter_bar, filter_control, parse_filters
from dashboard.components.formatting import day
from dashboard.components.grid import explained, grid, metric
from dashboard.components.grid_state import grid_state, keep_in_url
from dashboard.components.league_data import chosen_contract, download_window
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/milestones", name="Milestones", order=5,
                   title="Milestones - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))

# The page's status choices: the service's statuses plus "due this week" (pending, due by
# as_of + 7 days), which is what staff plan their calls from.
STATUSES = {"overdue": "Overdue", "due_week": "Due this week", "pending": "All pending",
            "late": "Checked late", "on_time": "Checked on time", "early": "Checked early",
            "cancelled": "Cancelled", "all": "All"}
PAGE_ROWS = 1000  # the service's largest page; the grid shows one page, the export all


@dataclass(frozen=True)
class CheckFilters:
    """The page's own filters, from the URL: status, provider and month due (YYYY-MM)."""
    status: str = "overdue"
    provider_id: int | None = None
    due_month: str | None = None

    def due_range(self) -> tuple[date | None, date | None]:
        if self.due_month is None:
            return None, None
        year, month = (int(part) for part in self.due_month.split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def check_filters(query: dict[str, str], errors: list[str]) -> CheckFilters:
    status = query.get("status", "overdue")
    if status not in STATUSES:
        status = "overdue"
    provider = (query.get("provider") or "").strip()
    provider_id = int(provider) if provider.isdigit() and len(provider) <= 9 else None
    if provider and provider_id is None:
        errors.append(f"provider: '{provider}' is not a provider id; ignored")
    month = (query.get("due_month") or "").strip()
    try:
        due_month = date.fromisoformat(f"{month}-01").strftime("%Y-%m") if month else None
    except ValueError:
        errors.append(f"due_month: '{month}' is not a month (YYYY-MM); ignored")
        due_month = None
    return CheckFilters(status, provider_id, due_month)


def service_filters(checks: CheckFilters, as_of: date
                    ) -> tuple[str | None, date | None, date | None]:
    """The page's filters as the service's status and first and last due dates."""
    due_from, due_to = checks.due_range()
    if checks.status == "due_week":
        week_end = as_of + timedelta(days=7)
        due_to = week_end if due_to is None else min(due_to, week_end)
    return ({"due_week": "pending", "all": None}.get(checks.status, checks.status),
            due_from, due_to)


def fetch(session: Session, principal: Principal, contract_id: int, checks: CheckFilters,
          as_of: date, *, every_page: bool) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    """Rows (with provider names), the counts by status, and whether more rows exist."""
    service_status, due_from, due_to = service_filters(checks, as_of)
    names = provider_names(session, principal)
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    cursor = None
    while True:
        found = service.milestones(session, principal, contract_id,
                                   PageParams(limit=PAGE_ROWS, cursor=cursor),
                                   status=service_status, as_of=as_of,
                                   provider_id=checks.provider_id, due_from=due_from,
                                   due_to=due_to)
        for row in found.rows:
            values = row.model_dump(mode="json")
            values["provider_name"] = names.get(row.provider_id, f"provider {row.provider_id}")
            values["days_past_due"] = (as_of - row.due_date).days
            rows.append(values)
        counts = found.counts if found.counts is not None else counts  # the first page's
        cursor = found.next_cursor
        if cursor is None or not every_page:
            return rows, counts, cursor is not None


def provider_names(session: Session, principal: Principal) -> dict[int, str]:
    return {org.id: org.name for org in list_organisations(
        session, principal, PageParams(limit=1000))[0]}


def columns() -> list[dict[str, Any]]:
    return [
        {"field": "participant_ref", "headerName": "Participant", "pinned": "left"},
        {"field": "provider_name", "headerName": "Provider"},
        {"field": "milestone", "headerName": "Check", **explained("in-work-check")},
        {"field": "due_date", "headerName": "Due", "filter": "agDateColumnFilter"},
        metric("days_past_due", "days-since-due"),
        {"field": "status", "headerName": "Status", **explained("check-status")},
        {"field": "checked_on", "headerName": "Checked on"},
        {"field": "result", "headerName": "Result"},
    ]


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    checks = check_filters(query, filters.errors)
    status = checks.status
    as_of = filters.as_of or today()
    rows, counts, more = fetch(session, principal, contract_id, checks, as_of,
                               every_page=False)
    names = provider_names(session, principal)
    controls = [
        filter_control("status", "Status", status, width=2, options=[
            {"label": label, "value": value} for value, label in STATUSES.items()]),
        filter_control("provider", "Provider", checks.provider_id, width=3, options=[
            {"label": "All providers", "value": ""}] + [
            {"label": name, "value": str(org_id)}
            for org_id, name in sorted(names.items(), key=lambda item: item[1])]),
        filter_control("due_month", "Due in month", checks.due_month, kind="month", width=2),
    ]
    badges = html.P([html.Span(f"{STATUSES[name]}: {counts.get(name, 0):,}",
                               className="badge text-bg-light border me-2")
                     for name in ("overdue", "pending", "late", "on_time")],
                    role="group", **aria_label("Checks by status"))
    state = grid_state(query, columns())
    filters.errors += state.errors
    body: Any
    if not rows:
        body = empty_state(f"No checks: {STATUSES[status].lower()}",
                           "Nothing to chase here. Choose another status to see the rest.")
    else:
        body = grid("milestones-grid", rows, state.columns, **state.options)
    return html.Div([
        page_header("Milestones", f"In-work checks as of {day(as_of)}: a check is overdue once "
                                  "7 days have passed since it was due without a result."),
        filter_bar(filters, contracts, period=False, horizon=False, extra=controls,
                   in_force=InForce(as_of=as_of)),
        badges,
        html.Div([dbc.Button("Download CSV", id="milestones-export", color="primary",
                             size="sm", className="me-2"),
                  dbc.Button("Download Excel", id="milestones-export-xlsx", color="secondary",
                             size="sm"),
                  dcc.Download(id="milestones-download")], className="mb-2"),
        dbc.Alert(f"Showing the first {PAGE_ROWS:,} by due date; the download has them all.",
                  color="secondary", className="py-1 small") if more else None,
        body,
    ])


layout = guarded(render, "milestones")
keep_in_url("milestones-grid")


@callback(Output("milestones-download", "data"), Input("milestones-export", "n_clicks"),
          Input("milestones-export-xlsx", "n_clicks"), State("_pages_location", "search"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    window = download_window(search)
    checks = check_filters(window.query, [])
    as_of = window.filters.as_of or today()
    service_status, due_from, due_to = service_filters(checks, as_of)
    with db_session() as session:
        table = exports.milestones_export(session, window.principal, window.contract_id,
                                          as_of=as_of,
                                          status=service_status,
                                          provider_id=checks.provider_id, due_from=due_from,
                                          due_to=due_to)
    return send_export(table, "xlsx" if dash.ctx.triggered_id == "milestones-export-xlsx"
                       else "csv")
