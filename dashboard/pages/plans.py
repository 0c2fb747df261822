"""Improvement plans (DOMAIN.md section 11): the contract's plans the principal may read, and
for the prime the form to propose one. Each plan opens on its own page (plan.py). Through
app.regime.plans, as the API's /improvement-plans."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.regime import plans, schemas
from app.supply_chain import service as supply_chain
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.explain import explained_heading
from dashboard.components.filters import (
    contract_in_view,
    contract_of_search,
    filter_bar,
    parse_filters,
)
from dashboard.components.formatting import day
from dashboard.components.forms import (
    ARIA_LIVE,
    REFUSALS,
    chosen_int,
    done,
    every,
    field,
    options,
    refused,
    signed_in,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header
from dashboard.components.plans import METRICS, STATE_NAMES, plan_href

dash.register_page(__name__, path="/plans", name="Improvement plans", order=31,
                   nav_group="Reviews", title="Improvement plans - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user", "reviewer"))
OPENERS = ("admin", "prime_manager")
TARGET_ROWS = 3  # the form's target lines; blank ones are left out


def plans_of(session: Session, principal: Principal, contract_id: int) -> list[schemas.PlanOut]:
    return every(lambda page: (lambda found: (found.rows, found.next_cursor))(
        plans.list_plans(session, principal, contract_id, page)))


def plans_table(found: list[schemas.PlanOut]) -> Any:
    if not found:
        return empty_state("No improvement plans", "A plan the prime proposes to a member "
                           "shows here, for the prime, the member and the reviewer.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Member", "State", "Targets met", "Review date", "Remedy period ends", "Contested")]))
    body = html.Tbody([html.Tr([
        html.Td(html.A(p.provider_name, href=plan_href(p.id))),
        html.Td(STATE_NAMES[p.state]),
        html.Td(f"{sum(1 for t in p.targets if t.met)} of {len(p.targets)}"),
        html.Td(day(p.review_date)), html.Td(day(p.remedy_ends) if p.remedy_ends else
                                             "when agreed"),
        html.Td("Yes" if p.contested else "No")]) for p in reversed(found)])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="plans-table")


def open_form(session: Session, principal: Principal, contract_id: int) -> Any:
    members = every(lambda page: supply_chain.member_reads(session, principal, contract_id,
                                                           page))
    metric_choices = [{"label": label, "value": key} for key, label in METRICS.items()]
    targets = [dbc.Row([
        field(f"Target {i + 1}: measure", dbc.Select(
            id=f"plan-target-metric-{i}", options=metric_choices,
            value="check_compliance" if i == 0 else None), md=3),
        field("reach at least", dbc.Input(id=f"plan-target-threshold-{i}",
                                          inputMode="decimal"),
              "rates as fractions: 0.9 is 90%", md=3),
        field("by", dbc.Input(id=f"plan-target-by-{i}", type="date"), md=3),
    ]) for i in range(TARGET_ROWS)]
    return html.Section([
        html.H2("Propose an improvement plan", className="h5"),
        html.P("The member is told at once; it reads the plan, comments, and agrees or "
               "contests it. Progress against each target is worked out from the data.",
               className="small"),
        dbc.Row([field("Member", dbc.Select(id="plan-member", options=options(
            [(m.provider_id, m.provider_name) for m in members])), md=4)]),
        *targets,
        dbc.Row([
            field("Agreed actions, one per line", dbc.Textarea(id="plan-actions", rows=3),
                  md=6),
            field("Review date", dbc.Input(id="plan-review-date", type="date"), md=3),
            field("Remedy period (days)", dbc.Input(id="plan-remedy-days", inputMode="numeric",
                                                    placeholder="contract default"),
                  "from the day the member agrees", md=3),
        ]),
        dbc.Button("Propose the plan", id="plan-open", color="primary"),
    ], className="border rounded p-3 mb-3 d-print-none", **aria_label("Propose a plan"))


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contracts = contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        return html.Div([page_header("Improvement plans"), empty_state("No contracts", "")])
    return html.Div([
        page_header("Improvement plans"),
        explained_heading(html.P("Targets, agreed actions, a review date and a remedy "
                                 "period, worked to by the prime and a member.",
                                 className="text-muted"), "improvement-plan",
                          "improvement-plan-what"),
        filter_bar(filters, contracts, period=False, horizon=False, as_of=False),
        open_form(session, principal, filters.contract_id)
        if principal.role in OPENERS else None,
        dcc.Loading(html.Div(id="plans-result", role="status", **ARIA_LIVE)),
        html.Div(plans_table(plans_of(session, principal, filters.contract_id)),
                 id="plans-list"),
    ])


layout = guarded(render, "plans")


def _filled(value: Any) -> str:
    return str(value).strip() if value is not None else ""


@callback(Output("plans-result", "children"), Output("plans-list", "children"),
          Input("plan-open", "n_clicks"), State("plan-member", "value"),
          *(State(f"plan-target-{part}-{i}", "value") for i in range(TARGET_ROWS)
            for part in ("metric", "threshold", "by")),
          State("plan-actions", "value"), State("plan-review-date", "value"),
          State("plan-remedy-days", "value"), State("_pages_location", "search"),
          prevent_initial_call=True)
def open_plan(_clicks: Any, member: str | None, *rest: Any) -> Any:
    """`rest`: each target line's measure, threshold and date, then the actions, the review
    date, the remedy period and the URL's query."""
    lines, (actions, review_date, remedy_days, search) = rest[:-4], rest[-4:]
    principal = signed_in()
    with db_session(write=True) as session:
        contract_id = contract_of_search(session, principal, search)
        try:
            provider_id = chosen_int(member)
            if provider_id is None:
                raise ValueError("member: choose the member the plan is for")
            targets = [{"metric": lines[i], "threshold": _filled(lines[i + 1]),
                        "by_date": _filled(lines[i + 2])} for i in range(0, len(lines), 3)
                       if _filled(lines[i + 1]) or _filled(lines[i + 2])]
            payload = schemas.PlanCreate.model_validate({
                "targets": targets,
                "actions": [line.strip() for line in (actions or "").splitlines()
                            if line.strip()],
                "review_date": _filled(review_date) or None,
                "remedy_days": _filled(remedy_days) or None})
            plan = plans.open_plan(session, principal, contract_id, provider_id, payload)
        except (*REFUSALS, NotFound, ValueError) as exc:
            return refused("Not proposed", exc, "plans-error"), dash.no_update
        message = [f"Plan proposed to {plan.provider_name}: it waits for the member to agree. ",
                   html.A("Open the plan", href=plan_href(plan.id), id="plans-opened-link")]
        return done(message, "plans-done"), plans_table(plans_of(session, principal,
                                                                 contract_id))
