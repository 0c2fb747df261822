"""The funnel plot: each provider's job-outcome rate against its eligible participants, with
the 95% and 99.8% limits of DOMAIN.md section 5; the chosen provider highlighted."""

import math
from typing import Any

import dash
import plotly.graph_objects as go
from dash import dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from dashboard.components.filters import filter_bar, filter_control, parse_filters
from dashboard.components.formatting import DASH, OKABE_ITO, RAG, pct, rag_label
from dashboard.components.league_data import chosen_contract, league_rows, league_table
from dashboard.components.page import empty_state, guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/funnel", name="Funnel plot", order=3,
                   title="Funnel plot - chainboard", nav_roles=ALL_ROLES)
Z95, Z998 = 1.959964, 3.090232


def pooled_limits(pooled: float, largest: int) -> tuple[list[int], dict[str, list[float]]]:
    """Limits around the pooled rate for 1..largest eligible: the classic funnel's shape."""
    sizes = sorted({max(1, round(largest * k / 120)) for k in range(1, 133)})
    curves: dict[str, list[float]] = {"upper 99.8%": [], "upper 95%": [], "lower 95%": [],
                                      "lower 99.8%": []}
    for n in sizes:
        spread = math.sqrt(pooled * (1 - pooled) / n)
        curves["upper 99.8%"].append(min(1.0, pooled + Z998 * spread))
        curves["upper 95%"].append(min(1.0, pooled + Z95 * spread))
        curves["lower 95%"].append(max(0.0, pooled - Z95 * spread))
        curves["lower 99.8%"].append(max(0.0, pooled - Z998 * spread))
    return sizes, curves


def hover_text(row: dict[str, Any]) -> str:
    expected_rate = row["expected"] / row["eligible"] if row["eligible"] else None
    return "<br>".join([
        f"<b>{row['provider_name']}</b>", f"Eligible: {row['eligible']:,}",
        f"Job outcomes: {row['outcomes']:,}", f"Rate: {pct(row['rate'])}",
        f"Expected for its case mix: {pct(expected_rate)}",
        f"95% limits: {pct(row['funnel_lower_95'])} to {pct(row['funnel_upper_95'])}",
        f"99.8% limits: {pct(row['funnel_lower_998'])} to {pct(row['funnel_upper_998'])}",
        f"RAG: {rag_label(row['rag'])}",
        f"Adjusted rank: {row['rank'] or DASH}"])


def figure(rows: list[dict[str, Any]], pooled: float | None, selected: int | None) -> go.Figure:
    fig = go.Figure()
    plotted = [row for row in rows if row["eligible"] and row["rate"] is not None]
    largest = max(row["eligible"] for row in plotted)
    if pooled is not None:
        sizes, curves = pooled_limits(pooled, int(largest * 1.1))
        styles = {"99.8%": ("dot", OKABE_ITO["vermillion"]), "95%": ("dash", OKABE_ITO["orange"])}
        for name, values in curves.items():
            dash_style, colour = styles[name.split()[-1]]
            fig.add_trace(go.Scatter(
                x=sizes, y=values, mode="lines", name=f"{name} limit (pooled rate)",
                line={"dash": dash_style, "color": colour, "width": 1.5}, hoverinfo="skip",
                legendgroup=name.split()[-1], showlegend=name.startswith("upper")))
        fig.add_hline(y=pooled, line={"color": OKABE_ITO["blue"], "width": 1},
                      annotation_text=f"pooled rate {pct(pooled)}",
                      annotation_position="bottom right")
    # Each provider's own case-mix limits (what its RAG is judged by), as bars.
    fig.add_trace(go.Scatter(
        x=[r["eligible"] for r in plotted],
        y=[r["expected"] / r["eligible"] for r in plotted], mode="markers",
        marker={"symbol": "line-ew-open", "size": 10, "color": OKABE_ITO["grey"]},
        error_y={"type": "data", "symmetric": False, "color": OKABE_ITO["grey"],
                 "array": [(r["funnel_upper_95"] or 0) - r["expected"] / r["eligible"]
                           for r in plotted],
                 "arrayminus": [r["expected"] / r["eligible"] - (r["funnel_lower_95"] or 0)
                                for r in plotted]},
        name="each provider's expected rate and 95% limits (case mix)", hoverinfo="skip"))
    for rag in ("green", "amber", "red", None):
        mine = [r for r in plotted if r["rag"] == rag]
        if not mine:
            continue
        colour, _shape, symbol, meaning = RAG[rag]
        fig.add_trace(go.Scatter(
            x=[r["eligible"] for r in mine], y=[r["rate"] for r in mine], mode="markers",
            name=meaning, hovertext=[hover_text(r) for r in mine], hoverinfo="text",
            marker={"symbol": symbol, "size": 13, "color": colour,
                    "line": {"width": 1, "color": "#333"}},
            customdata=[r["provider_id"] for r in mine]))
    chosen = [r for r in plotted if selected is not None and r["provider_id"] == selected]
    for row in chosen:
        fig.add_trace(go.Scatter(
            x=[row["eligible"]], y=[row["rate"]], mode="markers+text",
            text=[row["provider_name"]], textposition="top center",
            marker={"symbol": "circle-open", "size": 26, "color": OKABE_ITO["black"],
                    "line": {"width": 3}},
            name=f"selected: {row['provider_name']}", hoverinfo="skip"))
    fig.update_layout(
        xaxis_title="Eligible participants", yaxis_title="Job-outcome rate",
        yaxis_tickformat=".0%", template="plotly_white", height=560,
        legend={"orientation": "h", "y": -0.2}, margin={"t": 30, "l": 60, "r": 20})
    return fig


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    table = league_table(session, principal, filters, contract_id)
    filters.horizon = table.horizon_months  # the control shows the horizon in force
    rows = league_rows(table)
    named = [r for r in rows if r["provider_id"] is not None]
    selected_text = query.get("provider", "")
    selected = int(selected_text) if selected_text.isdigit() else None
    if selected is None and principal.role == "provider_user":
        selected = principal.organisation_id
    options = [{"label": "none", "value": ""}] + [
        {"label": r["provider_name"], "value": str(r["provider_id"])} for r in named]
    pick = filter_control("provider", "Highlight provider",
                          selected if any(r["provider_id"] == selected for r in named)
                          else None, options=options)
    body: Any
    if not any(r["eligible"] and r["rate"] is not None for r in rows):
        body = empty_state("Nobody eligible yet",
                           f"No participant referred in this period has reached the "
                           f"{table.horizon_months}-month horizon by {table.as_of}. Choose an "
                           "earlier period or a shorter horizon.")
    else:
        body = html.Figure([
            dcc.Graph(id="funnel-graph", figure=figure(rows, table.pooled_rate, selected),
                      config={"displaylogo": False}, responsive=True),
            html.Figcaption("Funnel plot: each provider's job-outcome rate against its "
                            "eligible participants; hover a point for its figures. The "
                            "league table has the same figures as text.", className="small"),
        ])
    return html.Div([
        page_header("Funnel plot",
                    f"Outcome rate within {table.horizon_months} months against eligible "
                    f"participants, referred {table.period_from} to {table.period_to}, as of "
                    f"{table.as_of}. Points below a lower limit perform worse than their case "
                    "mix explains. Shapes and words mark the RAG as well as colour."),
        filter_bar(filters, contracts, extra=[pick]),
        body,
    ])


layout = guarded(render, "funnel")
