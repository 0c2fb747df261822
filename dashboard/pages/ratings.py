"""Published ratings (DOMAIN.md section 11): the prime publishes a quarter (or a correction
that names what it replaces); everyone reads each member's review status for a published
quarter and a member's rating trend as a control chart, and downloads its review pack.

Through app.performance.ratings and .review as the API's /ratings and /review-status: a
subcontractor's staff see their own row named and the others anonymised, as the league table
shows them."""

from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.timeutil import today
from app.performance import ratings, review, schemas
from app.performance.exports import review_status_export
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.charts import TEMPLATE
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.explain import explained_heading
from dashboard.components.filters import (
    contract_in_view,
    contract_of_search,
    filter_bar,
    parse_filters,
)
from dashboard.components.formatting import DASH, OKABE_ITO, day
from dashboard.components.forms import ARIA_LIVE, REFUSALS, done, field, refused, signed_in
from dashboard.components.page import (
    aria_label,
    decorative,
    empty_state,
    guarded,
    page_header,
)

dash.register_page(__name__, path="/ratings", name="Ratings", order=30, nav_group="Reviews",
                   title="Ratings - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user", "reviewer"))
PUBLISHERS = ("admin", "prime_manager")
# A status is a word and a shape as well as a colour (formatting.py's rule).
STATUS = {
    "meets": ("\u25cf", "Meets its minimum", "text-success"),
    "below_not_significant": ("\u25b2", "Below, but may be chance", "text-warning-emphasis"),
    "below_expectation": ("\u2716", "Below expectation", "text-danger"),
    None: ("\u25cb", "Not rated", "text-muted"),
}


def _index(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return DASH if value is None else f"{value:.1%}"


def finished_quarters(count: int = 8) -> list[str]:
    """The last `count` quarters that have ended, newest first: those a prime may publish."""
    quarter = review.previous_quarter(ratings.quarter_of(today()))
    found = []
    for _ in range(count):
        found.append(quarter)
        quarter = review.previous_quarter(quarter)
    return found


def status_table(status: schemas.ReviewStatusOut, contract_id: int) -> Any:
    if not status.rows:
        return empty_state("No member to show", "Nobody you may see was rated this quarter.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Member", "Status", "Performance index", "Minimum", "Significance limit",
        "Check compliance", "Data timeliness", "Why")]))
    body = []
    for row in status.rows:
        shape, words, tone = STATUS[row.status]
        trend = f"{PREFIX}ratings?" + urlencode({"contract": contract_id,
                                                "quarter": status.quarter,
                                                "provider": row.provider_id})
        body.append(html.Tr([
            html.Td(html.A(row.provider_name, href=trend + "#rating-trend")),
            html.Td([html.Span(shape, className=f"{tone} me-1", **decorative()), words],
                    className=f"review-status review-status-{row.status or 'unrated'}"),
            html.Td(_index(row.performance_index)), html.Td(f"{row.minimum:.2f}"),
            html.Td(_index(row.significance_limit)),
            html.Td(_share(row.check_compliance)), html.Td(_share(row.data_timeliness)),
            html.Td(html.Ul([html.Li(r) for r in row.reasons], className="mb-0 ps-3 small")),
        ]))
    return dbc.Table([head, html.Tbody(body)], bordered=True, size="sm", responsive=True,
                     id="review-status-table")


def trend_figure(points: list[ratings.RatingPoint], member: str,
                 minimum: float | None) -> go.Figure:
    """The control chart: the member's published index, the overdispersed 95% and 99.8%
    limits around 1 as bands, the member's minimum, and the other members' indices (as the
    reader may see them) as small grey points."""
    quarters = [p.quarter for p in points]
    figure = go.Figure()
    for low, high, name, opacity in (("lower_998", "upper_998", "99.8% limits", 0.12),
                                     ("lower_95", "upper_95", "95% limits", 0.25)):
        known = [p for p in points if getattr(p, low) is not None]
        figure.add_trace(go.Scatter(
            x=[p.quarter for p in known] + [p.quarter for p in reversed(known)],
            y=[getattr(p, high) for p in known] + [getattr(p, low) for p in reversed(known)],
            fill="toself", fillcolor=f"rgba(0,114,178,{opacity})", line={"width": 0},
            mode="lines",
            name=name, hoverinfo="skip"))
    others = [(p.quarter, value) for p in points for value in p.others]
    figure.add_trace(go.Scatter(
        x=[q for q, _ in others], y=[v for _, v in others], mode="markers",
        name="Other members", marker={"color": OKABE_ITO["grey"], "size": 7,
                                      "symbol": "circle-open"},
        hovertemplate="%{x}: another member, index %{y:.2f}<extra></extra>"))
    figure.add_trace(go.Scatter(
        x=quarters, y=[p.performance_index for p in points], mode="lines+markers",
        name=member, marker={"color": OKABE_ITO["vermillion"], "size": 11, "symbol": "diamond"},
        line={"color": OKABE_ITO["vermillion"]},
        hovertemplate="%{x}: performance index %{y:.2f}<extra>" + member + "</extra>"))
    if minimum is not None:
        figure.add_hline(y=minimum, line_dash="dash", line_color=OKABE_ITO["bluish_green"],
                         annotation_text=f"minimum {minimum:.2f}",
                         annotation_position="top left")
    figure.add_hline(y=1.0, line_color=OKABE_ITO["black"], line_width=1)
    # The member's points and its minimum set the scale: a small member's 99.8% limits can
    # reach 10, which would flatten everything else; the bands run off the top instead.
    top = max([2.0, *((p.performance_index or 0) * 1.2 for p in points)])
    figure.update_layout(template=TEMPLATE, height=360, margin={"t": 30, "b": 40},
                         xaxis={"title": "Published quarter", "type": "category"},
                         yaxis={"title": "Performance index (outcomes / expected)",
                                "range": [0, top]},
                         legend={"orientation": "h", "y": -0.25})
    return figure


def trend_section(published: list[schemas.RatingOut], provider_id: int | None,
                  status: schemas.ReviewStatusOut | None) -> Any:
    named = {row.provider_id: row.provider_name for rating in published
             for row in rating.table.rows if row.provider_id is not None}
    if provider_id is None or provider_id not in named:
        return None
    points = ratings.rating_history(published, provider_id)
    mine = next((r for r in status.rows if r.provider_id == provider_id), None) \
        if status else None
    member = named[provider_id]
    words = ", ".join(f"{p.quarter} {_index(p.performance_index)}" for p in points)
    return html.Section([
        explained_heading(html.H2(f"Rating trend: {member}", className="h5",
                                  id="rating-trend"), "rating-trend", "rating-trend-what"),
        dcc.Graph(id="rating-trend-chart", figure=trend_figure(
            points, member, mine.minimum if mine else None), config={"displaylogo": False}),
        # The chart's points in words, for a screen reader and for print.
        html.P(f"Published performance index by quarter: {words}.", className="small",
               id="rating-trend-words"),
    ], className="mb-4", **aria_label("Rating trend"))


def publish_section(published: list[str]) -> Any:
    """The finished quarters; the newest is chosen unless it is published already (a
    correction chooses a published one)."""
    finished = finished_quarters()
    choices = [{"label": q + (" (published)" if q in published else ""), "value": q}
               for q in finished]
    # Newer than every publication: the quarter the prime is most likely to publish next.
    waiting = [q for q in finished if not published or q > max(published)]
    return html.Section([
        html.H2("Publish a quarter", className="h5"),
        html.P("Publishing freezes the quarter's league table for everyone in the supply "
               "chain. It cannot be changed afterwards: a mistake is put right by a "
               "correction, which says why.", className="small"),
        dbc.Row([
            field("Quarter", dbc.Select(id="ratings-quarter", options=choices,
                                        value=waiting[0] if waiting else finished[0]), md=3),
            field("Correction: why it is needed", dbc.Input(id="ratings-reason",
                                                            maxLength=2000),
                  "only to correct the quarter's publication in force", md=6),
        ]),
        dbc.Button("Publish", id="ratings-publish", color="primary", className="me-2"),
        dbc.Button("Publish a correction", id="ratings-correct", color="secondary"),
    ], className="border rounded p-3 mb-3 d-print-none", **aria_label("Publish a quarter"))


def publications_table(published: list[schemas.RatingOut]) -> Any:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Quarter", "Publication", "Published", "Referred from", "to", "Counted as of",
        "Corrects", "Why corrected")]))
    body = html.Tbody([html.Tr([
        html.Td(r.quarter), html.Td(html.Code(r.id)), html.Td(day(r.published_at.date())),
        html.Td(day(r.period_from)), html.Td(day(r.period_to)), html.Td(day(r.as_of)),
        html.Td(html.Code(r.supersedes) if r.supersedes else DASH),
        html.Td(r.correction_reason or DASH)]) for r in reversed(published)])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="publications-table")


def chosen_quarter(published: list[schemas.RatingOut], query: dict[str, str]) -> str | None:
    """The URL's quarter if it is published, else the latest published."""
    quarters = [r.quarter for r in published]
    asked = query.get("quarter")
    return asked if asked in quarters else (quarters[-1] if quarters else None)


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contracts = contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        return html.Div([page_header("Ratings"), empty_state("No contracts", "")])
    contract_id = filters.contract_id
    published = ratings.in_force(session, principal, contract_id)
    quarter = chosen_quarter(published, query)
    quarters = [r.quarter for r in published]
    status = review.review_status(session, principal, contract_id, quarter) \
        if quarter else None
    provider = query.get("provider", "")
    provider_id = int(provider) if provider.isdigit() and len(provider) <= 10 else (
        principal.organisation_id if principal.role == "provider_user" else
        (status.rows[0].provider_id if status and status.rows else None))
    current_page: dict[str, Any] = {"aria-current": "page"}
    quarter_links = html.Nav([html.Span("Quarter: ", className="me-1"), *(
        html.A(q, href=f"{PREFIX}ratings?" + urlencode({"contract": contract_id, "quarter": q}),
               className="me-2" + (" fw-bold" if q == quarter else ""),
               **(current_page if q == quarter else {}))
        for q in reversed(quarters))], className="mb-2", **aria_label("Published quarters"))
    body: list[Any] = [
        page_header("Ratings", "Each quarter's league table as published, every member's "
                               "review status, and each member's rating trend."),
        filter_bar(filters, contracts, period=False, horizon=False, as_of=False),
    ]
    if principal.role in PUBLISHERS:
        body.append(publish_section(quarters))
    body.append(dcc.Loading(html.Div(id="ratings-result", role="status", **ARIA_LIVE)))
    if status is None:
        body.append(empty_state("Nothing published yet", "A quarter's rating appears here "
                                "once the prime publishes it (the worker publishes each "
                                "quarter the day after it ends)."))
        return html.Div(body)
    body += [
        quarter_links,
        explained_heading(html.H2(f"Review status, {status.quarter}", className="h5"),
                          "review-status", "review-status-what"),
        html.P(f"Publication {status.rating_id}. A member is below expectation when its "
               "shortfall is more than chance, or it is below its minimum two published "
               "quarters running.", className="small text-muted"),
        download_buttons("review-status"),
        status_table(status, contract_id),
        trend_section(published, provider_id, status),
        html.Section([
            html.H2("Review pack", className="h5"),
            html.P("The PDF for the quarter's performance review meeting: the rating and "
                   "its explanation, the funnel, the trend, the cohort curve, checks, "
                   "timeliness, payments, flags and any improvement plan.", className="small"),
            dbc.Button("Download the review pack (PDF)", id="ratings-pack", color="primary",
                       size="sm", disabled=provider_id is None, className="me-2"),
            dbc.Button("Every member's pack you may read (zip)", id="ratings-packs",
                       color="secondary", size="sm", disabled=quarter is None),
            dcc.Download(id="ratings-pack-download"),
        ], className="mb-4 d-print-none", **aria_label("Review pack")),
        html.H2("Publications", className="h5"),
        publications_table(published),
    ]
    return html.Div(body)


layout = guarded(render, "ratings")


def _query(search: str | None) -> dict[str, str]:
    return dict(parse_qsl((search or "").lstrip("?")))


@callback(Output("ratings-result", "children"),
          Input("ratings-publish", "n_clicks"), Input("ratings-correct", "n_clicks"),
          State("ratings-quarter", "value"), State("ratings-reason", "value"),
          State("_pages_location", "search"), prevent_initial_call=True)
def publish(_publish: Any, _correct: Any, quarter: str | None, reason: str | None,
            search: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        contract_id = contract_of_search(session, principal, search)
        try:
            if ctx.triggered_id == "ratings-correct":
                rating = ratings.correct(session, principal, contract_id, quarter or "",
                                         reason or None)
            else:
                rating = ratings.publish(session, principal, contract_id,
                                         schemas.RatingIn(quarter=quarter or ""))
        except (*REFUSALS, NotFound) as exc:
            return refused("Not published", exc, "ratings-error")
    link = f"{PREFIX}ratings?" + urlencode({"contract": contract_id, "quarter": rating.quarter})
    return done([f"{rating.quarter} published as {rating.id}. ",
                 html.A("Show its review status", href=link, id="ratings-published-link")],
                "ratings-done")


@callback(Output("ratings-pack-download", "data"), Input("ratings-pack", "n_clicks"),
          Input("ratings-packs", "n_clicks"), State("_pages_location", "search"),
          prevent_initial_call=True)
def pack(_one: Any, _every: Any, search: str | None) -> Any:
    """The review pack of the URL's member and quarter (or those the page shows); or every
    member's pack the reader may read, in one zip (the API's GET .../review-packs)."""
    from app.regime.pack import review_pack, review_packs  # matplotlib, fpdf2: on first use

    principal = signed_in()
    query = _query(search)
    with db_session() as session:
        contract_id = contract_of_search(session, principal, search)
        quarter = chosen_quarter(ratings.in_force(session, principal, contract_id), query)
        if quarter is not None and ctx.triggered_id == "ratings-packs":
            return dcc.send_bytes(review_packs(session, principal, contract_id, quarter),
                                  f"review-packs_contract-{contract_id}_{quarter}.zip",
                                  type="application/zip")
        provider = query.get("provider", "")
        provider_id = int(provider) if provider.isdigit() and len(provider) <= 10 else (
            principal.organisation_id if principal.role == "provider_user" else None)
        if quarter is None:
            raise PreventUpdate
        if provider_id is None:
            status = review.review_status(session, principal, contract_id, quarter)
            if not status.rows:
                raise PreventUpdate
            provider_id = status.rows[0].provider_id
        try:
            content = review_pack(session, principal, contract_id, provider_id, quarter)
        except NotFound:
            raise PreventUpdate from None
    return dcc.send_bytes(content, f"review-pack_contract-{contract_id}_provider-"
                                   f"{provider_id}_{quarter}.pdf", type="application/pdf")


@callback(Output("review-status-download", "data"), *download_inputs("review-status"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(_csv: Any, _xlsx: Any, search: str | None) -> Any:
    principal = signed_in()
    query = _query(search)
    with db_session() as session:
        contract_id = contract_of_search(session, principal, search)
        quarter = chosen_quarter(ratings.in_force(session, principal, contract_id), query)
        if quarter is None:
            raise PreventUpdate
        status = review.review_status(session, principal, contract_id, quarter)
    return send_export(review_status_export(status), chosen_format())
