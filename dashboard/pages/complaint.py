"""One complaint: what it is about, its SLA clock, its history (every transition with who, when
and the note) and its message thread, exactly as app.complaints.service.complaint_view shapes
them for the signed-in principal; posting a message; and a button for each move the service's
`allowed_transitions` lists for this principal, each with a note. A complaint outside the
principal's scope is not found, as the API answers 404."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints import schemas, service, workflow
from app.core.errors import DomainError
from app.models.base import is_public_id
from dashboard.auth import PREFIX, current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.complaints import actor_words, complainant_words, sla_lines
from dashboard.components.filters import contract_options
from dashboard.components.formatting import (
    DASH,
    PRINCIPLES,
    complaint_status_label,
    words,
)
from dashboard.components.page import aria_label, guarded, not_found

dash.register_page(__name__, path_template="/complaints/<complaint_id>", name="Complaint",
                   title="Complaint - chainboard")
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}
# Moves that carry a choice get one button per choice: "to|choice".
CHOICES = {"triaged": ("merlin", "commercial"),
           "decided": ("upheld", "partially_upheld", "not_upheld")}
BUTTON_WORDS = {
    "triaged|merlin": "Triage as a Merlin issue",
    "triaged|commercial": "Triage as a commercial issue",
    "decided|upheld": "Decide: upheld", "decided|partially_upheld": "Decide: partially upheld",
    "decided|not_upheld": "Decide: not upheld",
}


def moves(view: schemas.ComplaintDetail) -> list[tuple[str, str]]:
    """(button key, words) for each move the service allows this principal now."""
    found = []
    for to in view.allowed_transitions:
        if to in CHOICES:
            found += [(f"{to}|{c}", BUTTON_WORDS[f"{to}|{c}"]) for c in CHOICES[to]]
            continue
        edge = workflow.EDGES.get((view.status, to))
        action = edge.action if edge and edge.action else f"move to {words(to).lower()}"
        found.append((f"{to}|", action[0].upper() + action[1:]))
    return found


def dl(pairs: list[tuple[str, Any]]) -> html.Dl:
    items: list[Any] = []
    for term, value in pairs:
        items += [html.Dt(term, className="col-sm-3"),
                  html.Dd(DASH if value is None else value, className="col-sm-9")]
    return html.Dl(items, className="row mb-2")


def when(moment: Any) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def history_view(view: schemas.ComplaintDetail) -> html.Ol:
    items = []
    for entry in view.history:
        if entry.kind == "transition":
            change = (f"{complaint_status_label(entry.to_status or '')}" if entry.from_status
                      is None else f"{words(entry.from_status)} \u2192 "
                                   f"{complaint_status_label(entry.to_status or '')}")
        else:
            change = "Confidentiality lifted"
        decision = f" ({words(entry.decision)})" if entry.decision else ""
        items.append(html.Li([
            html.Div([html.Strong(change + decision), " by ", actor_words(entry), ", ",
                      html.Time(when(entry.at), dateTime=entry.at.isoformat())]),
            html.Div(entry.body, className="small"),
        ], className="mb-2"))
    return html.Ol(items, id="complaint-history", className="ps-3")


def thread_view(view: schemas.ComplaintDetail) -> Any:
    if not view.messages:
        return html.P("No messages yet.", className="text-muted", id="complaint-messages")
    return html.Ol([html.Li([
        html.Div([html.Strong(actor_words(m)), ", ",
                  html.Time(when(m.at), dateTime=m.at.isoformat())], className="small"),
        html.P(m.body, className="mb-0", style={"whiteSpace": "pre-wrap"}),
    ], className="border rounded p-2 mb-2") for m in view.messages],
        id="complaint-messages", className="list-unstyled")


def text_box(name: str, label: str) -> html.Label:
    """A labelled text area; the box sits inside its <label> (a pattern-matching id cannot be
    a label's `for`), so the callback finds whichever boxes the page shows."""
    return html.Label([html.Span(label, className="d-block mb-1"),
                       dbc.Textarea(id={"type": "complaint-text", "name": name}, rows=3,
                                    maxLength=20_000, className="mb-2")], className="w-100")


def actions(view: schemas.ComplaintDetail, principal: Principal) -> list[Any]:
    parts: list[Any] = []
    finished = view.status in workflow.FINAL_STATUSES
    if not finished:
        parts.append(html.Section([
            html.H2("Post a message", className="h5 mt-3"),
            text_box("message", "Message to the other parties"),
            dbc.Button("Post the message", id={"type": "complaint-act", "act": "message"},
                       color="secondary"),
        ], **aria_label("Post a message")))
    available = moves(view)
    if available:
        parts.append(html.Section([
            html.H2("Move the complaint on", className="h5 mt-3"),
            text_box("note", "Note (required): why, for the record and the other parties"),
            html.Div([dbc.Button(label, id={"type": "complaint-act", "act": f"move:{key}"},
                                 color="primary", outline=i > 0, className="me-2 mb-2")
                      for i, (key, label) in enumerate(available)]),
        ], **aria_label("Move the complaint on")))
    elif not finished:
        parts.append(html.P("No move is yours to make now: the other party's turn.",
                            className="small text-muted mt-2", id="complaint-no-moves"))
    if view.confidential and principal.role in ("provider_user", "admin") and not finished:
        parts.append(html.Section([
            html.H2("Confidentiality", className="h5 mt-3"),
            html.P("Lifting it shows your organisation's name and user names to the prime "
                   "on this complaint; it cannot be restored.", className="small"),
            dbc.Button("Lift confidentiality", id={"type": "complaint-act", "act": "lift"},
                       color="warning"),
        ], **aria_label("Confidentiality")))
    return parts


def detail(session: Session, principal: Principal, complaint_id: str,
           notice: Any = None) -> html.Div:
    view = service.get_complaint(session, principal, complaint_id)
    contracts = {c["value"]: c["label"] for c in contract_options(session, principal)}
    facts = dl([
        ("Status", html.Span(complaint_status_label(view.status), id="complaint-status")),
        ("Stage", words(view.stage)),
        ("Principle", PRINCIPLES.get(view.principle, view.principle)),
        ("Contract", contracts.get(str(view.contract_id), str(view.contract_id))),
        ("Complainant", html.Span(complainant_words(view), id="complaint-complainant")),
        ("Confidential", "Yes: the prime does not see who raised it" if view.confidential
         else "No"),
        ("Triage", words(view.triage) if view.triage else None),
        ("Outcome", words(view.outcome) if view.outcome else None),
        ("Submitted", when(view.submitted_at)),
    ])
    return html.Div([
        html.Div(notice, role="status", **ARIA_LIVE),
        html.H1(f"Complaint #{view.id}: {view.title}", className="h3 mt-3"),
        html.P(view.description, style={"whiteSpace": "pre-wrap"}, id="complaint-description"),
        facts,
        html.Section([html.H2("SLA clock", className="h5"),
                      html.Ul([html.Li(line) for line in sla_lines(view)],
                              className="list-unstyled", id="complaint-sla")],
                     **aria_label("SLA clock")),
        dbc.Row([
            dbc.Col(html.Section([html.H2("History", className="h5"), history_view(view)],
                                 **aria_label("History")), md=6),
            dbc.Col(html.Section([html.H2("Messages", className="h5"), thread_view(view)],
                                 **aria_label("Messages")), md=6),
        ]),
        *actions(view, principal),
        dcc.Store(id="complaint-id", data=view.id),
    ])


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    complaint_text = query.pop("complaint_id", "")
    if not is_public_id(complaint_text):
        return not_found()
    return html.Div([
        html.A("\u2190 Back to the complaints", href=f"{PREFIX}complaints"),
        # The shell's loading indicator covers this part's updates too.
        html.Div(detail(session, principal, complaint_text), id="complaint-detail"),
    ])


layout = guarded(render, "complaints")


def _act(session: Session, principal: Principal, complaint_id: str, act: str,
         note: str | None, message: str | None) -> str:
    """Do what the button asks through the service; returns what was done, in words."""
    if act == "message":
        service.post_message(session, principal, complaint_id,
                             schemas.MessageCreate(body=message or ""))
        return "Message posted."
    if act == "lift":
        service.set_confidentiality(session, principal, complaint_id,
                                    schemas.ConfidentialityChange(confidential=False))
        return "Confidentiality lifted."
    to, _, choice = act.removeprefix("move:").partition("|")
    fields: dict[str, Any] = {"to": to, "note": note or ""}
    if to == "triaged":
        fields["triage"] = choice
    if to == "decided":
        fields["outcome"] = choice
    moved = service.transition(session, principal, complaint_id,
                               schemas.TransitionCreate.model_validate(fields))
    return f"Done: the complaint's status is now {words(moved.status).lower()}."


@callback(Output("complaint-detail", "children"),
          Input({"type": "complaint-act", "act": ALL}, "n_clicks"),
          State("complaint-id", "data"),
          State({"type": "complaint-text", "name": ALL}, "value"),
          State({"type": "complaint-text", "name": ALL}, "id"), prevent_initial_call=True)
def act(clicks: list[int | None], complaint_id: str | None, texts: list[str | None],
        text_ids: list[dict[str, str]]) -> Any:
    principal = current_principal()
    trigger = dash.ctx.triggered_id
    if principal is None or complaint_id is None or not isinstance(trigger, dict) \
            or not any(clicks):
        raise PreventUpdate  # buttons drawn, none pressed
    text = {ident["name"]: value for ident, value in zip(text_ids, texts, strict=True)}
    with db_session(write=True) as session:
        try:
            done = _act(session, principal, complaint_id, trigger["act"], text.get("note"),
                        text.get("message"))
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0])
            what = "message" if field == "body" else field
            return detail(session, principal, complaint_id, dbc.Alert(
                f"{what}: write it before sending", color="danger", id="complaint-error"))
        except DomainError as exc:
            return detail(session, principal, complaint_id,
                          dbc.Alert(exc.detail, color="danger", id="complaint-error"))
        return detail(session, principal, complaint_id,
                      dbc.Alert(done, color="success", id="complaint-done"))
