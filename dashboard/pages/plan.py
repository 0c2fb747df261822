"""One improvement plan: its targets with their progress from the data, the agreed actions,
the dates that protect the member (review date, remedy period), the history of moves and
comments, and what the signed-in side may do next (app.regime.plans decides: the buttons are
its `allowed_transitions`). A plan outside the principal's scope is not found."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.regime import plans, schemas
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.explain import what_is
from dashboard.components.formatting import DASH, day
from dashboard.components.forms import ARIA_LIVE, REFUSALS, field, refused, signed_in
from dashboard.components.page import aria_label, guarded, page_header
from dashboard.components.plans import METRICS, STATE_NAMES, figure

dash.register_page(__name__, path_template="/plans/<plan_id>", name="Improvement plan",
                   title="Improvement plan - chainboard")
MOVE_NAMES = {"agreed": "Agree the plan", "in_review": "Start the review",
              "met": "Decide: met", "extended": "Decide: extend", "failed": "Decide: failed"}
BY = {"prime": "The prime", "member": "The member", "admin": "An administrator"}


def history(plan: schemas.PlanOut) -> Any:
    items = []
    for entry in plan.history:
        if entry.kind == "transition":
            what = (f"moved it to {STATE_NAMES[entry.to_state]}" if entry.from_state
                    else "proposed it") if entry.to_state else "moved it"
        else:
            what = "contested it" if entry.kind == "contest" else "commented"
        items.append(html.Li([html.Strong(f"{BY[entry.by]} {what}"),
                              f" on {day(entry.at.date())}",
                              html.Blockquote(entry.body, className="mb-1 ms-3 small")
                              if entry.body else None], className=f"plan-{entry.kind}"))
    return html.Ol(items, className="plan-history", **aria_label("History"))


def extend_date(shown: bool) -> Any:
    """The new review date an extension needs (always in the page: the callback reads it)."""
    box = field("New review date (to extend)", dbc.Input(id="plan-new-review-date",
                                                         type="date"), md=4)
    box.className = f"{box.className or ''}{'' if shown else ' d-none'}"
    return box


def detail(plan: schemas.PlanOut, member: bool, viewer: str) -> Any:
    targets = html.Tbody([html.Tr([
        html.Td(METRICS[t.metric]), html.Td(figure(t.metric, t.threshold)),
        html.Td(day(t.by_date)),
        html.Td(figure(t.metric, t.value)), html.Td(day(t.as_of)),
        html.Td(DASH if t.met is None else ("\u2714 Met" if t.met else "\u2716 Not yet"))])
        for t in plan.targets])
    moves = [dbc.Button(MOVE_NAMES[to], id={"type": "plan-move", "to": to},
                        color="danger" if to == "failed" else "primary", className="me-2 mb-2")
             for to in plan.allowed_transitions]
    # The reviewer reads; the prime and the member comment while the plan is open.
    acting = bool(plan.allowed_transitions) or (plan.state in plans.OPEN_STATES
                                                 and viewer != "reviewer")
    return html.Div([
        html.Dl([
            html.Div([html.Dt("State"), html.Dd(STATE_NAMES[plan.state], id="plan-state")],
                     className="col"),
            html.Div([html.Dt("Review date"), html.Dd(day(plan.review_date))],
                     className="col"),
            html.Div([html.Dt(["Remedy period", what_is("remedy-period", "remedy-what")],
                              className="d-flex"),
                      html.Dd(f"{plan.remedy_days} days" + (
                          f", to {day(plan.remedy_ends)}" if plan.remedy_ends
                          else ", from the day the member agrees"))], className="col"),
            html.Div([html.Dt("Contested"), html.Dd("Yes" if plan.contested else "No",
                                                    id="plan-contested")], className="col"),
        ], className="row mb-2"),
        html.H2("Targets", className="h5"),
        dbc.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "Measure", "To reach", "By", "Now", "Figure as of", "Progress")])), targets],
            bordered=True, size="sm", responsive=True, id="plan-targets"),
        html.H2("Agreed actions", className="h5"),
        html.Ul([html.Li(a) for a in plan.actions]),
        html.H2("History", className="h5"),
        history(plan),
        html.Section([
            html.H2("Your next step", className="h5"),
            dbc.Row([
                field("Note or comment", dbc.Textarea(id="plan-note", rows=2, maxLength=4000),
                      md=8),
                extend_date(shown="extended" in plan.allowed_transitions),
            ]),
            html.Div(moves),
            dbc.Button("Add the comment", id="plan-comment", color="secondary",
                       className="me-2"),
            dbc.Button("Contest the plan", id="plan-contest", color="warning",
                       className="" if member and plan.state in plans.OPEN_STATES
                       else "d-none"),
            html.P(["A contest is on record for the independent reviewer, and the prime is "
                    "told. To take it further, ", html.A("raise a complaint",
                                                         href=f"{PREFIX}complaints"), "."],
                   className="small mt-2")
            if member else None,
        ], className="border rounded p-3 mb-3 d-print-none", hidden=not acting,
            **aria_label("Your next step")),
    ])


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    plan_id = query.get("plan_id", "")
    plan = plans.get_plan(session, principal, plan_id)
    member = principal.role == "provider_user" and principal.organisation_id == plan.provider_id
    return html.Div([
        page_header(f"Improvement plan: {plan.provider_name}"),
        dcc.Store(id="plan-id", data=plan.id),
        dcc.Loading(html.Div(id="plan-result", role="status", **ARIA_LIVE)),
        html.Div(detail(plan, member, principal.role), id="plan-detail"),
    ])


layout = guarded(render, "plans")


@callback(Output("plan-result", "children"), Output("plan-detail", "children"),
          Input({"type": "plan-move", "to": ALL}, "n_clicks"), Input("plan-comment", "n_clicks"),
          Input("plan-contest", "n_clicks"), State("plan-note", "value"),
          State("plan-new-review-date", "value"), State("plan-id", "data"),
          prevent_initial_call=True)
def act(_moves: list[Any], _comment: Any, _contest: Any, note: str | None,
        review_date: str | None, plan_id: str | None) -> Any:
    principal = signed_in()
    if not ctx.triggered or not any(t["value"] for t in ctx.triggered) or not plan_id:
        raise PreventUpdate
    pressed = ctx.triggered_id
    text = (note or "").strip()
    with db_session(write=True) as session:
        try:
            if pressed in ("plan-comment", "plan-contest"):
                plan = plans.comment(session, principal, plan_id,
                                     schemas.CommentIn.model_validate({"body": text}),
                                     contest=pressed == "plan-contest")
                message = "Contest recorded." if pressed == "plan-contest" else "Comment added."
            else:
                plan = plans.transition(session, principal, plan_id,
                                        schemas.TransitionIn.model_validate({
                                            "to": pressed["to"], "note": text or None,
                                            "review_date": (review_date or "").strip() or None}))
                message = f"The plan is now {STATE_NAMES[plan.state].lower()}."
        except (*REFUSALS, NotFound) as exc:
            return refused("Not done", exc, "plan-error"), dash.no_update
        member = (principal.role == "provider_user"
                  and principal.organisation_id == plan.provider_id)
    return dbc.Alert(message, color="success", id="plan-done"), detail(plan, member, principal.role)
