"""API keys: the live keys the principal may manage (an admin's all; others their own
organisation's, with a role they could grant), a form to create one, shown once, and revoking.
Through app.auth.service, as the API's /api-keys."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth import exports, schemas, service
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
    shown_once,
    signed_in,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/api-keys", name="API keys", order=21, nav_group=True,
                   title="API keys - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))


def keys_of(session: Session, principal: Principal) -> list[Any]:
    return every(lambda page: service.list_api_keys(session, principal, page))


def keys_table(keys: list[Any]) -> Any:
    if not keys:
        return empty_state("No API keys", "A key lets your case-management system send "
                                          "events without a person signing in.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Name", "Starts with", "Role", "Organisation id", "Created")]))
    body = html.Tbody([html.Tr([
        html.Td(k.name), html.Td(html.Code(k.prefix)), html.Td(ROLE_NAMES.get(k.role, k.role)),
        html.Td(str(k.organisation_id or "")), html.Td(k.created_at.strftime("%Y-%m-%d")),
    ]) for k in keys])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="api-keys-table")


def key_choices(keys: list[Any]) -> list[dict[str, str]]:
    return options([(k.public_id, f"{k.name} ({k.prefix}...)") for k in keys])


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    keys = keys_of(session, principal)  # 403 for a role that may not
    roles = grantable_roles(principal)
    orgs = (every(lambda page: list_organisations(session, principal, page))
            if principal.is_admin else [])
    create = html.Section([
        html.H2("Create a key", className="h5"),
        dbc.Row([
            field("Name", dbc.Input(id="api-key-name", maxLength=100),
                  "what uses it, e.g. \"case system nightly upload\"", md=4),
            field("Role", dbc.Select(id="api-key-role", value=default_role(roles),
                                     options=[{"label": ROLE_NAMES[r], "value": r}
                                              for r in roles]),
                  "never more rights than yours"),
            html.Div(field("Organisation", dbc.Select(id="api-key-organisation", value="",
                     options=[{"label": "(none: an admin key)", "value": ""}] + options(
                         [(o.id, o.name) for o in orgs])), md=12),
                     hidden=not principal.is_admin, className="col-md-4"),
        ]),
        dbc.Button("Create the key", id="api-key-create", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Create a key"))
    revoke = html.Section([
        html.H2("Revoke a key", className="h5"),
        dbc.Row([field("Key", dbc.Select(id="api-key-chosen", options=key_choices(keys)),
                       "it stops working at once", md=5)]),
        dbc.Button("Revoke", id="api-key-revoke", color="danger", outline=True),
    ], className="border rounded p-3 mb-3", **aria_label("Revoke a key"))
    return html.Div([
        page_header("API keys", "Keys for machine clients: send X-API-Key with each request "
                                "to /api/v1 (the upload page needs none). Only a key's hash "
                                "is stored, so a key is shown once, when it is created."),
        create, revoke,
        dcc.Loading(html.Div(id="api-keys-result", role="status", **ARIA_LIVE)),
        html.H2("Live keys", className="h5"),
        download_buttons("api-keys"),
        html.Div(keys_table(keys), id="api-keys-list"),
    ])


layout = guarded(render, "api-keys")


@callback(Output("api-keys-result", "children"), Output("api-keys-list", "children"),
          Output("api-key-chosen", "options"),
          Input("api-key-create", "n_clicks"), Input("api-key-revoke", "n_clicks"),
          State("api-key-name", "value"), State("api-key-role", "value"),
          State("api-key-organisation", "value"), State("api-key-chosen", "value"),
          prevent_initial_call=True)
def act(_create: Any, _revoke: Any, name: str | None, role: str | None,
        organisation: str | None, chosen: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            if ctx.triggered_id == "api-key-create":
                payload = schemas.ApiKeyCreate.model_validate({
                    "name": name or "", "role": role,
                    "organisation_id": chosen_int(organisation) if principal.is_admin
                    else None})
                api_key, secret = service.create_api_key(session, principal, payload)
                message: Any = shown_once(f"Key \"{api_key.name}\" created:", secret,
                                          "api-key-secret", "Send it as the X-API-Key header.")
            elif not chosen:
                return refused("Not revoked", ValueError("key: choose a key"),
                               "api-keys-error"), dash.no_update, dash.no_update
            else:
                service.revoke_api_key(session, principal, chosen[:64])
                message = done("Key revoked: it no longer works.", "api-keys-done")
        except REFUSALS as exc:
            return refused("Not done", exc, "api-keys-error"), dash.no_update, dash.no_update
        keys = keys_of(session, principal)
        return message, keys_table(keys), key_choices(keys)



@callback(Output("api-keys-download", "data"), *download_inputs("api-keys"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None) -> Any:
    principal = signed_in()
    with db_session() as session:
        try:
            keys = keys_of(session, principal)
        except Forbidden as exc:  # a role the page is not for: no file
            raise PreventUpdate from exc
    return send_export(exports.api_keys_export(keys), chosen_format())
