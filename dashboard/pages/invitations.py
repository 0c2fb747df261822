"""Invitations and join codes (app.supply_chain.invitations): the invitations the principal's
organisation sent or received, with accept / decline for the invited organisation and withdraw
for the inviting prime; join codes an organisation gives a prime so that it can be invited.
The service decides who may answer which invitation: the page offers every pending one and
shows the service's refusal."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from sqlalchemy.orm import Session

from app.auth.permissions import may
from app.auth.principal import Principal
from app.supply_chain import invitations, schemas
from app.supply_chain.service import list_organisations
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.formatting import pct
from dashboard.components.forms import (
    ARIA_LIVE,
    REFUSALS,
    chosen_int,
    done,
    every,
    field,
    options,
    refused,
    shown_once,
    signed_in,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/invitations", name="Invitations and join codes", order=23,
                   nav_group=True, title="Invitations - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))
VERBS = {"invitation-accept": invitations.accept, "invitation-decline": invitations.decline,
         "invitation-withdraw": invitations.withdraw}


def invitations_view(session: Session, principal: Principal) -> tuple[Any, list[Any]]:
    """The table, and the choices of the pending invitations."""
    rows = every(lambda page: invitations.list_invitations(session, principal, page))
    if not rows:
        return empty_state("No invitations", "A prime invites your organisation by its join "
                                             "code; the invitation then waits here for your "
                                             "answer."), []
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Contract", "Prime", "Invited organisation", "Tier", "Contracted share", "Status",
        "Expires")]))
    body = html.Tbody([html.Tr([
        html.Td(f"{i.cpa_code} {i.cpa_name}"), html.Td(i.prime_name), html.Td(i.provider_name),
        html.Td(str(i.tier)), html.Td(pct(float(i.contracted_share))),
        html.Td(i.status.capitalize()), html.Td(i.expires_at.strftime("%Y-%m-%d")),
    ], id=f"invitation-row-{i.id}") for i in reversed(rows)])
    pending = options([(i.id, f"{i.cpa_code}: {i.prime_name} inviting {i.provider_name}")
                       for i in rows if i.status == "pending"])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="invitations-table"), pending


def join_codes_table(session: Session, principal: Principal) -> Any:
    codes = every(lambda page: invitations.list_join_codes(session, principal, page))
    if not codes:
        return empty_state("No join codes", "Create one and give it to the prime that will "
                                            "invite your organisation.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Starts with", "Organisation id", "Created", "Expires", "Used")]))
    body = html.Tbody([html.Tr([
        html.Td(html.Code(c.prefix)), html.Td(str(c.organisation_id)),
        html.Td(c.created_at.strftime("%Y-%m-%d")), html.Td(c.expires_at.strftime("%Y-%m-%d")),
        html.Td(c.used_at.strftime("%Y-%m-%d") if c.used_at else "Not yet"),
    ]) for c in reversed(codes)])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="join-codes-table")


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    table, pending = invitations_view(session, principal)  # 403 for a role that may not
    answer = html.Section([
        html.H2("Answer or withdraw an invitation", className="h5"),
        dbc.Row([field("Pending invitation", dbc.Select(id="invitation-chosen",
                                                        options=pending), md=6)]),
        dbc.Button("Accept", id="invitation-accept", color="primary", className="me-2"),
        dbc.Button("Decline", id="invitation-decline", color="secondary", outline=True,
                   className="me-2"),
        dbc.Button("Withdraw (the inviting prime)", id="invitation-withdraw",
                   color="secondary", outline=True),
        html.P("Accepting makes your organisation a member of the contract from today, on the "
               "terms shown; until then neither side sees the other's data.",
               className="small text-muted mt-2 mb-0"),
    ], className="border rounded p-3 mb-3", **aria_label("Answer an invitation"))
    orgs = (every(lambda page: list_organisations(session, principal, page))
            if principal.is_admin else [])
    codes = html.Section([
        html.H2("Join codes", className="h5"),
        html.P("A prime can invite only organisations it already knows. To be invited into "
               "a new supply chain, create a code here and give it to the prime's manager, "
               "who enters it on the Members page. A code works once, for 14 days."),
        html.Div(field("Organisation", dbc.Select(id="join-code-organisation", options=options(
            [(o.id, o.name) for o in orgs if o.kind != "reviewer"])), md=12),
            hidden=not principal.is_admin, className="col-md-5"),
        dbc.Button("Create a join code", id="join-code-create", color="primary"),
        dcc.Loading(html.Div(id="join-codes-result", role="status", className="mt-2",
                             **ARIA_LIVE)),
        html.Div(join_codes_table(session, principal), id="join-codes-list"),
    ], className="border rounded p-3 mb-3", **aria_label("Join codes"))
    return html.Div([
        page_header("Invitations and join codes",
                    "Joining a supply chain needs both sides: the prime invites, your "
                    "organisation accepts."),
        answer,
        dcc.Loading(html.Div(id="invitations-result", role="status", **ARIA_LIVE)),
        html.Div(table, id="invitations-list"),
        codes if may(principal, "join_codes.manage") else None,
    ])


layout = guarded(render, "invitations")


@callback(Output("invitations-result", "children"), Output("invitations-list", "children"),
          Output("invitation-chosen", "options"),
          Input("invitation-accept", "n_clicks"), Input("invitation-decline", "n_clicks"),
          Input("invitation-withdraw", "n_clicks"), State("invitation-chosen", "value"),
          prevent_initial_call=True)
def answer(_accept: Any, _decline: Any, _withdraw: Any, chosen: str | None) -> Any:
    principal = signed_in()
    if not chosen:
        return (refused("Not answered", ValueError("invitation: choose a pending invitation"),
                        "invitations-error"), dash.no_update, dash.no_update)
    with db_session(write=True) as session:
        try:
            invitation = VERBS[str(ctx.triggered_id)](session, principal, chosen[:64])
        except REFUSALS as exc:
            return refused("Not done", exc, "invitations-error"), dash.no_update, dash.no_update
        table, pending = invitations_view(session, principal)
    return done(f"Invitation {invitation.status}.", "invitations-done"), table, pending


@callback(Output("join-codes-result", "children"), Output("join-codes-list", "children"),
          Input("join-code-create", "n_clicks"), State("join-code-organisation", "value"),
          prevent_initial_call=True)
def create_join_code(_clicks: Any, organisation: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            _, code = invitations.create_join_code(session, principal, schemas.JoinCodeCreate(
                organisation_id=chosen_int(organisation) if principal.is_admin else None))
        except REFUSALS as exc:
            return refused("Not created", exc, "join-codes-error"), dash.no_update
        return (shown_once("Join code:", code, "join-code-secret",
                           "Give it to the prime's manager; it works once, for 14 days."),
                join_codes_table(session, principal))
