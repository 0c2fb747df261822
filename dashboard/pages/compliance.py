"""Compliance flags: how many by principle and severity, the list with its filters in the URL,
and CSV export. Each flag opens on its own page (compliance_flag.py) with its evidence and the
acknowledge / resolve actions. What a principal sees is the compliance service's scope."""

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import dash
import plotly.graph_objects as go
from dash import Output, State, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.compliance import exports, schemas, service
from app.core.export import Column
from app.core.pagination import PageParams
from dashboard.auth import PREFIX, current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.charts import TEMPLATE, drill_down, drill_graph, drill_links
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.filters import (
    any_contract,
    contract_options,
    filter_bar,
    filter_control,
    parse_choice,
    parse_filters,
)
from dashboard.components.flags import organisation_names, subject_name
from dashboard.components.formatting import (
    FLAG_STATUS,
    PRINCIPLES,
    SEVERITY,
    flag_status_label,
    severity_label,
)
from dashboard.components.grid import explained, grid
from dashboard.components.grid_state import grid_state, keep_in_url
from dashboard.components.page import aria_label, empty_state, guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/compliance", name="Compliance", order=7,
                   title="Compliance flags - chainboard", nav_roles=ALL_ROLES)

FLAG_PRINCIPLES = ("supply_chain_design", "commitment", "conduct", "review",
                   "check_compliance", "data_timeliness", "performance")
RULES = ("SCD-1", "SCD-2", "COM-1", "CON-1", "CON-2", "CON-3", "REV-1", "CC-CHECKS",
         "CC-TIMELINESS", "CC-RAG")
CHOICES = {"principle": FLAG_PRINCIPLES, "severity": tuple(SEVERITY),
           "status": tuple(FLAG_STATUS), "rule": RULES}
PAGE_ROWS = 1000
SEVERITY_PATTERNS = {"high": "x", "medium": "/", "low": ""}  # a shape as well as a colour
SEVERITY_STYLE = {"styleConditions": [
    {"condition": f"params.data.severity == '{name}'",
     "style": {"backgroundColor": colour, "color": "#000", "fontWeight": "600"}}
    for name, (colour, _shape, _word) in SEVERITY.items()]}


def flag_filters(query: dict[str, str]) -> tuple[schemas.FlagFilters, list[str]]:
    """The flag filters in the URL, and what was wrong with them (ignored, and said so)."""
    filters = parse_filters(query)
    errors = list(filters.errors)
    chosen = {name: parse_choice(query, name, allowed, errors)
              for name, allowed in CHOICES.items()}
    # Already checked against the allowed values, so validation cannot fail here.
    return schemas.FlagFilters.model_validate(
        {"contract_id": filters.contract_id, **chosen}), errors


def fetch(session: Session, principal: Principal,
          filters: schemas.FlagFilters) -> list[schemas.FlagRead]:
    """Every flag the filters select, page by page through the scoped service."""
    flags: list[schemas.FlagRead] = []
    cursor = None
    while True:
        rows, cursor = service.list_flags(session, principal, filters,
                                          PageParams(limit=PAGE_ROWS, cursor=cursor))
        flags += rows
        if cursor is None:
            return flags


def grid_rows(flags: list[schemas.FlagRead], names: dict[int, str], query: str,
              contracts: dict[str, str]) -> list[dict[str, Any]]:
    return [{
        "flag": f"[#{flag.id} {flag.rule}]({PREFIX}compliance/flags/{flag.id}{query})",
        "contract": contracts.get(str(flag.contract_id), str(flag.contract_id)),
        "rule": flag.rule, "title": flag.title, "standard": flag.standard,
        "principle": PRINCIPLES.get(flag.principle, flag.principle),
        "severity": flag.severity, "severity_display": severity_label(flag.severity),
        "subject": subject_name(flag, names), "summary": flag.summary,
        "first_detected": flag.first_detected_at.date().isoformat(),
        "status_display": flag_status_label(flag.status),
        "still_detected": "No (cleared)" if flag.cleared_at else "Yes",
    } for flag in flags]


def columns() -> list[dict[str, Any]]:
    return [
        {"field": "flag", "headerName": "Flag", "cellRenderer": "markdown", "pinned": "left",
         "minWidth": 130},
        {"field": "title", "headerName": "Rule"},
        {"field": "contract", "headerName": "Contract"},
        {"field": "standard", "headerName": "Standard"},
        {"field": "principle", "headerName": "Principle"},
        {"field": "severity_display", "headerName": "Severity", "cellStyle": SEVERITY_STYLE,
         **explained("flag-severity")},
        {"field": "subject", "headerName": "Subject"},
        {"field": "summary", "headerName": "Summary", "minWidth": 380, "wrapText": True,
         "autoHeight": True},
        {"field": "first_detected", "headerName": "First detected"},
        {"field": "status_display", "headerName": "Status", **explained("flag-status")},
        {"field": "still_detected", "headerName": "Still detected", **explained("flag-status")},
    ]


def segment_list(query: dict[str, str], principle: str, severity: str) -> str:
    """This page listing one principle's flags of one severity, the URL's other filters kept
    (the filters show them, and Back returns)."""
    return f"{PREFIX}compliance" + parse_filters(query).query(**{
        **{name: query[name] for name in CHOICES if query.get(name) in CHOICES[name]},
        "principle": principle,
        "severity": severity})


def figure(flags: list[schemas.FlagRead], query: dict[str, str]) -> go.Figure:
    """Flags by principle, one bar segment per severity (colour, pattern and legend word).

    Horizontal, so that every principle's name reads in full on one line; each segment
    carries the list of its flags (`segment_list`), which a click opens."""
    principles = [p for p in FLAG_PRINCIPLES if any(f.principle == p for f in flags)]
    counts = Counter((f.principle, f.severity) for f in flags)
    fig = go.Figure()
    for severity in ("high", "medium", "low"):
        colour, shape, word = SEVERITY[severity]
        values = [counts[(p, severity)] for p in principles]
        fig.add_trace(go.Bar(
            y=[PRINCIPLES[p] for p in principles], x=values, orientation="h",
            name=f"{shape} {word}",
            customdata=[[segment_list(query, p, severity), p, severity] for p in principles],
            marker={"color": colour, "pattern": {"shape": SEVERITY_PATTERNS[severity]},
                    "line": {"color": "#000", "width": 1}},
            hovertemplate="%{y}: %{x} " + word.lower() + " (click to list them)"
                          "<extra></extra>"))
    # Each bar's total at its end, in black on white: a count written inside a hatched
    # segment could not be read.
    for p in principles:
        total = sum(counts[(p, severity)] for severity in SEVERITY)
        fig.add_annotation(x=total, y=PRINCIPLES[p], text=f"{total:,}", showarrow=False,
                           xanchor="left", xshift=6, font={"color": "#000", "size": 13})
    fig.update_xaxes(tickformat="d", dtick=max(1, -(-max(
        (sum(counts[(p, s)] for s in SEVERITY) for p in principles), default=1) // 8)),
        rangemode="tozero")
    fig.update_layout(barmode="stack", template=TEMPLATE,
                      height=120 + 36 * len(principles),
                      margin={"t": 20, "l": 20, "r": 20}, xaxis_title="Flags",
                      yaxis={"autorange": "reversed", "automargin": True},
                      legend={"title": "Severity", "orientation": "h", "y": -0.3,
                              "traceorder": "normal"})
    return fig


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters, errors = flag_filters(query)
    contracts = contract_options(session, principal)
    flags = fetch(session, principal, filters)
    names = organisation_names(session, principal)
    chosen = {name: getattr(filters, name) for name in CHOICES}
    link_query = parse_filters(query).query(**chosen)
    controls = [
        filter_control("principle", "Principle", filters.principle, width=2, options=[
            {"label": "All principles", "value": ""}]
            + [{"label": PRINCIPLES[p], "value": p} for p in FLAG_PRINCIPLES]),
        filter_control("severity", "Severity", filters.severity, width=2, options=[
            {"label": "All severities", "value": ""}]
            + [{"label": severity_label(s), "value": s} for s in SEVERITY]),
        filter_control("status", "Status", filters.status, width=2, options=[
            {"label": "All statuses", "value": ""}]
            + [{"label": flag_status_label(s), "value": s} for s in FLAG_STATUS]),
        filter_control("rule", "Rule", filters.rule, width=2, options=[
            {"label": "All rules", "value": ""}] + [{"label": r, "value": r} for r in RULES]),
    ]
    contract_filter = parse_filters(query)
    state = grid_state(query, columns())
    contract_filter.errors = errors + state.errors  # the bar notes what the URL asked in vain
    bar = filter_bar(contract_filter, any_contract(contracts), period=False, horizon=False,
                     as_of=False, extra=controls)
    body: Any
    if not flags:
        filtered = any(value is not None for value in (*chosen.values(), filters.contract_id))
        body = empty_state(
            "No compliance flags" + (" match these filters" if filtered else " yet"),
            "Choose other filters to see the rest." if filtered else
            "Flags appear when a Merlin Standard or contract rule finds a problem (late "
            "payments, referral starvation, complaints past their deadlines...). The rules "
            "run after every change and nightly.")
    else:
        by_status = Counter(f.status for f in flags)
        body = html.Div([
            html.P([html.Span(f"{flag_status_label(s)}: {by_status.get(s, 0):,}",
                              className="badge text-bg-light border me-2")
                    for s in FLAG_STATUS], role="group", **aria_label("Flags by status")),
            html.Section([
                html.H2("Flags by principle and severity", className="h6"),
                drill_graph("compliance-chart", figure(flags, query)),
                drill_links("List the flags of one principle and severity", [
                    (f"{PRINCIPLES[p]}: {SEVERITY[s][2].lower()} ({n:,})",
                     segment_list(query, p, s))
                    for (p, s), n in sorted(
                        Counter((f.principle, f.severity) for f in flags).items(),
                        key=lambda item: (FLAG_PRINCIPLES.index(item[0][0]),
                                          list(SEVERITY).index(item[0][1])))],
                    "Flag lists by principle and severity"),
            ], **aria_label("Flags by principle and severity")),
            # Every column drawn (no column virtualisation): screen readers and find-in-page
            # reach the status at the far right too.
            grid("compliance-grid", grid_rows(flags, names, link_query,
                                                {c["value"]: c["label"] for c in contracts}),
                 state.columns,
                 suppressColumnVirtualisation=True, **state.options),
            flag_links(flags, link_query),
        ])
    return html.Div([
        page_header("Compliance flags",
                    "How the prime treats its supply chain (Merlin Standard, 2012 principles) "
                    "and each provider's contract obligations. Open a flag for the evidence "
                    "behind it."),
        bar,
        download_buttons("compliance"),
        body,
    ])


def flag_links(flags: list[schemas.FlagRead], query: str) -> html.Nav:
    """Each flag's page as a plain link too: reachable by Tab, outside the grid's cells."""
    return html.Nav([html.H2("Open a flag", className="h6 mt-3"), html.Ul([
        html.Li(html.A(f"#{f.id} {f.rule}", href=f"{PREFIX}compliance/flags/{f.id}{query}"),
                className="list-inline-item me-3")
        for f in flags], className="list-inline small")], **aria_label("Flag pages"))


layout = guarded(render, "compliance")
keep_in_url("compliance-grid")
drill_down("compliance-chart")


def csv_rows(flags: list[schemas.FlagRead], names: dict[int, str]) -> list[dict[str, Any]]:
    """The API's columns (the same redacted reading), plus the subject's name."""
    return [{**exports.flag_cells(flag), "subject_name": subject_name(flag, names)}
            for flag in flags]


@callback(Output("compliance-download", "data"), *download_inputs("compliance"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    filters, _ = flag_filters(dict(parse_qsl((search or "").lstrip("?"))))
    with db_session() as session:
        flags = fetch(session, principal, filters)
        names = organisation_names(session, principal)
    columns = (*exports.FLAG_EXPORT_COLUMNS, Column("subject_name", title="Subject"))
    return send_export(exports.flags_export(csv_rows(flags, names), filters, columns),
                       chosen_format())
