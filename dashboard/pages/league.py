"""The league table: every column of the API's, case-mix adjusted rank beside the raw rank,
RAG as word, shape and colour; sorting, filtering, CSV and Excel export."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.performance import exports
from app.specialists import schemas as specialist_schemas
from app.specialists import service as specialists
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import send_export
from dashboard.components.filters import InForce, filter_bar, parse_filters
from dashboard.components.formatting import RAG, day, pct, rag_label
from dashboard.components.grid import MONEY, PERCENT, decimals, explained, grid, metric
from dashboard.components.grid_state import grid_state, keep_in_url
from dashboard.components.league_data import (
    RAG_BASIS_WORDS,
    chosen_contract,
    download_window,
    league_rows,
    league_table,
    provider_links,
)
from dashboard.components.page import empty_state, guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/league", name="League table", order=2,
                   title="League table - chainboard", nav_roles=ALL_ROLES)

# The colour as the cell's background under black text: Okabe-Ito's orange as text on white
# would be too faint to read (contrast about 2:1); as a background it is over 9:1.
RAG_STYLE = {"styleConditions": [
    {"condition": f"params.data.judged_rag == '{rag}'",
     "style": {"backgroundColor": colour, "color": "#000", "fontWeight": "600"}}
    for rag, (colour, *_rest) in RAG.items() if rag is not None]}


def provider_cell(row: dict[str, Any], query: str) -> str:
    """Markdown: a link to the provider's page when the row is named."""
    name = row["provider_name"].replace("[", "(").replace("]", ")")
    if row["provider_id"] is None:
        return name
    return f"[{name}]({PREFIX}providers/{row['provider_id']}{query})"


def columns(rag_basis: str = "binomial",
            progress_areas: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every figure's header and tooltip from the glossary (app/core/glossary.py); with
    `progress_areas`, distance travelled per area after the ranked figures (never a rank)."""
    return [
        metric("rank", "adjusted-rank", pinned="left", width=110),
        metric("raw_rank", "raw-rank", pinned="left", width=100),
        {"field": "provider_link", "headerName": "Provider", "pinned": "left",
         "cellRenderer": "markdown", "minWidth": 220},
        {"field": "rag_display", "headerName": f"RAG ({RAG_BASIS_WORDS[rag_basis]})",
         "cellStyle": RAG_STYLE, "tooltipField": "rag_meaning", **explained("rag")},
        {"field": "sector", "headerName": "Sector", **explained("sector")},
        metric("tier", "tier"),
        metric("referrals", "referrals"),
        metric("referral_share", "referral-share", PERCENT),
        metric("contracted_share", "contracted-share", PERCENT),
        metric("eligible", "eligible"),
        metric("outcomes", "job-outcomes"),
        metric("rate", "outcome-rate", PERCENT),
        metric("expected", "expected-outcomes", decimals(1)),
        metric("performance_index", "performance-index", decimals(2),
               header="Performance index"),
        metric("adjusted_rate", "adjusted-rate", PERCENT),
        metric("ci_low", "confidence-interval", PERCENT, header="95% CI low"),
        metric("ci_high", "confidence-interval", PERCENT, header="95% CI high"),
        metric("funnel_lower_95", "funnel-limits", PERCENT, header="Funnel lower 95%"),
        metric("funnel_upper_95", "funnel-limits", PERCENT, header="Funnel upper 95%"),
        metric("funnel_lower_998", "funnel-limits", PERCENT, header="Funnel lower 99.8%"),
        metric("funnel_upper_998", "funnel-limits", PERCENT, header="Funnel upper 99.8%"),
        {"field": "high_outlier_display", "headerName": "High outlier",
         **explained("high-outlier")},
        metric("pi_lower_95", "overdispersed-limits", decimals(2),
               header="PI lower 95% (overdispersed)"),
        metric("pi_lower_998", "overdispersed-limits", decimals(2),
               header="PI lower 99.8% (overdispersed)"),
        metric("shrunk_pi", "shrunk-pi", decimals(2)),
        metric("job_starts", "job-starts"),
        metric("check_compliance", "check-compliance", PERCENT),
        metric("data_timeliness", "data-timeliness", PERCENT),
        metric("payments_earned", "payments-earned", MONEY),
        *(metric(f"progress_{area}", "distance-travelled", decimals(2),
                 header=f"Distance travelled: {area.replace('_', ' ')}")
          for area in progress_areas),
    ]


def with_progress(rows: list[dict[str, Any]],
                  progress: specialist_schemas.ProgressOut) -> list[dict[str, Any]]:
    """Each named provider's mean change per area (blank where it has none, or the row is
    anonymised: its progress is not the reader's to see)."""
    changes = {(r.provider_id, r.area): r.mean_change for r in progress.rows}
    return [{**row, **{f"progress_{area}": changes.get((row["provider_id"], area))
                       for area in progress.areas}} for row in rows]


def grid_rows(rows: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    out = []
    # Ranked providers first, by adjusted rank; the unranked (too few eligible) after them.
    for row in sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0,
                                           r["provider_name"])):
        out.append({**row, "provider_link": provider_cell(row, query),
                    # The RAG the contract judges by (league_data.league_rows).
                    "rag_display": rag_label(row["judged_rag"]),
                    "rag_meaning": RAG[row["judged_rag"]][3],
                    "high_outlier_display": {True: "\u25b2 Yes", False: "No",
                                             None: "\u2014"}[row["high_outlier"]]})
    return out


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    table = league_table(session, principal, filters, contract_id)
    filters.horizon = table.horizon_months  # the control shows the horizon in force
    rows = league_rows(table)
    link_query = filters.query(contract=contract_id)
    anonymised = any(row["provider_id"] is None for row in rows)
    summary = (f"Referred {day(table.period_from)} to {day(table.period_to)}, "
               f"as of {day(table.as_of)}, "
               f"outcomes within {table.horizon_months} months; ranked when at least "
               f"{table.min_n} are eligible.")
    pooled = html.P([
        "Pooled rate of all providers (their job outcomes / eligible, the rate each "
        "provider is compared with): ",
        html.Strong(pct(table.pooled_rate), id="league-pooled"), ", ",
        html.Span(f"{table.outcomes:,}", id="league-outcomes"), " job outcomes of ",
        html.Span(f"{table.eligible:,}", id="league-eligible"), " eligible."],
        className="small")
    progress = (specialists.progress(session, principal, contract_id)
                if query.get("progress") == "1" else None)
    if progress is not None:
        rows = with_progress(rows, progress)
    areas = tuple(progress.areas) if progress is not None else ()
    state = grid_state(query, columns(table.rag_basis, areas))
    filters.errors += state.errors  # the filter bar notes what the URL asked in vain
    body: Any
    if not any(row["eligible"] or row["referrals"] for row in rows):
        body = empty_state("No referrals in this period",
                           "Choose an earlier period or another contract; the table fills "
                           "in as providers report referrals.")
    else:
        body = grid("league-grid", grid_rows(rows, link_query), state.columns,
                    **state.options)
    return html.Div([
        page_header("League table", summary),
        pooled,
        filter_bar(filters, contracts, in_force=InForce(
            table.period_from, table.period_to, table.as_of, table.horizon_months)),
        dbc.Alert("Other providers are shown anonymised, as the contract's settings say.",
                  color="secondary", className="py-1 small") if anonymised else None,
        html.Div([
            dbc.Button("Download CSV", id="league-export-csv", color="primary", size="sm",
                       className="me-2"),
            dbc.Button("Download Excel", id="league-export-xlsx", color="secondary",
                       size="sm"),
            dcc.Download(id="league-download"),
        ], className="mb-2"),
        # Black on the RAG colours, as in the grid: Bootstrap's text-dark (#212529) on the
        # vermillion is 4.0:1, black 5.4:1.
        html.P(["RAG: ", *(html.Span(rag_label(r), style={"backgroundColor": RAG[r][0],
                                                          "color": "#000"},
                                     className="badge me-2")
                           for r in ("green", "amber", "red")),
                f"(the performance index against the provider's own case-mix "
                f"{RAG_BASIS_WORDS[table.rag_basis]}, as the compliance flags judge)"],
               className="small"),
        html.A("Hide distance travelled" if progress is not None else
               "Show distance travelled by area (never part of the rank)",
               href=f"{PREFIX}league" + filters.query(
                   contract=contract_id, **({} if progress is not None else {"progress": "1"})),
               id="league-progress-toggle", className="small d-block mb-2"),
        body,
        provider_links(rows, link_query),
    ])


layout = guarded(render, "league")
keep_in_url("league-grid")


@callback(Output("league-download", "data"),
          Input("league-export-csv", "n_clicks"), Input("league-export-xlsx", "n_clicks"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    """The league table of the URL's filters as a file that states them."""
    window = download_window(search)
    with db_session() as session:
        table = exports.league_export(session, window.principal, window.contract_id,
                                      horizon_months=window.filters.horizon, **window.period())
    return send_export(table, "csv" if dash.ctx.triggered_id == "league-export-csv"
                       else "xlsx")
