"""Users: the accounts the principal may see (an admin's every one; an organisation's users their
own organisation's, app.auth.scope.users), a form to create one and buttons to deactivate,
reactivate or (admins) set a password. Everything through app.auth.service, as the API's
/users; passwords through its password policy."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth import exports, schemas, service
from app.auth.permissions import may
from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.supply_chain.service import list_organisations
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.formatting import ROLE_NAMES
from dashboard.components.forms import (
    ARIA_LIVE,
    REFUSALS,
    chosen_int,
    default_role,
    done,
    every,
    field,
    grantable_roles,
    options,
    refused,
    signed_in,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/users", name="Users", order=20, nav_group=True,
                   title="Users - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))

EVERY_USER = schemas.UserFilters.model_validate({})




def users_of(session: Session, principal: Principal) -> list[Any]:
    return every(lambda page: service.list_users(session, principal, page, EVERY_USER))


def users_table(session: Session, principal: Principal, users: list[Any]) -> Any:
    if not users:
        return empty_state("No users", "Accounts you create appear here.")
    orgs = {o.id: o.name for o in every(
        lambda page: list_organisations(session, principal, page))}
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Id", "Username", "Role", "Organisation", "Status", "Created")]))
    body = html.Tbody([html.Tr([
        html.Td(str(u.id)), html.Td(u.username), html.Td(ROLE_NAMES.get(u.role, u.role)),
        html.Td(orgs.get(u.organisation_id, "") if u.organisation_id else "(none: admin)"),
        html.Td("Active" if u.is_active else "Deactivated"),
        html.Td(u.created_at.strftime("%Y-%m-%d")),
    ], id=f"user-row-{u.id}") for u in users])
    return dbc.Table([head, body], bordered=True, hover=True, responsive=True, size="sm",
                     id="users-table")


def user_choices(users: list[Any]) -> list[dict[str, str]]:
    return options([(u.id, f"{u.username} ({'active' if u.is_active else 'deactivated'})")
                    for u in users])


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    users = users_of(session, principal)  # 403 for a role that may not
    roles = grantable_roles(principal)
    if principal.is_admin:
        orgs = every(lambda page: list_organisations(session, principal, page))
        organisation: Any = dbc.Select(id="user-organisation", options=[
            {"label": "(none: an admin)", "value": ""}] + options(
            [(o.id, f"{o.name} ({o.kind})") for o in orgs]), value="")
    else:
        organisation = dbc.Select(id="user-organisation", disabled=True, options=options(
            [(principal.organisation_id, "Your own organisation")]),
            value=str(principal.organisation_id))
    create = html.Section([
        html.H2("Create an account", className="h5"),
        dbc.Row([
            field("Username", dbc.Input(id="user-username", maxLength=64, autoComplete="off"),
                  "3 to 64 letters, digits and . _ @ -"),
            field("Password", dbc.Input(id="user-password", type="password", maxLength=256,
                                        autoComplete="new-password"),
                  "8 characters or more, hard to guess: several unrelated words"),
            field("Role", dbc.Select(id="user-role", value=default_role(roles),
                                     options=[{"label": ROLE_NAMES[r], "value": r}
                                              for r in roles])),
            field("Organisation", organisation),
        ]),
        dbc.Button("Create the account", id="user-create", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Create an account"))
    change = html.Section([
        html.H2("Change an account", className="h5"),
        dbc.Row([
            field("Account", dbc.Select(id="user-chosen",
                                        options=user_choices(users)), md=4),
            field("Reason (kept in the audit log)", dbc.Input(id="user-reason", maxLength=200)),
            # Present for every role (the callback reads it), shown to those who may use it.
            html.Div(field("New password", dbc.Input(
                id="user-new-password", type="password", maxLength=256,
                autoComplete="new-password"), "every session of the user ends", md=12),
                hidden=not may(principal, "users.manage"), className="col-md-3"),
        ]),
        dbc.Button("Deactivate", id="user-deactivate", color="danger", outline=True,
                   className="me-2"),
        dbc.Button("Reactivate", id="user-reactivate", color="secondary", outline=True,
                   className="me-2"),
        html.Span(dbc.Button("Set the password", id="user-set-password", color="secondary",
                             outline=True), hidden=not may(principal, "users.manage")),
    ], className="border rounded p-3 mb-3", **aria_label("Change an account"))
    return html.Div([
        page_header("Users", "Who may sign in for your organisation. A deactivated user "
                             "cannot sign in, and the API keys it created stop working."
                    if not principal.is_admin else "Every account."),
        create, change,
        dcc.Loading(html.Div(id="users-result", role="status", **ARIA_LIVE)),
        html.H2("Accounts", className="h5"),
        download_buttons("users"),
        html.Div(users_table(session, principal, users), id="users-list"),
    ])


layout = guarded(render, "users")


@callback(Output("users-result", "children"), Output("users-list", "children"),
          Output("user-chosen", "options"),
          Input("user-create", "n_clicks"), Input("user-deactivate", "n_clicks"),
          Input("user-reactivate", "n_clicks"), Input("user-set-password", "n_clicks"),
          State("user-username", "value"), State("user-password", "value"),
          State("user-role", "value"), State("user-organisation", "value"),
          State("user-chosen", "value"), State("user-reason", "value"),
          State("user-new-password", "value"), prevent_initial_call=True)
def act(_create: Any, _deactivate: Any, _reactivate: Any, _password: Any,
        username: str | None, password: str | None, role: str | None,
        organisation: str | None, chosen: str | None, reason: str | None,
        new_password: str | None) -> Any:
    principal = signed_in()
    button = ctx.triggered_id
    user_id = chosen_int(chosen)
    with db_session(write=True) as session:
        try:
            if button == "user-create":
                payload = schemas.UserCreate.model_validate({
                    "username": username or "", "password": password or "", "role": role,
                    "organisation_id": chosen_int(organisation)})
                user = service.create_user(session, principal, payload)
                message = f"Account {user.username} created; it may sign in now."
            elif user_id is None:
                return refused("Not changed", ValueError("account: choose an account"),
                               "users-error"), dash.no_update, dash.no_update
            elif button == "user-deactivate":
                user = service.deactivate_user(session, principal, user_id,
                                               schemas.Deactivation.model_validate(
                                                   {"reason": reason or None}).reason)
                message = f"{user.username} deactivated: signed out everywhere."
            elif button == "user-reactivate":
                user = service.reactivate_user(session, principal, user_id)
                message = f"{user.username} may sign in again."
            else:
                new = schemas.PasswordReset.model_validate({"new_password": new_password or ""})
                service.reset_password(session, principal, user_id, new.new_password)
                message = "Password set; every session of the user has ended."
        except REFUSALS as exc:
            return refused("Not done", exc, "users-error"), dash.no_update, dash.no_update
        users = users_of(session, principal)
        return (done(message, "users-done"), users_table(session, principal, users),
                user_choices(users))


@callback(Output("users-download", "data"), *download_inputs("users"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None) -> Any:
    principal = signed_in()
    with db_session() as session:
        try:
            users = users_of(session, principal)
        except Forbidden as exc:  # a role the page is not for: no file
            raise PreventUpdate from exc
        names = {o.id: o.name for o in every(
            lambda page: list_organisations(session, principal, page))}
    return send_export(exports.users_export(users, names), chosen_format())
