"""One compliance flag: its summary, the evidence behind it (the record ids and figures the rule
read), its status history, and the acknowledge / resolve actions with a required note. The
actions shown are those the compliance service says the principal may make now; if it refuses
anyway (someone else changed the flag meanwhile), the page says why."""

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.compliance import schemas, service
from app.core.errors import DomainError
from app.models.base import is_public_id
from dashboard.auth import PREFIX, current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.evidence import evidence_table
from dashboard.components.filters import contract_options
from dashboard.components.flags import organisation_names, subject_name
from dashboard.components.formatting import (
    DASH,
    PRINCIPLES,
    SEVERITY,
    flag_status_label,
    severity_label,
)
from dashboard.components.page import aria_label, guarded, not_found

dash.register_page(__name__, path_template="/compliance/flags/<flag_id>",
                   name="Compliance flag", title="Compliance flag - chainboard")
ACTION_WORDS = {"acknowledged": "Acknowledge", "resolved": "Resolve"}
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}


def facts(flag: schemas.FlagRead, subject: str, contract: str) -> html.Dl:
    pairs = [
        ("Rule", f"{flag.rule}: {flag.title}"), ("Standard", flag.standard),
        ("Principle", PRINCIPLES.get(flag.principle, flag.principle)),
        ("2018 principles", ", ".join(flag.merlin_2018_principles) or DASH),
        ("Severity", severity_label(flag.severity)), ("Subject", subject),
        ("Contract", contract),
        ("First detected", flag.first_detected_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Last detected", flag.last_detected_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Still detected", "No: cleared " + flag.cleared_at.strftime("%Y-%m-%d")
         if flag.cleared_at else "Yes"),
    ]
    items: list[Any] = []
    for term, value in pairs:
        items += [html.Dt(term, className="col-sm-3"), html.Dd(value, className="col-sm-9")]
    if flag.complaint_id is not None:
        items += [html.Dt("Complaint", className="col-sm-3"), html.Dd(html.A(
            f"Complaint #{flag.complaint_id}", href=f"{PREFIX}complaints/{flag.complaint_id}"),
            className="col-sm-9")]
    return html.Dl(items, className="row mb-2")


def status_section(flag: schemas.FlagRead, allowed: list[str]) -> html.Section:
    parts: list[Any] = [
        html.H2("Status", className="h5 mt-3"),
        html.P(flag_status_label(flag.status), id="flag-status", className="fs-5 mb-1"),
    ]
    if flag.status_changed_at is not None:
        parts.append(html.P(
            f"Changed {flag.status_changed_at:%Y-%m-%d %H:%M} UTC: {flag.status_note}",
            className="small", id="flag-status-note"))
    if allowed:
        parts += [
            dbc.Label("Note (required): what was done or will be done about it",
                      html_for="flag-note"),
            dbc.Textarea(id="flag-note", rows=3, maxLength=2000, className="mb-2",
                         required=True),
            html.Div([dbc.Button(ACTION_WORDS[to], id={"type": "flag-act", "to": to},
                                 color="primary" if i == 0 else "secondary",
                                 className="me-2") for i, to in enumerate(allowed)]),
        ]
    else:
        parts.append(html.P("Only an administrator and the contract's prime manager change "
                            "a flag's status; a resolved flag stays resolved.",
                            className="small text-muted"))
    return html.Section(parts, **aria_label("Status"))


def detail(session: Session, principal: Principal, flag_id: str,
           notice: Any = None) -> html.Div:
    flag = service.get_flag(session, principal, flag_id)
    allowed = service.flag_status_changes(session, principal, flag_id)
    subject = subject_name(flag, organisation_names(session, principal))
    contracts = {c["value"]: c["label"] for c in contract_options(session, principal)}
    colour = SEVERITY.get(flag.severity, ("#999999",))[0]
    return html.Div([
        html.Div(notice, role="status", **ARIA_LIVE),
        html.H1(f"Flag #{flag.id} {flag.rule}: {flag.title}", className="h3 mt-3"),
        html.P(flag.summary, className="lead", id="flag-summary",
               style={"borderLeft": f"6px solid {colour}", "paddingLeft": "0.75rem"}),
        facts(flag, subject, contracts.get(str(flag.contract_id), str(flag.contract_id))),
        html.Section([html.H2("Evidence", className="h5"),
                      html.P("The figures and record ids the rule read when it last found "
                             "this.", className="small text-muted"),
                      evidence_table(flag.evidence, table_id="flag-evidence")],
                     **aria_label("Evidence")),
        status_section(flag, allowed),
        dcc.Store(id="flag-id", data=flag.id),
    ])


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    flag_text = query.pop("flag_id", "")
    if not is_public_id(flag_text):
        return not_found()
    back = urlencode({k: v for k, v in query.items() if v})  # the list's filters
    back_query = f"?{back}" if back else ""
    return html.Div([
        html.A("\u2190 Back to the compliance flags", href=f"{PREFIX}compliance{back_query}"),
        # The shell's loading indicator covers this part's updates too.
        html.Div(detail(session, principal, flag_text), id="flag-detail"),
    ])


layout = guarded(render, "compliance")


@callback(Output("flag-detail", "children"),
          Input({"type": "flag-act", "to": ALL}, "n_clicks"),
          State("flag-note", "value"), State("flag-id", "data"), prevent_initial_call=True)
def change_status(clicks: list[int | None], note: str | None, flag_id: str | None) -> Any:
    principal = current_principal()
    trigger = dash.ctx.triggered_id
    if principal is None or flag_id is None or not isinstance(trigger, dict) or not any(clicks):
        raise PreventUpdate  # a button drawn, not pressed
    with db_session(write=True) as session:
        try:
            change = schemas.FlagStatusChange(status=trigger["to"], note=note or "")
        except ValidationError:
            return detail(session, principal, flag_id, dbc.Alert(
                "note: write what was done or will be done before changing the status",
                color="danger", id="flag-error"))
        try:
            changed = service.change_flag_status(session, principal, flag_id, change)
        except DomainError as exc:
            return detail(session, principal, flag_id,
                          dbc.Alert(exc.detail, color="danger", id="flag-error"))
        return detail(session, principal, flag_id, dbc.Alert(
            f"The flag is now {changed.status}.", color="success", id="flag-done"))
