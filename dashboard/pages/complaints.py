"""Complaints (the Merlin route): the ones the principal may see, with their SLA clocks, and for
a supply-chain member's staff the form to raise one. Each opens on its own page
(complaint.py). Everything goes through app.complaints.service with the signed-in principal;
the service's views are already redacted for a confidential complainant."""

from typing import Any
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints import exports, schemas, service
from app.core.errors import DomainError
from app.core.pagination import PageParams
from dashboard.auth import PREFIX, current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.complaints import complainant_words, sla_lines
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
from dashboard.components.formatting import (
    COMPLAINT_STATUS,
    PRINCIPLES,
    complaint_status_label,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/complaints", name="Complaints", order=8,
                   title="Complaints - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user", "reviewer"))
COMPLAINT_PRINCIPLES = ("supply_chain_design", "commitment", "conduct", "review", "commercial")
PRINCIPLE_HINTS = {
    "supply_chain_design": "how referrals and work are shared out in the supply chain",
    "commitment": "payments, terms and promises the prime made",
    "conduct": "how the prime behaves: disputes, improvement plans, exits",
    "review": "how the prime judges performance (league tables, reviews)",
    "commercial": "a dispute about prices or fees rather than the Merlin Standard",
}
PAGE_ROWS = 1000
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}
CONFIDENTIALITY_EXPLAINED = [
    html.P([html.Strong("Confidential: "),
            "the prime's staff see the complaint itself (contract, principle, title, "
            "description, its status and the messages), but never which organisation raised "
            "it or who in it: your organisation's name, your user names and ids are hidden "
            "from them everywhere (this page, its history, e-mails, compliance flags). If it "
            "is escalated, the reviewer sees who you are."], className="mb-1"),
    html.P(["What you write in the title, description and messages is shown to the prime "
            "as written: leave out anything that would identify you. You may lift "
            "confidentiality later; once lifted it cannot be restored."], className="mb-1"),
    html.P([html.Strong("Not confidential: "),
            "the prime's staff see your organisation's name and the user names of whoever "
            "raises or answers it."], className="mb-0"),
]


def fetch(session: Session, principal: Principal, contract_id: int | None,
          status: str | None) -> list[schemas.ComplaintDetail]:
    complaints: list[schemas.ComplaintDetail] = []
    cursor = None
    while True:
        rows, cursor = service.list_complaints(session, principal,
                                               PageParams(limit=PAGE_ROWS, cursor=cursor),
                                               contract_id=contract_id, status=status)
        complaints += rows
        if cursor is None:
            return complaints


def complaints_table(complaints: list[schemas.ComplaintDetail],
                     contracts: dict[str, str]) -> Any:
    """A plain table: few rows, and every title a link reachable by Tab."""
    if not complaints:
        return empty_state("No complaints here",
                           "Complaints you raise, or that are raised against your contracts, "
                           "appear here with their deadlines. Choose other filters to see "
                           "the rest.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "#", "Title", "Contract", "Principle", "Complainant", "Status", "Submitted",
        "SLA clock")]))
    rows = []
    for c in reversed(complaints):  # newest first
        rows.append(html.Tr([
            html.Td(str(c.id)),
            html.Td(html.A(c.title, href=f"{PREFIX}complaints/{c.id}")),
            html.Td(contracts.get(str(c.contract_id), str(c.contract_id))),
            html.Td(PRINCIPLES.get(c.principle, c.principle)),
            html.Td(complainant_words(c)),
            html.Td(complaint_status_label(c.status)),
            html.Td(c.submitted_at.strftime("%Y-%m-%d")),
            html.Td(html.Ul([html.Li(line) for line in sla_lines(c)],
                            className="list-unstyled mb-0 small")),
        ], id=f"complaint-row-{c.id}"))
    return dbc.Table([head, html.Tbody(rows)], bordered=True, hover=True, responsive=True,
                     size="sm", id="complaints-table")


def raise_form(contracts: list[dict[str, Any]]) -> html.Section:
    return html.Section([
        html.H2("Raise a complaint", className="h5"),
        html.P("First the prime's own procedure: it must acknowledge within 5 working days "
               "and propose a resolution within 20. If it does not, or you reject its "
               "resolution, you may escalate to the reviewer.", className="small"),
        dbc.Row([
            dbc.Col([dbc.Label("Contract", html_for="complaint-contract"),
                     dbc.Select(id="complaint-contract", options=contracts,
                                value=contracts[0]["value"] if contracts else None)], md=4),
            dbc.Col([dbc.Label("Principle", html_for="complaint-principle"),
                     dbc.Select(id="complaint-principle", value="supply_chain_design",
                                options=[{"label": f"{PRINCIPLES[p]}: {PRINCIPLE_HINTS[p]}",
                                          "value": p} for p in COMPLAINT_PRINCIPLES])], md=8),
        ], className="mb-2"),
        dbc.Label("Title", html_for="complaint-title"),
        dbc.Input(id="complaint-title", maxLength=200, className="mb-2"),
        dbc.Label("Description: what happened, when, and what you ask for",
                  html_for="complaint-description"),
        dbc.Textarea(id="complaint-description", rows=4, maxLength=20_000, className="mb-2"),
        dbc.Checkbox(id="complaint-confidential", value=True,
                     label="Keep my organisation's identity from the prime (confidential)"),
        dbc.Alert(CONFIDENTIALITY_EXPLAINED, color="light", className="border small my-2",
                  id="confidentiality-explained"),
        dbc.Button("Raise the complaint", id="complaint-raise", color="primary"),
        dcc.Loading(html.Div(id="complaint-raise-result", role="status", className="mt-2",
                             **ARIA_LIVE)),
    ], className="border rounded p-3 mb-3", **aria_label("Raise a complaint"))


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    contract_filter = parse_filters(query)
    status = parse_choice(query, "status", tuple(COMPLAINT_STATUS), contract_filter.errors)
    contracts = contract_options(session, principal)
    complaints = fetch(session, principal, contract_filter.contract_id, status)
    status_control = filter_control("status", "Status", status, width=3, options=[
        {"label": "All statuses", "value": ""}]
        + [{"label": label, "value": code} for code, label in COMPLAINT_STATUS.items()])
    lead = {"provider_user": "Your organisation's complaints against its prime, and how "
                             "each stands.",
            "prime_manager": "Complaints from your supply chain: acknowledge within 5 working "
                             "days, propose a resolution within 20.",
            "reviewer": "Complaints escalated to the Merlin route: triage, independent "
                        "review, decision."}.get(principal.role, "Every complaint.")
    return html.Div([
        page_header("Complaints", lead),
        raise_form(contracts) if principal.role == "provider_user" else None,
        filter_bar(contract_filter, any_contract(contracts), period=False, horizon=False,
                   as_of=False, extra=[status_control]),
        html.H2("The complaints you may see", className="h5"),
        download_buttons("complaints"),
        html.Div(complaints_table(complaints, {c["value"]: c["label"] for c in contracts}),
                 id="complaints-list"),
        html.P(f"Statuses: {', '.join(COMPLAINT_STATUS.values())}. SLA clocks "
               "count working days: Monday to Friday, less England and Wales bank "
               "holidays and the contract's own holidays.",
               className="small text-muted"),
    ])


layout = guarded(render, "complaints")


@callback(Output("complaints-download", "data"), *download_inputs("complaints"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    """The complaints of the URL's filters, as the list shows them, as a file."""
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    query = dict(parse_qsl((search or "").lstrip("?")))
    contract_filter = parse_filters(query)
    status = parse_choice(query, "status", tuple(COMPLAINT_STATUS), [])
    with db_session() as session:
        complaints = fetch(session, principal, contract_filter.contract_id, status)
    return send_export(exports.complaints_export(complaints, {
        "contract_id": contract_filter.contract_id, "status": status}), chosen_format())


@callback(Output("complaint-raise-result", "children"), Output("complaints-list", "children"),
          Input("complaint-raise", "n_clicks"),
          State("complaint-contract", "value"), State("complaint-principle", "value"),
          State("complaint-title", "value"), State("complaint-description", "value"),
          State("complaint-confidential", "value"), State("_pages_location", "search"),
          prevent_initial_call=True)
def raise_complaint(clicks: int | None, contract: str | None, principle: str | None,
                    title: str | None, description: str | None, confidential: bool | None,
                    search: str | None) -> Any:
    principal = current_principal()
    if principal is None or not clicks:
        raise PreventUpdate
    try:
        payload = schemas.ComplaintCreate.model_validate({
            "contract_id": contract, "principle": principle, "title": title or "",
            "description": description or "", "confidential": bool(confidential)})
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return dbc.Alert(["Not raised: ", "; ".join(problems)], color="danger",
                         id="complaint-raise-error"), dash.no_update
    with db_session(write=True) as session:
        try:
            raised = service.raise_complaint(session, principal, payload)
        except DomainError as exc:
            return dbc.Alert(f"Not raised: {exc.detail}", color="danger",
                             id="complaint-raise-error"), dash.no_update
        contracts = contract_options(session, principal)
        query = dict(parse_qsl((search or "").lstrip("?")))
        status = parse_choice(query, "status", tuple(COMPLAINT_STATUS), [])
        listed = complaints_table(fetch(session, principal, parse_filters(query).contract_id,
                                        status), {c["value"]: c["label"] for c in contracts})
    secrecy = ("confidential: the prime will not see who raised it" if raised.confidential
               else "not confidential")
    return dbc.Alert([f"Complaint #{raised.id} raised ({secrecy}). ",
                      html.A("Open it", href=f"{PREFIX}complaints/{raised.id}")],
                     color="success", id="complaint-raised"), listed
