"""Organisations: the ones the principal may see (app.auth.scope.organisations) and, for an
admin, a form to create one. Through app.supply_chain.service, as the API's /organisations."""

from typing import Any, get_args

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from sqlalchemy.orm import Session

from app.auth.permissions import may
from app.auth.principal import Principal
from app.models.organisations import OrgKind, Sector
from app.supply_chain import exports, schemas, service
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.forms import ARIA_LIVE, REFUSALS, done, every, field, refused, signed_in
from dashboard.components.page import aria_label, guarded, page_header

dash.register_page(__name__, path="/organisations", name="Organisations", order=22,
                   nav_group=True, title="Organisations - chainboard", nav_roles=("admin",))
KIND_NAMES = {"prime": "Prime", "subcontractor": "Subcontractor", "reviewer": "Reviewer"}
SECTOR_NAMES = {"private": "Private", "public": "Public", "third": "Third sector (charity)"}


def organisations_table(session: Session, principal: Principal) -> Any:
    orgs = every(lambda page: service.list_organisations(session, principal, page))
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Id", "Name", "Kind",
                                                                  "Sector")]))
    body = html.Tbody([html.Tr([html.Td(str(o.id)), html.Td(o.name),
                                html.Td(KIND_NAMES.get(o.kind, o.kind)),
                                html.Td(SECTOR_NAMES.get(o.sector, o.sector))]) for o in orgs])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="organisations-table")


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    create = html.Section([
        html.H2("Create an organisation", className="h5"),
        dbc.Row([
            field("Name", dbc.Input(id="organisation-name", maxLength=200),
                  "unique, whatever the case", md=5),
            field("Kind", dbc.Select(id="organisation-kind", value="subcontractor", options=[
                {"label": KIND_NAMES[k], "value": k} for k in get_args(OrgKind)])),
            field("Sector", dbc.Select(id="organisation-sector", value="third", options=[
                {"label": SECTOR_NAMES[s], "value": s} for s in get_args(Sector)])),
        ]),
        dbc.Button("Create the organisation", id="organisation-create", color="primary"),
        html.P("Then give it a first user on the Users page; its users do the rest "
               "(their colleagues, API keys, join codes, invitations).",
               className="small text-muted mt-2 mb-0"),
    ], className="border rounded p-3 mb-3", **aria_label("Create an organisation"))
    return html.Div([
        page_header("Organisations"),
        create if may(principal, "organisations.create") else None,
        dcc.Loading(html.Div(id="organisations-result", role="status", **ARIA_LIVE)),
        download_buttons("organisations"),
        html.Div(organisations_table(session, principal), id="organisations-list"),
    ])


layout = guarded(render, "organisations")


@callback(Output("organisations-result", "children"), Output("organisations-list", "children"),
          Input("organisation-create", "n_clicks"), State("organisation-name", "value"),
          State("organisation-kind", "value"), State("organisation-sector", "value"),
          prevent_initial_call=True)
def create(_clicks: Any, name: str | None, kind: str | None, sector: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            org = service.create_organisation(session, principal, schemas.OrganisationCreate
                                              .model_validate({"name": name or "",
                                                               "kind": kind, "sector": sector}))
        except REFUSALS as exc:
            return refused("Not created", exc, "organisations-error"), dash.no_update
        return (done(f"{org.name} created (id {org.id}).", "organisations-done"),
                organisations_table(session, principal))


@callback(Output("organisations-download", "data"), *download_inputs("organisations"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None) -> Any:
    principal = signed_in()
    with db_session() as session:
        orgs = every(lambda page: service.list_organisations(session, principal, page))
        return send_export(exports.organisations_export(orgs), chosen_format())
