"""The funnel plot: each provider's performance index O/X against its expected outcomes X,
with limits around 1 (the standard for indirectly standardised ratios): section 5's binomial
limits on the PI's scale and section 10's overdispersed ones, both drawn and named. Every
point's colour, shape and words are the RAG of the limits the legend marks as judging
(`judged_rag` of league_data.league_rows, as the league table shows), and the curves pass
through every provider's own limits (app.performance.overdispersion.funnel_curves), so a
point cannot sit below a drawn limit with a RAG that says otherwise."""

import math
from typing import Any

import dash
import plotly.graph_objects as go
from dash import html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.performance import service
from app.performance.overdispersion import FunnelCurves, PiLimits
from dashboard.components.charts import TEMPLATE, drill_down, drill_graph
from dashboard.components.filters import InForce, filter_bar, filter_control, parse_filters
from dashboard.components.formatting import DASH, OKABE_ITO, RAG, day
from dashboard.components.league_data import (
    RAG_BASIS_WORDS,
    chosen_contract,
    league_rows,
    provider_links,
    provider_page,
)
from dashboard.components.page import empty_state, guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/funnel", name="Funnel plot", order=3,
                   title="Funnel plot - chainboard", nav_roles=ALL_ROLES)

# Per basis: the row's limit fields on the PI scale, and how its curves are drawn.
LIMIT_STYLE = {"binomial": ("dot", OKABE_ITO["blue"]),
               "overdispersed": ("solid", OKABE_ITO["reddish_purple"])}


def two(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def binomial_pi(row: dict[str, Any], name: str) -> float | None:
    """Section 5's limit of the row (on the rate) on the PI's scale: divided by p0 = X/E,
    as overdispersion.binomial_pi_limits does for the curves."""
    value = row[name]
    if value is None or not row["expected"]:
        return None
    return float(value / (row["expected"] / row["eligible"]))


def row_limits(row: dict[str, Any], basis: str) -> tuple[float | None, float | None]:
    """The provider's own lower 95% and 99.8% limits of `basis`, on the PI's scale."""
    if basis == "overdispersed":
        return row["pi_lower_95"], row["pi_lower_998"]
    return binomial_pi(row, "funnel_lower_95"), binomial_pi(row, "funnel_lower_998")


def hover_text(row: dict[str, Any], basis: str) -> str:
    lower_95, lower_998 = row_limits(row, basis)
    return "<br>".join([
        f"<b>{row['provider_name']}</b>", f"Eligible: {row['eligible']:,}",
        f"Job outcomes: {row['outcomes']:,}, expected {row['expected']:.1f} for its case mix",
        f"Performance index: {two(row['performance_index'])}",
        f"Lower limits ({RAG_BASIS_WORDS[basis]}): 95% {two(lower_95)}, "
        f"99.8% {two(lower_998)}",
        f"RAG: {RAG[row['judged_rag']][3]}",
        f"Adjusted rank: {row['rank'] or DASH}",
        *(["Click for the provider's page"] if row["provider_id"] is not None else [])])


def _curve(fig: go.Figure, curves: FunnelCurves, basis: str, judged: bool) -> None:
    dash_style, colour = LIMIT_STYLE[basis]
    limits: list[PiLimits] = getattr(curves, basis)
    label = RAG_BASIS_WORDS[basis] + (" (the RAG's)" if judged else "")
    for level in ("998", "95"):
        for side in ("lower", "upper"):
            fig.add_trace(go.Scatter(
                x=curves.expected, y=[getattr(lim, f"{side}_{level}") for lim in limits],
                mode="lines", name=f"{label}: {'99.8' if level == '998' else '95'}% limits",
                legendgroup=f"{basis}-{level}", showlegend=side == "lower",
                line={"dash": dash_style, "color": colour,
                      "width": (2.5 if judged else 1.2) * (1 if level == "998" else 0.7)},
                meta={"basis": basis, "limit": f"{side}_{level}"}, hoverinfo="skip"))


UPPER_SHOWN = 4.0  # the y-axis stretches to show upper limits up to here, no further


def plotted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The providers the chart draws: those with a performance index and expected
    outcomes."""
    return [r for r in rows if r["performance_index"] is not None and r["expected"]]


def figure(rows: list[dict[str, Any]], curves: FunnelCurves, basis: str,
           selected: int | None, link_query: str = "") -> go.Figure:
    """The funnel; a click on a named provider's point opens its page with `link_query`'s
    filters (an anonymised point carries no address, and no id)."""
    fig = go.Figure()
    plotted = plotted_rows(rows)
    # The judging limits last, so they are drawn over the others and named first after them.
    other = "binomial" if basis == "overdispersed" else "overdispersed"
    _curve(fig, curves, other, judged=False)
    _curve(fig, curves, basis, judged=True)
    fig.add_hline(y=1, line={"color": OKABE_ITO["black"], "width": 1},
                  annotation_text="PI = 1: as expected for the case mix",
                  annotation_position="top left")
    for rag in ("green", "amber", "red", None):
        mine = [r for r in plotted if r["judged_rag"] == rag]
        if not mine:
            continue
        colour, _shape, symbol, meaning = RAG[rag]
        fig.add_trace(go.Scatter(
            x=[r["expected"] for r in mine], y=[r["performance_index"] for r in mine],
            mode="markers", name=meaning, hovertext=[hover_text(r, basis) for r in mine],
            hoverinfo="text", meta={"rag": rag},
            marker={"symbol": symbol, "size": 13, "color": colour,
                    "line": {"width": 1, "color": "#333"}},
            customdata=[provider_page(r["provider_id"], link_query) for r in mine]))
    for row in plotted:
        if selected is not None and row["provider_id"] == selected:
            fig.add_trace(go.Scatter(
                x=[row["expected"]], y=[row["performance_index"]], mode="markers+text",
                text=[row["provider_name"]], textposition="top center",
                marker={"symbol": "circle-open", "size": 26, "color": OKABE_ITO["black"],
                        "line": {"width": 3}},
                name=f"selected: {row['provider_name']}", hoverinfo="skip"))
    # High enough to show every point and, up to PI 4, the upper limits drawn at every
    # provider's X (a small provider's 99.8% limit would otherwise leave the plot).
    smallest = min((r["expected"] for r in plotted), default=math.inf)
    uppers = [max(b.upper_998, o.upper_998)
              for x, b, o in zip(curves.expected, curves.binomial, curves.overdispersed,
                                 strict=True) if x >= smallest]
    top = max([2.0, *(r["performance_index"] * 1.1 for r in plotted),
               min(UPPER_SHOWN, 1.05 * max(uppers, default=0.0))])
    fig.update_layout(
        xaxis_title="Expected job outcomes for the case mix (X)",
        yaxis_title="Performance index (outcomes / expected)", xaxis_type="log",
        yaxis_range=[0, top], template=TEMPLATE, height=600,
        legend={"orientation": "h", "y": -0.2}, margin={"t": 30, "l": 60, "r": 20})
    return fig


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    found = service.funnel(session, principal, contract_id, period_from=filters.period_from,
                           period_to=filters.period_to, as_of=filters.as_of,
                           horizon_months=filters.horizon)
    table = found.table
    filters.horizon = table.horizon_months  # the control shows the horizon in force
    rows = league_rows(table)
    named = [r for r in rows if r["provider_id"] is not None]
    link_query = filters.query(contract=contract_id)
    selected_text = query.get("provider", "")
    selected = int(selected_text) if selected_text.isdigit() else None
    if selected is None and principal.role == "provider_user":
        selected = principal.organisation_id
    options = [{"label": "none", "value": ""}] + [
        {"label": r["provider_name"], "value": str(r["provider_id"])} for r in named]
    pick = filter_control("provider", "Highlight provider",
                          selected if any(r["provider_id"] == selected for r in named)
                          else None, options=options)
    basis = table.rag_basis
    body: Any
    if not any(r["performance_index"] is not None for r in rows):
        body = empty_state("Nobody eligible yet",
                           f"No participant referred in this period has reached the "
                           f"{table.horizon_months}-month horizon by {day(table.as_of)}. Choose an "
                           "earlier period or a shorter horizon.")
    else:
        body = html.Figure([
            drill_graph("funnel-graph", figure(rows, found.curves, basis, selected,
                                               link_query), responsive=True),
            html.Figcaption(
                f"Each provider's performance index against the job outcomes expected for "
                f"its case mix. The RAG (colour, shape and words) is judged against the "
                f"{RAG_BASIS_WORDS[basis]}, drawn bold; the other limits are drawn for "
                "comparison. The limits depend on each provider's case mix as well as its "
                "size, so the curves pass through every provider's own limits. Hover a point "
                "for its figures, click it for the provider's page; the league table has "
                "them as text.", className="small"),
            # The points' pages, for the keyboard: a provider without a point (nobody
            # eligible) has no link here either; the league table lists every provider.
            provider_links(plotted_rows(rows), link_query),
        ])
    return html.Div([
        page_header("Funnel plot",
                    f"Outcomes within {table.horizon_months} months, referred "
                    f"{day(table.period_from)} to {day(table.period_to)}, as of "
                    f"{day(table.as_of)}. A point "
                    "below a lower limit did worse than its case mix explains, by more than "
                    "chance."),
        filter_bar(filters, contracts, extra=[pick], in_force=InForce(
            table.period_from, table.period_to, table.as_of, table.horizon_months)),
        body,
    ])


layout = guarded(render, "funnel")
drill_down("funnel-graph")
