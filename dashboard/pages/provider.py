"""One provider's page: its league-table row for the page's filters (rate, expected outcomes,
performance index, RAG and ranks, from the league table's own service call), its cohort curves
against the contract's, in-work check compliance month by month, payments earned with the
forecast still expected, and its compliance flags and the complaints it raised on the
contract. Which providers a user may open is the performance service's scope: another
provider's id answers not found. The flags and complaints come from their services with the
signed-in principal, already scoped and redacted: a complaint raised in confidence is not
listed for the prime's staff (the filter never matches it).

A month of the check-compliance chart opens that month's checks on the milestones page (and
the months are links under it). The cohort curves and the payments chart open nothing: no
page lists a cohort's participants or the fee events behind a month."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.schemas import ComplaintDetail
from app.complaints.service import list_complaints
from app.compliance.schemas import FlagFilters, FlagRead
from app.compliance.service import list_flags
from app.core.pagination import PageParams
from app.performance import schemas, service
from app.performance.overdispersion import judged_rag
from app.specialists import schemas as specialist_schemas
from app.specialists import service as specialists
from app.supply_chain.service import get_organisation
from dashboard.auth import PREFIX
from dashboard.components.charts import TEMPLATE, drill_down, drill_graph, drill_links
from dashboard.components.complaints import sla_lines
from dashboard.components.explain import explained_heading, what_is
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import (
    DASH,
    OKABE_ITO,
    complaint_status_label,
    day,
    flag_status_label,
    money,
    pct,
    rag_label,
    severity_label,
)
from dashboard.components.league_data import chosen_contract
from dashboard.components.page import (
    aria_label,
    empty_state,
    guarded,
    not_found,
    page_header,
)

# Reached from the league table and, for a provider's staff, the menu ("My provider").
dash.register_page(__name__, path_template="/providers/<provider_id>", name="My provider",
                   order=4, title="Provider - chainboard", nav_roles=("provider_user",),
                   nav_own_provider=True)


def _layout(fig: go.Figure, y_title: str, y_format: str = ".0%") -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=340, yaxis_title=y_title,
                      yaxis_tickformat=y_format, margin={"t": 20, "l": 60, "r": 20},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def cohort_figure(cohorts: schemas.CohortsOut, name: str) -> go.Figure:
    """The life tables (never falling: at a long month only the oldest cohorts are eligible,
    and pooling their rate alone would make the curve drop)."""
    fig = go.Figure()
    for label, points, colour, dash_style in (
            (name, cohorts.life_table, OKABE_ITO["blue"], "solid"),
            ("whole contract", cohorts.contract_life_table or [], OKABE_ITO["orange"], "dash")):
        shown = [p for p in points if p.rate is not None]
        fig.add_trace(go.Scatter(
            x=[p.month_since_referral for p in shown], y=[p.rate for p in shown],
            customdata=[p.at_risk for p in shown],
            mode="lines+markers", name=label, line={"color": colour, "dash": dash_style},
            hovertemplate="month %{x}: %{y:.1%} (%{customdata:,} still without an outcome "
                          "and eligible)<extra>" + label + "</extra>"))
    fig.update_xaxes(title="Months since referral")
    return _layout(fig, "Cumulative job-outcome rate")


def month_checks(contract_id: int, provider_id: int, month: str, as_of: date | None) -> str:
    """The milestones page listing the provider's checks due in `month` (YYYY-MM), whatever
    their status: the counts there say how many were on time and late."""
    query = {"contract": contract_id, "provider": provider_id, "due_month": month,
             "status": "all", "as_of": as_of}
    return f"{PREFIX}milestones?" + urlencode({k: v for k, v in query.items() if v})


def compliance_figure(months: list[schemas.ComplianceMonthOut],
                      checks_of: Callable[[str], str]) -> go.Figure:
    """Check compliance by month; a click on a month lists its checks (`checks_of`)."""
    fig = go.Figure(go.Scatter(
        x=[m.month for m in months], y=[m.check_compliance for m in months],
        mode="lines+markers", name="check compliance", line={"color": OKABE_ITO["blue"]},
        customdata=[[checks_of(m.month), m.on_time, m.checks_due] for m in months],
        hovertemplate="%{x}: %{y:.1%} (%{customdata[1]} of %{customdata[2]} on time; "
                      "click to list the checks)<extra></extra>"))
    fig.add_hline(y=0.9, line={"dash": "dash", "color": OKABE_ITO["vermillion"]},
                  annotation_text="90% contract threshold")
    fig.update_xaxes(title="Month the checks were due")
    return _layout(fig, "On-time checks")


def payments_figure(payments: schemas.PaymentsOut, forecast: Decimal) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=[r.month for r in payments.rows], y=[float(r.cumulative_total) for r in payments.rows],
        mode="lines+markers", name="cumulative fees earned", line={"color": OKABE_ITO["blue"]},
        hovertemplate="%{x}: \u00a3%{y:,.0f}<extra></extra>"))
    if payments.rows and forecast:
        # The forecast has no month (fees fall due as each participant reaches an outcome or
        # a sustainment), so it is a level, not a point: what the total comes to if it is paid.
        total = payments.rows[-1].cumulative_total + forecast
        fig.add_hline(y=float(total), line={"color": OKABE_ITO["orange"], "dash": "dash"},
                      annotation_text=f"with the forecast still expected: {money(total)}",
                      annotation_position="top left")
    fig.update_xaxes(title="Month")
    fig.update_yaxes(tickprefix="\u00a3")
    return _layout(fig, "Cumulative fees earned", ",.0f")


def area_name(area: str) -> str:
    return area.replace("_", " ").capitalize()


def _spread(high: float | None, low: float | None) -> float:
    """An error bar's length; none without an interval (one participant)."""
    return 0.0 if high is None or low is None else high - low


def progress_figure(progress: specialist_schemas.ProgressOut) -> go.Figure:
    """One bar per assessment area: the mean change in score (last minus first), with its
    95% interval as the error bar (none for one participant)."""
    rows = {row.area: row for row in progress.rows}
    areas = [a for a in progress.areas if a in rows]
    means = [rows[a].mean_change for a in areas]
    figure = go.Figure(go.Bar(
        x=[area_name(a) for a in areas], y=means, marker_color=OKABE_ITO["blue"],
        error_y={"type": "data", "symmetric": False, "color": OKABE_ITO["black"],
                 "array": [_spread(rows[a].ci_high, rows[a].mean_change) for a in areas],
                 "arrayminus": [_spread(rows[a].mean_change, rows[a].ci_low) for a in areas]},
        customdata=[[rows[a].participants, rows[a].mean_first, rows[a].mean_last]
                    for a in areas],
        hovertemplate="%{x}: mean change %{y:+.2f} over %{customdata[0]} people "
                      "(from %{customdata[1]:.1f} to %{customdata[2]:.1f})<extra></extra>"))
    figure.add_hline(y=0, line_color=OKABE_ITO["black"], line_width=1)
    return _layout(figure, "Mean change in score (1 to 10)", "+.1f")


def progress_section(progress: specialist_schemas.ProgressOut) -> Any:
    if not progress.rows:
        return empty_state("No distance travelled yet",
                           "It shows once people have been assessed twice, at least "
                           f"{progress.min_gap_days // 7} weeks apart.")
    words = "; ".join(
        f"{area_name(r.area)} {r.mean_change:+.2f}"
        + (f" (95% interval {r.ci_low:+.2f} to {r.ci_high:+.2f})"
           if r.ci_low is not None and r.ci_high is not None else "")
        + f", {r.participants} people" for r in progress.rows)
    return html.Div([
        dcc.Graph(id="provider-progress", figure=progress_figure(progress),
                  config={"displaylogo": False}),
        html.P(f"Mean change by area: {words}. Never part of the ranking.",
               className="small", id="provider-progress-words")])


def section(title: str, *children: Any, slug: str | None = None,
            **attributes: Any) -> html.Section:
    """A part of the page; `slug`: the glossary term of the figure it draws, beside its title."""
    heading = html.H2(title, className="h5 mt-4")
    if slug is not None:
        heading = html.H2([title, what_is(slug, f"what-{slug}")], className="h5 mt-4")
    return html.Section([heading, *children], **attributes)


Row = TypeVar("Row")
PAGE_ROWS = 1000


def every_page(read: Callable[[PageParams], tuple[list[Row], str | None]]) -> list[Row]:
    """All the rows of a keyset-paged service list."""
    rows, cursor = read(PageParams(limit=PAGE_ROWS))
    while cursor is not None:
        more, cursor = read(PageParams(limit=PAGE_ROWS, cursor=cursor))
        rows += more
    return rows


def flags_table(flags: list[FlagRead], contract_id: int) -> Any:
    if not flags:
        return empty_state("No compliance flags about this provider on this contract",
                           "Flags appear when a Merlin Standard or contract rule finds a "
                           "problem: how the prime treats this provider (referrals, payments, "
                           "exits, complaints) or its own contract obligations. The rules run "
                           "after every change and nightly.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Flag", "Rule", "Severity", "Summary", "Status")]))
    return dbc.Table([head, html.Tbody([html.Tr([
        html.Td(html.A(f"#{f.id} {f.rule}",
                       href=f"{PREFIX}compliance/flags/{f.id}?contract={contract_id}")),
        html.Td(f.title), html.Td(severity_label(f.severity)), html.Td(f.summary),
        html.Td(flag_status_label(f.status) + (" (cleared)" if f.cleared_at else "")),
    ], id=f"provider-flag-{f.id}") for f in flags])], bordered=True, hover=True,
        responsive=True, size="sm", id="provider-flags-table")


def complaints_table(complaints: list[ComplaintDetail], principal: Principal) -> Any:
    if not complaints:
        hint = ("Raise one from the Complaints page if the prime does not keep to the "
                "Merlin Standard or the contract." if principal.role == "provider_user" else
                "Complaints this provider raises against its prime appear here with their "
                "deadlines.")
        return empty_state("No complaints raised by this provider on this contract", hint)
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "#", "Title", "Status", "Submitted", "SLA clock")]))
    return dbc.Table([head, html.Tbody([html.Tr([
        html.Td(str(c.id)),
        html.Td(html.A(c.title, href=f"{PREFIX}complaints/{c.id}")),
        html.Td(complaint_status_label(c.status)),
        html.Td(c.submitted_at.strftime("%Y-%m-%d")),
        html.Td(html.Ul([html.Li(line) for line in sla_lines(c)],
                        className="list-unstyled mb-0 small")),
    ], id=f"provider-complaint-{c.id}") for c in reversed(complaints)])],  # newest first
        bordered=True, hover=True, responsive=True, size="sm", id="provider-complaints-table")


def flags_and_complaints(session: Session, principal: Principal, contract_id: int,
                         provider_id: int) -> html.Section:
    flags = every_page(lambda page: list_flags(
        session, principal, FlagFilters(contract_id=contract_id, subject_org_id=provider_id),
        page))
    complaints = every_page(lambda page: list_complaints(
        session, principal, page, contract_id=contract_id, complainant_org_id=provider_id))
    confidential_note = (html.P("Complaints raised in confidence are never listed here for "
                                "the prime's staff: they show on the Complaints page without "
                                "the complainant's name.", className="small text-muted")
                         if principal.role == "prime_manager" else None)
    return section("Flags and complaints",
                   html.H3("Compliance flags about this provider", className="h6"),
                   flags_table(flags, contract_id),
                   html.H3("Complaints this provider raised", className="h6 mt-3"),
                   complaints_table(complaints, principal), confidential_note,
                   id="provider-flags-complaints", **aria_label("Flags and complaints"))


def figure_card(label: str, slug: str, value: str, figure_id: str,
                note: str | None = None) -> dbc.Col:
    """A figure with its glossary term (the "i" beside the label)."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        explained_heading(html.H3(label, className="h6 text-muted"), slug,
                          f"{figure_id}-what"),
        html.P(value, className="h4 mb-0", id=figure_id),
        html.P(note, className="small mb-0") if note else None])), md=2, sm=4,
        className="mb-2")


def league_figures(table: schemas.LeagueTableOut, row: schemas.LeagueRowOut) -> html.Section:
    """The provider's row of the league table for the page's filters, as the table shows it."""
    horizon = table.horizon_months
    rank = DASH if row.rank is None else str(row.rank)
    raw_rank = DASH if row.raw_rank is None else str(row.raw_rank)
    return section(
        "In the league table",
        html.P(f"Referred {day(table.period_from)} to {day(table.period_to)}, "
               f"as of {day(table.as_of)}, "
               f"outcomes within {horizon} months: this provider's row of the league table "
               "for these filters.", className="small"),
        dbc.Row([
            figure_card(f"Outcome rate within {horizon} months", "outcome-rate",
                        pct(row.rate),
                        "provider-rate", f"{row.outcomes:,} of {row.eligible:,} eligible; "
                        f"pooled rate of all providers {pct(table.pooled_rate)}"),
            figure_card("Expected outcomes for its case mix", "expected-outcomes",
                        f"{row.expected:.1f}",
                        "provider-expected"),
            figure_card("Performance index", "performance-index",
                        DASH if row.performance_index is None
                        else f"{row.performance_index:.2f}", "provider-pi",
                        "outcomes / expected; 1 is as expected"),
            figure_card("RAG", "rag", rag_label(judged_rag(row, table.rag_basis)),
                        "provider-rag"),
            figure_card("Adjusted rank", "adjusted-rank", rank, "provider-rank",
                        "by performance index (case mix allowed for)" if row.rank is not None
                        else f"unranked: fewer than {table.min_n} eligible"),
            figure_card("Raw rank", "raw-rank", raw_rank, "provider-raw-rank",
                        "by outcome rate alone"),
        ], className="g-2"),
        html.A("League table with these filters",
               href=f"{PREFIX}league?contract={table.contract_id}&from={table.period_from}"
                    f"&to={table.period_to}&as_of={table.as_of}&horizon={horizon}",
               className="d-block mb-3"),
        id="provider-league", **aria_label("In the league table"))


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    provider_text = query.pop("provider_id", "")
    if not provider_text.isdigit() or not 1 <= int(provider_text) <= 2**31 - 1:
        return not_found()
    provider_id = int(provider_text)
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    # The services decide whether this provider is the principal's to see (404 otherwise).
    cohorts = service.cohorts(session, principal, contract_id, provider_id=provider_id,
                              as_of=filters.as_of)
    table, row = service.provider_league_row(
        session, principal, contract_id, provider_id, period_from=filters.period_from,
        period_to=filters.period_to, as_of=filters.as_of, horizon_months=filters.horizon)
    compliance = service.check_compliance_trend(session, principal, contract_id, provider_id,
                                                as_of=filters.as_of)
    # The league row's period: the chart's total is the row's fees (events dated in it).
    payments = service.payments_earned(session, principal, contract_id, provider_id=provider_id,
                                       period_from=table.period_from,
                                       period_to=table.period_to, as_of=table.as_of)
    name = get_organisation(session, principal, provider_id).name
    forecast = next((f for f in payments.forecast if f.provider_id == provider_id), None)
    cohort_body: Any = (dcc.Graph(id="provider-cohorts", figure=cohort_figure(cohorts, name),
                                  config={"displaylogo": False})
                        if any(p.rate is not None for p in cohorts.overall)
                        else empty_state("No cohort has matured yet",
                                         "Curves appear once participants referred to this "
                                         "provider have been on the programme a month."))
    def checks_of(month: str) -> str:
        return month_checks(contract_id, provider_id, month, filters.as_of)

    compliance_body: Any = (html.Div([
        drill_graph("provider-compliance", compliance_figure(compliance, checks_of)),
        drill_links("The checks due in a month", [
            (m.month, checks_of(m.month)) for m in compliance],
            "Checks by month due")])
                            if compliance else
                            empty_state("No in-work checks due yet",
                                        "Check compliance is counted once a check's 7-day "
                                        "grace has passed."))
    payments_body: Any = (dcc.Graph(id="provider-payments", figure=payments_figure(
                                        payments, forecast.expected_total if forecast
                                        else Decimal(0)),
                                    config={"displaylogo": False})
                          if payments.rows else
                          empty_state("No fees earned yet",
                                      "Attachments, job outcomes and sustainments earn fees "
                                      "from the contract's tariff."))
    summary = dbc.Row([
        dbc.Col(dbc.Card(dbc.CardBody([
            explained_heading(html.H3("Fees earned", className="h6 text-muted"),
                              "payments-earned", "provider-earned-what"),
            html.P(money(row.payments_earned), className="h4 mb-0", id="provider-earned"),
            html.P(f"events dated {day(table.period_from)} to "
                   f"{day(min(table.period_to, table.as_of))}",
                   className="small mb-0")])), md=3),
        dbc.Col(dbc.Card(dbc.CardBody([
            explained_heading(html.H3("Forecast still expected", className="h6 text-muted"),
                              "forecast", "provider-forecast-what"),
            html.P(money(forecast.expected_total if forecast else 0), className="h4 mb-0",
                   id="provider-forecast"),
            html.P(f"from {forecast.in_work_without_outcome:,} in work without an outcome "
                   f"and {forecast.with_outcome:,} with one" if forecast else
                   "nobody in work now", className="small mb-0")])), md=4),
    ], className="mb-2")
    return html.Div([
        page_header(name, f"Contract {contract_id}, as of {day(cohorts.as_of)}."),
        html.Span(str(provider_id), id="provider-id", hidden=True),
        filter_bar(filters, contracts, in_force=InForce(
            table.period_from, table.period_to, table.as_of, table.horizon_months)),
        league_figures(table, row),
        summary,
        html.A("Show in the funnel plot",
               href=f"{PREFIX}funnel{filters.query(contract=contract_id, provider=provider_id)}"),
        section("Cohort curves: this provider against the contract", cohort_body,
                slug="cohort"),
        section("In-work check compliance by month", compliance_body,
                slug="check-compliance"),
        section("Payments earned", payments_body, slug="payments-earned"),
        section("Distance travelled, by area", progress_section(specialists.progress(
            session, principal, contract_id, provider_id=provider_id)),
            slug="distance-travelled"),
        flags_and_complaints(session, principal, contract_id, provider_id),
    ])


layout = guarded(render, "providers")
drill_down("provider-compliance")
