"""How expected outcomes are worked out: the risk model behind the league table's expected
outcomes, its odds ratios, how well it sorts and how well it is calibrated, and what the
adjustment does for each provider (DOMAIN.md section 10). Every figure is the service's
report (service.risk_model_report), scoped and anonymised as the league table; the page only
puts it into words, odds ratios (exp of the log odds) and a plot."""

import math
from typing import Any
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.export import Column, TableExport
from app.performance import exports, schemas, service
from dashboard.auth import current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.charts import TEMPLATE
from dashboard.components.downloads import send_export
from dashboard.components.filters import Filters, InForce, filter_bar, parse_filters
from dashboard.components.formatting import DASH, OKABE_ITO, day, pct
from dashboard.components.grid import decimals, explained, grid, metric
from dashboard.components.grid_state import grid_state, keep_in_url
from dashboard.components.league_data import chosen_contract
from dashboard.components.page import empty_state, guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/risk-model", name="Expected outcomes", order=4,
                   title="How expected outcomes are worked out - chainboard",
                   nav_roles=ALL_ROLES)

COVARIATE_WORDS = {"payment_group": "payment group", "age_band": "age band",
                   "health_condition": "a health condition that limits work",
                   "claim_duration": "time on benefit before referral",
                   "qualification": "qualifications", "area": "area"}
NOT_ESTIMABLE = "not estimable"


def covariate(name: str) -> str:
    return COVARIATE_WORDS.get(name, name.replace("_", " "))


def term_words(term: str) -> str:
    """`payment_group=jsa_25_plus` -> 'payment group: jsa_25_plus'."""
    if term == "intercept":
        return "baseline (every reference level)"
    name, _, level = term.partition("=")
    return f"{covariate(name)}: {level}"


def odds(value: float | None) -> float | None:
    """An estimate on the log-odds scale as an odds ratio; null stays null (not estimable)."""
    return None if value is None else math.exp(value)


def coefficient_rows(report: schemas.RiskModelOut) -> list[dict[str, Any]]:
    return [{"term": c.term, "term_words": term_words(c.term), "estimate": c.estimate,
             "std_error": c.std_error, "ci_low": c.ci_low, "ci_high": c.ci_high,
             "odds_ratio": odds(c.estimate), "odds_ratio_low": odds(c.ci_low),
             "odds_ratio_high": odds(c.ci_high),
             "odds_ratio_text": (NOT_ESTIMABLE if c.estimate is None else
                                 f"{math.exp(c.estimate):.2f} ({two(odds(c.ci_low))} to "
                                 f"{two(odds(c.ci_high))})")}
            for c in report.coefficients]


COEFFICIENT_COLUMNS = ("term", "estimate", "std_error", "ci_low", "ci_high", "odds_ratio",
                       "odds_ratio_low", "odds_ratio_high")
PROVIDER_COLUMNS = tuple(schemas.ProviderAdjustmentOut.model_fields)
CALIBRATION_COLUMNS = tuple(schemas.CalibrationGroupOut.model_fields)


def two(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def shrinkage_state(report: schemas.RiskModelOut) -> str:
    """Which of DOMAIN.md section 10's cases the shrunk estimates are in."""
    if report.overdispersion.tau2 is None:
        return "not_estimated"
    return "no_difference" if report.overdispersion.tau2 == 0 else "estimated"


def adjustment_words(row: schemas.ProviderAdjustmentOut, state: str) -> str:
    """What the adjustment does for one provider, in a sentence or three."""
    parts = [f"Expected {row.expected:.1f} job outcomes for its participants; "
             f"achieved {row.outcomes}"
             + (f" (performance index {row.performance_index:.2f})."
                if row.performance_index is not None else ".")]
    if row.raw_rank is None or row.rank is None:
        parts.append("Not ranked: too few eligible participants.")
    elif row.rank < row.raw_rank:
        parts.append(f"{ordinal(row.raw_rank)} on raw rates, up to {ordinal(row.rank)} once "
                     "its case mix is allowed for.")
    elif row.rank > row.raw_rank:
        parts.append(f"{ordinal(row.raw_rank)} on raw rates, down to {ordinal(row.rank)} "
                     "once its case mix is allowed for.")
    else:
        parts.append(f"{ordinal(row.rank)} both on raw rates and once its case mix is "
                     "allowed for.")
    if state == "estimated" and row.shrunk_pi is not None:
        parts.append(f"Allowing for chance, its index is about {row.shrunk_pi:.2f} "
                     f"({two(row.shrunk_pi_low)} to {two(row.shrunk_pi_high)}).")
    return " ".join(parts)


def provider_rows(report: schemas.RiskModelOut) -> list[dict[str, Any]]:
    state = shrinkage_state(report)
    return [{**row.model_dump(), "in_words": adjustment_words(row, state)}
            for row in sorted(report.providers,
                              key=lambda r: (r.rank is None, r.rank or 0, r.provider_name))]


def calibration_figure(report: schemas.RiskModelOut) -> go.Figure:
    groups = [g for g in report.calibration if g.n]
    expected = [g.expected / g.n for g in groups]
    observed = [g.observed / g.n for g in groups]
    top = max([*expected, *observed, 0.01]) * 1.1
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines",
                             name="perfect calibration (observed = expected)",
                             line={"color": OKABE_ITO["grey"], "dash": "dash"},
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=expected, y=observed, mode="markers+lines", name="tenths of participants by "
        "predicted chance", marker={"symbol": "diamond", "size": 11,
                                    "color": OKABE_ITO["blue"]},
        line={"color": OKABE_ITO["blue"], "width": 1},
        hovertext=[f"Tenth {g.decile + 1}: {g.n:,} participants, {g.observed:,} outcomes, "
                   f"{g.expected:.1f} expected" for g in groups], hoverinfo="text"))
    fig.update_layout(xaxis_title="Expected outcome rate (mean predicted chance)",
                      yaxis_title="Observed outcome rate", xaxis_tickformat=".0%",
                      yaxis_tickformat=".0%", xaxis_range=[0, top], yaxis_range=[0, top],
                      template=TEMPLATE, height=460,
                      legend={"orientation": "h", "y": -0.25},
                      margin={"t": 20, "l": 60, "r": 20})
    return fig


def model_words(report: schemas.RiskModelOut) -> html.Div:
    characteristics = [covariate(c) for c in report.covariates[1:]]
    uses = ("payment group only: no participant characteristics are in the model"
            if not characteristics else
            "payment group, " + ", ".join(characteristics))
    items = [html.Li(f"It predicts each eligible participant's chance of a job outcome from "
                     f"their {uses}, fitted on all {report.n:,} eligible participants of "
                     f"every provider ({report.outcomes:,} with an outcome).")]
    items.append(html.Li("Reference levels (odds ratio 1, the others compared with them): "
                         + "; ".join(f"{covariate(r.covariate)}: {r.level}"
                                     for r in report.reference_levels) + "."))
    if report.merged_levels:
        items.append(html.Li("Levels with too few participants or outcomes to estimate "
                             "alone were merged: " + "; ".join(
                                 f"{covariate(m.characteristic)} {m.level} into {m.merged_into}"
                                 for m in report.merged_levels) + "."))
    if report.dropped_characteristics:
        items.append(html.Li("Left out, having one level after merging: " + ", ".join(
            covariate(c) for c in report.dropped_characteristics) + "."))
    if report.c_statistic is not None:
        items.append(html.Li(
            f"c-statistic {report.c_statistic:.2f}: take one participant who got a job "
            f"outcome and one who did not; the model gives the first the higher chance "
            f"{pct(report.c_statistic, 0)} of the time (0.5 is a coin toss, 1 a perfect "
            "sort).", id="risk-model-c-statistic"))
    return html.Div([html.H2("What the model uses", className="h5"), html.Ul(items)])


def shrinkage_note(report: schemas.RiskModelOut) -> dbc.Alert:
    od = report.overdispersion
    state = shrinkage_state(report)
    if state == "not_estimated":
        text = (f"Too few providers to estimate how much providers differ beyond chance "
                f"({od.units} with enough eligible participants and outcomes): the spread was "
                "not estimated, so there are no shrunk estimates and the RAG uses the "
                "binomial limits.")
    elif state == "no_difference":
        text = ("The data show no evidence of differences between providers beyond chance "
                f"(dispersion {two(od.phi)} over {od.units} providers): every shrunk "
                "estimate is 1, with the interval 1 to 1.")
    else:
        text = (f"Providers differ by more than chance (dispersion {two(od.phi)}, "
                f"between-provider variance {od.tau2:.4f} over {od.units} providers). Each "
                "shrunk estimate pulls a provider's index towards 1, the more so the fewer "
                "outcomes it was expected to have: small providers are not ranked on luck.")
    return dbc.Alert(text, color="info", className="small", id="risk-model-shrinkage")


def coefficient_columns() -> list[dict[str, Any]]:
    return [{"field": "term_words", "headerName": "Term", "minWidth": 260},
            {"field": "odds_ratio_text", "headerName": "Odds ratio (95% interval)",
             "minWidth": 200, **explained("odds-ratio")},
            metric("estimate", "log-odds", decimals(3)),
            metric("std_error", "standard-error", decimals(3))]


def provider_columns() -> list[dict[str, Any]]:
    return [{"field": "provider_name", "headerName": "Provider", "pinned": "left",
             "minWidth": 200},
            metric("raw_rank", "raw-rank", width=100),
            metric("rank", "adjusted-rank", width=110),
            # The words beside the ranks, where a reader looks first (the figures follow).
            {"field": "in_words", "headerName": "What the adjustment does", "minWidth": 480,
             "wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.4"}},
            metric("eligible", "eligible"), metric("outcomes", "job-outcomes"),
            metric("expected", "expected-outcomes", decimals(1), header="Expected"),
            metric("performance_index", "performance-index", decimals(2),
                   header="Performance index"),
            metric("shrunk_pi", "shrunk-pi", decimals(2), header="Shrunk index"),
            metric("shrunk_pi_low", "shrunk-pi", decimals(2), header="Shrunk 95% low"),
            metric("shrunk_pi_high", "shrunk-pi", decimals(2), header="Shrunk 95% high")]


def model_report(session: Session, principal: Principal, filters: Filters,
                 contract_id: int) -> schemas.RiskModelOut:
    return service.risk_model_report(session, principal, contract_id,
                                     period_from=filters.period_from,
                                     period_to=filters.period_to, as_of=filters.as_of,
                                     horizon_months=filters.horizon)


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contract_id, contracts = chosen_contract(session, principal, filters)
    report = model_report(session, principal, filters, contract_id)
    filters.horizon = report.horizon_months  # the control shows the horizon in force
    lead = (f"Referred {day(report.period_from)} to {day(report.period_to)}, "
            f"as of {day(report.as_of)}, "
            f"outcomes within {report.horizon_months} months. A provider is judged against "
            "the job outcomes expected for its own participants, not against the raw "
            "average: this page shows how that expectation is worked out.")
    # Two grids: the providers' keeps the plain names (sort=...), the odds ratios' its own.
    providers = grid_state(query, provider_columns())
    coefficients = grid_state(query, coefficient_columns(), key="coefficients")
    filters.errors += providers.errors + coefficients.errors
    body: list[Any]
    if report.n == 0:
        body = [empty_state("Nobody eligible yet",
                            f"No participant referred in this period has reached the "
                            f"{report.horizon_months}-month horizon by {day(report.as_of)}, so "
                            "there is nothing to fit. Choose an earlier period or a shorter "
                            "horizon.")]
    else:
        body = [
            model_words(report),
            html.Div([
                dbc.Button("Download coefficients CSV", id="risk-model-export-coefficients",
                           color="primary", size="sm", className="me-2"),
                dbc.Button("Download providers CSV", id="risk-model-export-providers",
                           color="secondary", size="sm", className="me-2"),
                dbc.Button("Download calibration CSV", id="risk-model-export-calibration",
                           color="secondary", size="sm"),
                dcc.Download(id="risk-model-download"),
            ], className="mb-2"),
            html.H2("What the adjustment does for each provider", className="h5 mt-3"),
            shrinkage_note(report),
            grid("risk-model-providers", provider_rows(report), providers.columns,
                 **providers.options),
            html.H2("Odds ratios", className="h5 mt-4"),
            html.P("How much each level changes the odds of a job outcome against its "
                   "reference level, other things equal: below 1 harder to help, above 1 "
                   "easier. 'Not estimable' when the data cannot give a finite figure (a "
                   "group with no outcomes, or levels that cannot be told apart).",
                   className="small"),
            grid("risk-model-coefficients", coefficient_rows(report), coefficients.columns,
                 **coefficients.options),
            html.H2("Calibration", className="h5 mt-4"),
            html.Figure([
                dcc.Graph(id="risk-model-calibration", figure=calibration_figure(report),
                          config={"displaylogo": False}, responsive=True),
                html.Figcaption("Participants in ten equal groups by their predicted chance: "
                                "points near the diagonal mean the predictions match what "
                                "happened.", className="small"),
            ]),
        ]
    return html.Div([
        page_header("How expected outcomes are worked out", lead),
        filter_bar(filters, contracts, in_force=InForce(
            report.period_from, report.period_to, report.as_of, report.horizon_months)),
        *body,
    ])


layout = guarded(render, "risk-model")
keep_in_url("risk-model-providers")
keep_in_url("risk-model-coefficients", key="coefficients")

EXPORTS = {"risk-model-export-coefficients": "coefficients",
           "risk-model-export-providers": "providers",
           "risk-model-export-calibration": "calibration"}


@callback(Output("risk-model-download", "data"),
          *(Input(button, "n_clicks") for button in EXPORTS),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(*arguments: Any) -> Any:
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    filters = parse_filters(dict(parse_qsl((arguments[-1] or "").lstrip("?"))))
    with db_session() as session:
        contract_id, _ = chosen_contract(session, principal, filters)
        report = model_report(session, principal, filters, contract_id)
        model_filters = exports.model_filters(session, principal, contract_id, report)
    table = EXPORTS.get(str(dash.ctx.triggered_id), "coefficients")
    columns, rows = {
        "coefficients": (COEFFICIENT_COLUMNS, coefficient_rows(report)),
        "providers": (PROVIDER_COLUMNS, [r.model_dump() for r in report.providers]),
        "calibration": (CALIBRATION_COLUMNS, [g.model_dump() for g in report.calibration]),
    }[table]
    return send_export(TableExport(
        f"risk-model-{table}", f"Risk model {table}", [Column(key) for key in columns], rows,
        model_filters))
