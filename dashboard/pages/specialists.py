"""Specialists (DOMAIN.md section 12): the second half of the supply chain made visible.
For the prime, every specialist member with its referrals in (a named specialist sent little
or nothing shows as such), referrals by referring provider and specialist, completion rates,
and fees agreed, owed and paid; for a tier-1 provider its own spot purchases; for a
specialist its referrals in, by provider. Everything is `specialists.service.specialist_usage`
for the signed-in principal, as the API's GET /contracts/{id}/specialists."""

from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Output, State, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.specialists import exports, schemas, service
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.charts import TEMPLATE
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.explain import explained_heading
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import OKABE_ITO, day, money, pct
from dashboard.components.grid import MONEY, PERCENT, grid, metric
from dashboard.components.league_data import chosen_contract, download_window
from dashboard.components.page import empty_state, guarded, page_header

dash.register_page(__name__, path="/specialists", name="Specialists", order=6.7,
                   title="Specialists - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user", "reviewer"))
COLOURS = [OKABE_ITO[c] for c in ("blue", "orange", "bluish_green", "vermillion",
                                  "reddish_purple", "sky_blue", "black")]
PATTERNS = ["", "/", "\\", "x", ".", "+", "-"]  # a pattern each: colour is never alone
STATUS_NAMES = {"active": "Active", "on_improvement_plan": "On improvement plan",
                "suspended": "Suspended", "terminated": "Terminated", None: "No longer a member"}


def _figures() -> list[dict[str, Any]]:
    return [
        metric("referrals", "specialist-referral", header="Referrals"),
        metric("started", "specialist-referral", header="Started"),
        metric("completed", "specialist-referral", header="Completed"),
        metric("open", "specialist-referral", header="Still open"),
        metric("completion_rate", "completion-rate", PERCENT),
        metric("fees_agreed", "specialist-referral", MONEY, header="Fees agreed"),
        metric("fees_owed", "fees-owed", MONEY),
    ]


def specialist_columns() -> list[dict[str, Any]]:
    return [{"field": "specialist_name", "headerName": "Specialist", "pinned": "left",
             "minWidth": 220},
            {"field": "status", "headerName": "Membership"},
            metric("providers", "specialist-referral", header="Providers referring"),
            *_figures(), metric("fees_paid", "fees-paid", MONEY)]


def provider_columns() -> list[dict[str, Any]]:
    return [{"field": "provider_name", "headerName": "Referring provider", "pinned": "left",
             "minWidth": 220},
            metric("specialists", "specialist-referral", header="Specialists used"),
            *_figures()]


def pair_columns() -> list[dict[str, Any]]:
    return [{"field": "provider_name", "headerName": "Referring provider", "pinned": "left",
             "minWidth": 200},
            {"field": "specialist_name", "headerName": "Specialist", "minWidth": 200},
            *_figures()]


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    return {key: float(value) if isinstance(value, Decimal) else value
            for key, value in row.items()}


def usage_figure(usage: schemas.SpecialistUsageOut) -> go.Figure:
    """Referrals into each specialist, stacked by referring provider: a specialist sent
    nothing is a labelled empty bar, not a missing one."""
    names = [s.specialist_name for s in usage.specialists]
    figure = go.Figure()
    providers = sorted({(r.provider_id, r.provider_name) for r in usage.rows},
                       key=lambda p: p[1])
    for number, (provider_id, provider_name) in enumerate(providers):
        counts = {r.specialist_name: r.referrals for r in usage.rows
                  if r.provider_id == provider_id}
        figure.add_trace(go.Bar(
            y=names, x=[counts.get(n, 0) for n in names], name=provider_name, orientation="h",
            marker={"color": COLOURS[number % len(COLOURS)],
                    "pattern": {"shape": PATTERNS[number % len(PATTERNS)]}},
            hovertemplate="%{y}: %{x} referral(s) from " + provider_name + "<extra></extra>"))
    totals = {s.specialist_name: s.referrals for s in usage.specialists}
    figure.add_trace(go.Scatter(
        y=names, x=[totals[n] for n in names], mode="text", showlegend=False,
        text=[f" {totals[n]:,}" if totals[n] else " none" for n in names],
        textposition="middle right", hoverinfo="skip"))
    # The legend above the bars: below them, a fraction of a chart one bar high lands on
    # the axis title.
    figure.update_layout(template=TEMPLATE, barmode="stack",
                         height=160 + 40 * max(1, len(names)),
                         margin={"t": 20, "l": 20, "r": 40},
                         xaxis_title="Specialist referrals in the period",
                         yaxis={"autorange": "reversed", "automargin": True},
                         legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom",
                                 "title": "Referred by"})
    return figure


def months_figure(usage: schemas.SpecialistUsageOut, by: str) -> go.Figure:
    """Referrals per month, stacked by specialist (`by="specialist"`) or by referring
    provider (`by="provider"`)."""
    names = ({s.specialist_id: s.specialist_name for s in usage.specialists} if by == "specialist"
             else {p.provider_id: p.provider_name for p in usage.providers})
    months = every_month(sorted({m.month for m in usage.months}))
    figure = go.Figure()
    for number, (key, name) in enumerate(sorted(names.items(), key=lambda item: item[1])):
        counts: dict[str, int] = {}
        for m in usage.months:
            if getattr(m, f"{by}_id") == key:
                counts[m.month] = counts.get(m.month, 0) + m.referrals
        if not counts:
            continue
        figure.add_trace(go.Bar(
            x=months, y=[counts.get(month, 0) for month in months], name=name,
            marker={"color": COLOURS[number % len(COLOURS)],
                    "pattern": {"shape": PATTERNS[number % len(PATTERNS)]}},
            hovertemplate="%{x}: %{y} referral(s), " + name + "<extra></extra>"))
    most = max((sum(m.referrals for m in usage.months if m.month == month) for month in months),
               default=0)
    figure.update_layout(template=TEMPLATE, barmode="stack", height=340,
                         margin={"t": 20, "l": 50, "r": 20},
                         xaxis={"title": "Month referred", "type": "category"},
                         # Whole referrals: a tick each while there are few.
                         yaxis={"title": "Specialist referrals", "tickformat": ",d",
                                "rangemode": "tozero", **({"dtick": 1} if most <= 10 else {})},
                         legend={"orientation": "h", "y": -0.35})
    return figure


def every_month(months: list[str]) -> list[str]:
    """From the first month to the last ("YYYY-MM"), the months without referrals included,
    so the axis keeps time's gaps."""
    if not months:
        return []
    year, month = map(int, months[0].split("-"))
    out = []
    while (text := f"{year:04d}-{month:02d}") <= months[-1]:
        out.append(text)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def tile(tile_id: str, label: str, slug: str, value: str, note: str) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        explained_heading(html.H2(label, className="h6 text-muted mb-1"), slug,
                          f"{tile_id}-what"),
        html.P(value, className="h4 mb-1", id=tile_id),
        html.P(note, className="small mb-0")]), className="h-100"), md=3, className="mb-3")


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    usage = service.specialist_usage(session, principal, contract_id,
                                     period_from=filters.period_from,
                                     period_to=filters.period_to)
    referrals = sum(s.referrals for s in usage.providers)
    started = sum(s.started for s in usage.providers)
    completed = sum(s.completed for s in usage.providers)
    owed = sum((s.fees_owed for s in usage.providers), start=Decimal("0.00"))
    paid = [s.fees_paid for s in usage.specialists if s.fees_paid is not None]
    unused = [s for s in usage.specialists if s.referrals == 0]
    period = f"referred {day(usage.period_from)} to {day(usage.period_to)}"
    tiles = [
        tile("specialists-referrals", "Specialist referrals", "specialist-referral",
             f"{referrals:,}", period),
        tile("specialists-completion", "Completion rate", "completion-rate",
             pct(completed / started if started else None), f"{completed:,} of {started:,} "
                                                            "started"),
        tile("specialists-owed", "Fees owed", "fees-owed", money(owed),
             "agreed fees of completed referrals"),
    ]
    if paid:
        tiles.append(tile("specialists-paid", "Paid to specialists", "fees-paid",
                          money(sum(paid, start=Decimal("0.00"))),
                          "every payment the ledger records to the specialists you may see "
                          "in the period, their other work included"))
    specialist_rows = [_json_ready({**s.model_dump(),
                                    "status": STATUS_NAMES.get(s.membership_status,
                                                               s.membership_status)})
                       for s in usage.specialists]
    sections: list[Any] = []
    if unused:
        sections.append(dbc.Alert([
            html.Strong("Named in the supply chain, sent no referral in this period: "),
            ", ".join(s.specialist_name for s in unused), ". ",
            "Compliance rule SCD-2 flags a specialist sent fewer than the contract's minimum."],
            color="warning", id="specialists-unused"))
    sections += [
        explained_heading(html.H2("Referrals into each specialist", className="h5 mt-3"),
                          "unused-specialist", "specialists-chart-what"),
        (dash.dcc.Graph(id="specialists-chart", figure=usage_figure(usage),
                        config={"displaylogo": False})
         if usage.specialists else
         empty_state("No specialist to show", "Specialists are the contract's tier-2 "
                     "members; their referrals show here once made.")),
        html.H2("Over time", className="h5 mt-3"),
        dbc.Row([
            dbc.Col([html.H3("By specialist", className="h6"),
                     dash.dcc.Graph(id="specialists-months-specialist",
                                    figure=months_figure(usage, "specialist"),
                                    config={"displaylogo": False})], md=6),
            dbc.Col([html.H3("By referring provider", className="h6"),
                     dash.dcc.Graph(id="specialists-months-provider",
                                    figure=months_figure(usage, "provider"),
                                    config={"displaylogo": False})], md=6),
        ]) if usage.months else None,
        html.H2("By specialist", className="h5 mt-3"),
        download_buttons("specialists-specialists"),
        grid("specialists-specialists", specialist_rows, specialist_columns())
        if specialist_rows else empty_state("No specialist referrals",
                                            "None in this period that you may see."),
        html.H2("By referring provider", className="h5 mt-3"),
        download_buttons("specialists-providers"),
        grid("specialists-providers", [_json_ready(p.model_dump()) for p in usage.providers],
             provider_columns()) if usage.providers else
        empty_state("No specialist referrals", "None in this period that you may see."),
        html.H2("By provider and specialist", className="h5 mt-3"),
        download_buttons("specialists-rows"),
        grid("specialists-rows", [_json_ready(r.model_dump()) for r in usage.rows],
             pair_columns()) if usage.rows else
        empty_state("No specialist referrals", "None in this period that you may see."),
    ]
    lead = {"provider_user": "The specialist referrals your organisation made or received: "
                             "a specialist sees its referrals in, by provider; a provider its "
                             "own spot purchases."}.get(
        principal.role, "Every specialist member of the supply chain with its referrals in, "
                        "by referring provider, completion rates and fees.")
    return html.Div([
        page_header("Specialists", lead),
        filter_bar(filters, contracts, horizon=False, as_of=False, in_force=InForce(
            usage.period_from, usage.period_to, None)),
        dbc.Row(tiles),
        *sections,
    ])


layout = guarded(render, "specialists")


def _export(table: str, search: str | None) -> Any:
    window = download_window(search)
    with db_session() as session:
        found = exports.usage_export(session, window.principal, window.contract_id, table,
                                     period_from=window.filters.period_from,
                                     period_to=window.filters.period_to)
    return send_export(found, chosen_format())


@callback(Output("specialists-specialists-download", "data"),
          *download_inputs("specialists-specialists"), State("_pages_location", "search"),
          prevent_initial_call=True)
def export_specialists(_csv: Any, _xlsx: Any, search: str | None) -> Any:
    return _export("specialists", search)


@callback(Output("specialists-providers-download", "data"),
          *download_inputs("specialists-providers"), State("_pages_location", "search"),
          prevent_initial_call=True)
def export_providers(_csv: Any, _xlsx: Any, search: str | None) -> Any:
    return _export("providers", search)


@callback(Output("specialists-rows-download", "data"), *download_inputs("specialists-rows"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export_rows(_csv: Any, _xlsx: Any, search: str | None) -> Any:
    return _export("rows", search)
