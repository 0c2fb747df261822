"""Contracts: the ones the principal may see, a form to create one (admins) and to change one
(its prime manager: how subcontractors see the league table; admins also the tariff, the
milestone schedule and every setting, as the API's PATCH body). Through
app.supply_chain.service, which decides what each role may change."""

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from sqlalchemy.orm import Session

from app.auth.permissions import may
from app.auth.principal import Principal
from app.supply_chain import exports, schemas, service
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
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
from dashboard.components.page import aria_label, guarded, page_header

dash.register_page(__name__, path="/contracts", name="Contracts", order=24, nav_group=True,
                   title="Contracts - chainboard", nav_roles=("admin", "prime_manager"))
EXAMPLE_CHANGE = json.dumps({"settings": {"min_n": 30, "holidays": ["2026-12-25"]},
                             "tariff": [{"payment_group": "jsa_25_plus",
                                         "valid_from": "2027-04-01", "attachment_fee": "400",
                                         "outcome_fee": "1200", "sustainment_fee": "215",
                                         "max_sustainments": 13, "outcome_weeks": 26}]})


def contracts_of(session: Session, principal: Principal) -> list[Any]:
    return every(lambda page: service.list_contracts(session, principal, page))


def contracts_table(contracts: list[Any]) -> Any:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Id", "CPA", "Area", "Prime id", "Start", "End", "League for subcontractors",
        "Tariff rows")]))
    body = html.Tbody([html.Tr([
        html.Td(str(c.id)), html.Td(c.cpa_code), html.Td(c.cpa_name), html.Td(str(c.prime_id)),
        html.Td(c.start_date.isoformat()), html.Td(c.end_date.isoformat()),
        html.Td(service.contract_settings(c).league_visibility.capitalize()),
        html.Td(str(len(c.tariff_rows))),
    ]) for c in contracts])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="contracts-table")


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    contracts = contracts_of(session, principal)
    admin = may(principal, "contracts.configure")
    primes = ([o for o in every(lambda page: service.list_organisations(session, principal,
                                                                          page))
               if o.kind == "prime"] if may(principal, "contracts.create") else [])
    create = html.Section([
        html.H2("Create a contract", className="h5"),
        dbc.Row([
            field("Prime", dbc.Select(id="contract-prime", options=options(
                [(o.id, o.name) for o in primes]))),
            field("CPA code", dbc.Input(id="contract-cpa-code", maxLength=32), md=2),
            field("Area name", dbc.Input(id="contract-cpa-name", maxLength=200)),
            field("Start", dbc.Input(id="contract-start", type="date"), md=2),
            field("End", dbc.Input(id="contract-end", type="date"), md=2),
        ]),
        html.P("The programme's tariff, milestone schedule and settings apply until you "
               "change them below.", className="small text-muted"),
        dbc.Button("Create the contract", id="contract-create", color="primary"),
    ], className="border rounded p-3 mb-3", hidden=not primes,
        **aria_label("Create a contract"))
    change = html.Section([
        html.H2("Change a contract", className="h5"),
        dbc.Row([
            field("Contract", dbc.Select(id="contract-chosen", options=options(
                [(c.id, f"{c.cpa_code} {c.cpa_name}") for c in contracts])), md=4),
            field("League table for subcontractors", dbc.Select(
                id="contract-visibility", value="", options=[
                    {"label": "(unchanged)", "value": ""},
                    {"label": "Anonymised: other providers unnamed", "value": "anonymised"},
                    {"label": "Named", "value": "named"}]), md=4),
        ]),
        html.Div([
            dbc.Label("Other changes, as the API's PATCH /contracts/{id} body (tariff rows "
                      "are added, settings named are changed, the schedule replaced)",
                      html_for="contract-changes"),
            dbc.Textarea(id="contract-changes", rows=4, placeholder=EXAMPLE_CHANGE,
                         className="font-monospace mb-2"),
        ], hidden=not admin),
        dbc.Button("Save the changes", id="contract-update", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Change a contract"))
    return html.Div([
        page_header("Contracts"),
        create, change,
        dcc.Loading(html.Div(id="contracts-result", role="status", **ARIA_LIVE)),
        download_buttons("contracts"),
        html.Div(contracts_table(contracts), id="contracts-list"),
    ])


layout = guarded(render, "contracts")


def _change(visibility: str | None, changes: str | None) -> schemas.ContractUpdate:
    body: dict[str, Any] = {}
    if changes and changes.strip():
        try:
            body = json.loads(changes)
        except ValueError as exc:
            raise ValueError(f"changes: not JSON ({exc})") from exc
        if not isinstance(body, dict):
            raise ValueError("changes: a JSON object, as the API's PATCH body")
    if visibility:
        body["settings"] = {**(body.get("settings") or {}), "league_visibility": visibility}
    return schemas.ContractUpdate.model_validate(body)


@callback(Output("contracts-result", "children"), Output("contracts-list", "children"),
          Input("contract-create", "n_clicks"), Input("contract-update", "n_clicks"),
          State("contract-prime", "value"), State("contract-cpa-code", "value"),
          State("contract-cpa-name", "value"), State("contract-start", "value"),
          State("contract-end", "value"), State("contract-chosen", "value"),
          State("contract-visibility", "value"), State("contract-changes", "value"),
          prevent_initial_call=True)
def act(_create: Any, _update: Any, prime: str | None, cpa_code: str | None,
        cpa_name: str | None, start: str | None, end: str | None, chosen: str | None,
        visibility: str | None, changes: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            if ctx.triggered_id == "contract-create":
                contract = service.create_contract(session, principal, schemas.ContractCreate
                                                   .model_validate({
                                                       "prime_id": chosen_int(prime),
                                                       "cpa_code": cpa_code or "",
                                                       "cpa_name": cpa_name or "",
                                                       "start_date": start, "end_date": end}))
                message = f"Contract {contract.cpa_code} created (id {contract.id})."
            else:
                contract_id = chosen_int(chosen)
                if contract_id is None:
                    raise ValueError("contract: choose a contract")
                contract = service.update_contract(session, principal, contract_id,
                                                   _change(visibility, changes))
                message = f"Contract {contract.cpa_code} changed."
        except (*REFUSALS, ValueError) as exc:
            return refused("Not saved", exc, "contracts-error"), dash.no_update
        return done(message, "contracts-done"), contracts_table(contracts_of(session,
                                                                             principal))


@callback(Output("contracts-download", "data"), *download_inputs("contracts"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None) -> Any:
    principal = signed_in()
    with db_session() as session:
        return send_export(exports.contracts_export(contracts_of(session, principal)),
                           chosen_format())
