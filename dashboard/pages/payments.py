"""Payments, contract-wide: the fees each provider earned (attachments, job outcomes and
sustainments, by the events' dates, from the tariff in force), the forecast still expected
from participants in work, and the prime's payments to its members against their terms.

The figures are the performance service's (`service.payments_earned`), the ones the league
table's "Payments earned" column and the provider pages show for the same period; the
invoices are the supply chain's, with COM-1's measure of lateness. A provider's staff see
their own organisation's rows only (the services' scope)."""

from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Output, State, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.timeutil import today
from app.performance import exports, schemas, service
from app.supply_chain import exports as supply_chain_exports
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.charts import TEMPLATE, drill_down, drill_graph, drill_links
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import day, money
from dashboard.components.grid import MONEY, grid, metric
from dashboard.components.league_data import chosen_contract, download_window
from dashboard.components.page import empty_state, guarded, page_header

dash.register_page(__name__, path="/payments", name="Payments", order=6.5,
                   title="Payments - chainboard",
                   nav_roles=("admin", "prime_manager", "reviewer"))
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "triangle-down", "cross",
           "star", "hexagon", "pentagon")


def provider_href(provider_id: int, query: str) -> str:
    return f"{PREFIX}providers/{provider_id}{query}"


def figure(earned: schemas.PaymentsOut, query: str) -> go.Figure:
    """Each provider's cumulative fees by month; a point opens the provider's page."""
    fig = go.Figure()
    by_provider: dict[int, list[schemas.EarnedRowOut]] = {}
    for row in earned.rows:
        by_provider.setdefault(row.provider_id, []).append(row)
    ordered = sorted(by_provider.items(), key=lambda item: item[1][0].provider_name)
    for number_, (provider_id, rows) in enumerate(ordered):
        fig.add_trace(go.Scatter(
            x=[r.month for r in rows], y=[float(r.cumulative_total) for r in rows],
            mode="lines+markers", name=rows[0].provider_name,
            # A shape per provider as well as a colour: colour is never the only cue.
            marker={"symbol": SYMBOLS[number_ % len(SYMBOLS)], "size": 7},
            customdata=[provider_href(provider_id, query)] * len(rows),
            hovertemplate=f"{rows[0].provider_name}<br>%{{x}}: \u00a3%{{y:,.0f}} earned so far"
                          "<extra>click: the provider's page</extra>"))
    # Margins wide enough for the money ticks and a few rows of legend: Plotly draws the
    # chart again each time it has to widen them (autoexpand stays on for a longer legend).
    fig.update_layout(template=TEMPLATE, height=380,
                      margin={"t": 20, "l": 110, "r": 20, "b": 140},
                      yaxis_title="Cumulative fees earned", yaxis_tickprefix="\u00a3",
                      yaxis_tickformat=",.0f", xaxis_title="Month of the events",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def tile(tile_id: str, label: str, value: str, note: str) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.H2(label, className="h6 text-muted mb-1"),
        html.P(value, className="h4 mb-1", id=tile_id),
        html.P(note, className="small mb-0")]), className="h-100"), md=4, className="mb-3")


def provider_columns() -> list[dict[str, Any]]:
    return [
        {"field": "provider_link", "headerName": "Provider", "cellRenderer": "markdown",
         "pinned": "left", "minWidth": 220},
        metric("attachments", "attachments"), metric("outcomes", "job-outcomes"),
        metric("sustainments", "sustainment", header="Sustainments"),
        metric("attachment_fees", "attachment-fee", MONEY, header="Attachment fees"),
        metric("outcome_fees", "outcome-fee", MONEY, header="Outcome fees"),
        metric("sustainment_fees", "sustainment-fee", MONEY, header="Sustainment fees"),
        metric("total", "payments-earned", MONEY, header="Fees earned"),
        metric("in_work", "in-work-now"),
        metric("expected_total", "forecast", MONEY),
    ]


def monthly_columns() -> list[dict[str, Any]]:
    return [
        {"field": "month", "headerName": "Month", "pinned": "left"},
        {"field": "provider_name", "headerName": "Provider"},
        metric("attachments", "attachments"), metric("outcomes", "job-outcomes"),
        metric("sustainments", "sustainment", header="Sustainments"),
        metric("total", "payments-earned", MONEY, header="Fees earned"),
        metric("cumulative_total", "payments-earned", MONEY, header="Earned so far"),
    ]


def invoice_columns() -> list[dict[str, Any]]:
    return [
        {"field": "provider_name", "headerName": "Provider", "pinned": "left"},
        {"field": "invoice_date", "headerName": "Invoiced"},
        metric("amount", "member-payment", MONEY, header="Amount"),
        metric("terms_days", "payment-terms", header="Terms (days)"),
        {"field": "due_date", "headerName": "Due by"},
        {"field": "paid_date", "headerName": "Paid"},
        metric("days_beyond_terms", "days-beyond-terms"),
        {"field": "status", "headerName": "Status"},
    ]


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    return {key: float(value) if isinstance(value, Decimal) else
            value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in row.items()}


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    earned = service.payments_earned(session, principal, contract_id,
                                     period_from=filters.period_from,
                                     period_to=filters.period_to, as_of=filters.as_of)
    link_query = filters.query(contract=contract_id)
    provider_rows = exports.payments_by_provider(earned)
    by_provider = [{**_json_ready(row), "provider_link": "[{}]({})".format(
        str(row["provider_name"]).replace("[", "(").replace("]", ")"),
        provider_href(int(str(row["provider_id"])), link_query))}
        for row in provider_rows]
    invoices = supply_chain_exports.invoice_rows(session, principal, contract_id,
                                                 earned.as_of)
    earned_total = sum((t.total for t in earned.totals), start=Decimal("0.00"))
    last_day = min(earned.period_to, earned.as_of)
    tiles = [
        tile("payments-earned", "Fees earned", money(earned_total),
             f"for events dated {day(earned.period_from)} to {day(last_day)}"),
        tile("payments-forecast", "Forecast still expected", money(earned.forecast_total),
             f"from participants in work on {day(earned.as_of)} who may yet reach a job outcome "
             "or a sustainment"),
    ]
    late = [row for row in invoices if row["days_beyond_terms"]]
    tiles.append(tile("payments-late", "Payments to members past their terms",
                      f"{len(late):,} of {len(invoices):,}",
                      f"paid after, or unpaid on {day(earned.as_of)} after, the days the invoice "
                      "allowed"))
    chart: Any = (drill_graph("payments-chart", figure(earned, link_query))
                  if earned.rows else
                  empty_state("No fees earned in this period",
                              "Attachments, job outcomes and sustainments earn fees from the "
                              "contract's tariff; choose a longer period."))
    sections: list[Any] = [
        html.H2("Cumulative fees earned, by provider", className="h5 mt-3"),
        html.P("A point opens that provider's page; the table below links them too.",
               className="small text-muted"),
        chart,
        drill_links("Provider pages", [(str(row["provider_name"]),
                                        provider_href(int(str(row["provider_id"])), link_query))
                                       for row in provider_rows],
                    "Provider pages"),
        html.H2("By provider", className="h5 mt-3"),
        download_buttons("payments-providers"),
        grid("payments-providers", by_provider, provider_columns()) if by_provider else
        empty_state("No provider earned fees in this period", "Choose a longer period."),
        html.H2("By month", className="h5 mt-3"),
        download_buttons("payments-monthly"),
        grid("payments-monthly", [_json_ready(r.model_dump()) for r in earned.rows],
             monthly_columns()) if earned.rows else None,
    ]
    sections += [
        html.H2("Payments to members", className="h5 mt-3"),
        html.P("The prime's payments of its members' invoices: each is due the number of "
               "days its terms allow after the invoice (paid on the last day is on time).",
               className="small"),
        download_buttons("payments-invoices"),
        grid("payments-invoices", [_json_ready(row) for row in invoices],
             invoice_columns()) if invoices else
        empty_state("No payments recorded", "The prime records its payments to members "
                    "through the API (POST /contracts/{id}/payments)."),
    ]
    return html.Div([
        page_header("Payments", f"Fees earned for events dated {day(earned.period_from)} to "
                                f"{day(last_day)}, as of {day(earned.as_of)}, and the forecast of "
                                "fees still expected."),
        filter_bar(filters, contracts, horizon=False, dated="Events", in_force=InForce(
            earned.period_from, earned.period_to, earned.as_of)),
        dbc.Row(tiles),
        *sections,
    ])


layout = guarded(render, "payments")

drill_down("payments-chart")


@callback(Output("payments-monthly-download", "data"), *download_inputs("payments-monthly"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export_monthly(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    window = download_window(search)
    with db_session() as session:
        table = exports.payments_export(session, window.principal, window.contract_id,
                                        **window.period())
    return send_export(table, chosen_format())


@callback(Output("payments-providers-download", "data"),
          *download_inputs("payments-providers"), State("_pages_location", "search"),
          prevent_initial_call=True)
def export_providers(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    window = download_window(search)
    with db_session() as session:
        table = exports.payments_by_provider_export(session, window.principal,
                                                    window.contract_id, **window.period())
    return send_export(table, chosen_format())


@callback(Output("payments-invoices-download", "data"), *download_inputs("payments-invoices"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export_invoices(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    window = download_window(search)
    with db_session() as session:
        table = supply_chain_exports.invoices_export(session, window.principal,
                                                     window.contract_id,
                                                     window.filters.as_of or today())
    return send_export(table, chosen_format())
