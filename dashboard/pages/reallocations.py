"""Reallocation (DOMAIN.md section 11): the prime proposes new contracted shares, previews
their projected effect and the guard-rails, and applies them with a reason (and a written
override for any failing guard-rail). Every cut is held for the independent reviewer, who
lets it through or blocks it here. Through app.regime.reallocation, as the API's
/reallocations: the prime's preview is the service's, which never reads a confidential
complaint."""

from decimal import Decimal, InvalidOperation
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.regime import reallocation, schemas
from app.supply_chain import service as supply_chain
from app.supply_chain.service import get_contract
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.explain import explained_heading
from dashboard.components.filters import (
    contract_in_view,
    contract_of_search,
    filter_bar,
    parse_filters,
)
from dashboard.components.formatting import DASH, day, money
from dashboard.components.forms import ARIA_LIVE, REFUSALS, done, every, field, refused, signed_in
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/reallocations", name="Reallocation", order=32,
                   nav_group="Reviews", title="Reallocation - chainboard",
                   nav_roles=("admin", "prime_manager", "reviewer"))
PROPOSERS = ("admin", "prime_manager")
READERS = (*PROPOSERS, "reviewer")
RULES = {"significant_shortfall": "No cut unless the shortfall is more than chance",
         "recent_complaint": "No cut within 90 days of the member's open complaint",
         "tier1_shares_sum": "Tier-1 shares add up to at most 1"}
STATE_NAMES = {"held": "Held for the reviewer", "effective": "In effect",
               "blocked": "Blocked by the reviewer"}


def _share(value: Decimal) -> str:
    return f"{float(value):.1%}"


def labelled(words: str, control: Any, shown: bool = False) -> html.Label:
    """A control named by a label around it (a pattern-matching id cannot be a label's
    `for`); unless `shown`, the words are read out, not shown, where the row says them."""
    return html.Label([html.Span(words, className="" if shown else "visually-hidden"),
                       control], className="w-100")


def guard_rails_table(rails: list[schemas.GuardRailOut], names: dict[int, str],
                      table_id: str) -> Any:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Guard-rail", "Member", "Result", "Detail")]))
    body = html.Tbody([html.Tr([
        html.Td(RULES[r.rule]), html.Td(names.get(r.provider_id, DASH) if r.provider_id
                                        else "Whole contract"),
        html.Td("\u2714 Passes" if r.passed else "\u2716 Fails",
                className="text-success" if r.passed else "text-danger fw-bold"),
        html.Td(r.detail)]) for r in rails])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True, id=table_id)


def preview_view(shown: schemas.ReallocationPreviewOut) -> Any:
    names = {r.provider_id: r.provider_name for r in shown.rows}
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Member", "Tier", "Share now", "Proposed", "Referrals a year", "Job outcomes a year",
        "Payments a year")]))
    body = html.Tbody([html.Tr([
        html.Td(r.provider_name), html.Td(str(r.tier)), html.Td(_share(r.current_share)),
        html.Td(_share(r.proposed_share)),
        html.Td(f"{r.current.referrals:,.0f} \u2192 {r.proposed.referrals:,.0f}"),
        html.Td(f"{r.current.outcomes:,.0f} \u2192 {r.proposed.outcomes:,.0f}"),
        html.Td(f"{money(r.current.payments)} \u2192 {money(r.proposed.payments)}")],
        className="" if r.current_share == r.proposed_share else "table-active")
        for r in shown.rows])
    failing = [r for r in shown.guard_rails if not r.passed]
    return html.Div([
        html.H2("Preview", className="h5"),
        html.P("Projected for a year at last year's volume, from each member's fair figures "
               "(its shrunk performance index).", className="small"),
        dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                  id="reallocation-preview-table"),
        explained_heading(html.H3("Guard-rails", className="h6"), "guard-rail",
                          "guard-rail-what"),
        guard_rails_table(shown.guard_rails, names, "reallocation-guard-rails"),
        dbc.Alert(f"{len(failing)} guard-rail(s) fail: applying needs a written override "
                  "reason, which the reviewer reads.", color="warning",
                  id="reallocation-failing") if failing else None,
        html.P([f"If applied today it takes effect on {day(shown.effective_on)}. ",
                f"Every cut is held {shown.hold_working_days} working days for the "
                "independent reviewer, whoever the member."], id="reallocation-effective"),
    ])


def propose_form(session: Session, principal: Principal, contract_id: int) -> Any:
    members = every(lambda page: supply_chain.member_reads(session, principal, contract_id,
                                                           page))
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Member", "Tier", "Contracted share now", "Proposed share (0 to 1)")]))
    body = html.Tbody([html.Tr([
        html.Td(m.provider_name), html.Td(str(m.tier)), html.Td(_share(m.contracted_share)),
        html.Td(labelled(f"Proposed share for {m.provider_name}", dbc.Input(
            id={"type": "reallocation-share", "provider": m.provider_id},
            value=str(m.contracted_share), inputMode="decimal", size="sm")))])
        for m in members])
    return html.Section([
        html.H2("Propose new shares", className="h5"),
        dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                  id="reallocation-shares"),
        dbc.Row([
            field("Reason (on record, told to each member)",
                  dbc.Input(id="reallocation-reason", maxLength=4000), md=6),
            field("Override reason, if a guard-rail fails",
                  dbc.Input(id="reallocation-override", maxLength=4000),
                  "the reviewer reads it", md=6),
        ]),
        dbc.Button("Preview", id="reallocation-preview", color="secondary", className="me-2"),
        dbc.Button("Apply", id="reallocation-apply", color="primary"),
    ], className="border rounded p-3 mb-3 d-print-none", **aria_label("Propose new shares"))


def reallocations_of(session: Session, principal: Principal,
                     contract_id: int) -> list[schemas.ReallocationOut]:
    return every(lambda page: (lambda found: (found.rows, found.next_cursor))(
        reallocation.list_reallocations(session, principal, page, contract_id)))


def reallocation_card(r: schemas.ReallocationOut, reviewer: bool) -> Any:
    names = {row.provider_id: row.provider_name for row in r.rows}
    changes = "; ".join(f"{row.provider_name} {_share(row.current_share)} \u2192 "
                        f"{_share(row.proposed_share)}" for row in r.rows)
    decide = reviewer and r.state == "held"
    return dbc.Card(dbc.CardBody([
        html.H3(f"{STATE_NAMES[r.state]}: applied {day(r.applied_on)}, "
                f"effective {day(r.effective_on)}", className="h6"),
        html.P(changes),
        html.P([html.Strong("Reason: "), r.reason]),
        html.P([html.Strong("Override reason: "), r.override_reason],
               className="reallocation-override") if r.override_reason else None,
        html.P([html.Strong("Reviewer's note: "), r.reviewer_note]) if r.reviewer_note
        else None,
        html.Details([html.Summary("Guard-rails when applied"),
                      guard_rails_table(r.guard_rails, names, f"guard-rails-{r.id}")]),
        html.Div([
            labelled("Your reason (the prime reads it)", dbc.Input(
                id={"type": "reallocation-note", "reallocation": r.id}, maxLength=4000,
                className="mb-2"), shown=True),
            dbc.Button("Let it take effect now", color="primary", className="me-2",
                       id={"type": "reallocation-decide", "reallocation": r.id,
                           "act": "release"}),
            dbc.Button("Block it", color="danger",
                       id={"type": "reallocation-decide", "reallocation": r.id,
                           "act": "block"}),
        ]) if decide else None,
    ]), className=f"mb-2 reallocation reallocation-{r.state}")


def reallocations_list(found: list[schemas.ReallocationOut], reviewer: bool) -> Any:
    if not found:
        return empty_state("No reallocations", "Applied reallocations show here, with their "
                           "guard-rails and any override reason.")
    return html.Div([reallocation_card(r, reviewer) for r in reversed(found)])


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contracts = contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        return html.Div([page_header("Reallocation"), empty_state("No contracts", "")])
    if principal.role not in READERS:
        get_contract(session, principal, filters.contract_id)  # not found if not its own
        return html.Div([page_header("Reallocation"), empty_state(
            "Reallocations are the prime's and the reviewer's page",
            "When the prime changes your contracted share you are told by notification, "
            "with its reason and the day it takes effect; the Members figures show your "
            "share. A cut is held for the independent reviewer first.")])
    found = reallocations_of(session, principal, filters.contract_id)
    return html.Div([
        page_header("Reallocation"),
        explained_heading(html.P("Changing members' contracted shares, in the open: "
                                 "previewed, checked against the guard-rails and held for "
                                 "the independent reviewer.", className="text-muted"),
                          "reviewer-hold", "reviewer-hold-what"),
        filter_bar(filters, contracts, period=False, horizon=False, as_of=False),
        propose_form(session, principal, filters.contract_id)
        if principal.role in PROPOSERS else None,
        dcc.Loading(html.Div(id="reallocation-result", role="status", **ARIA_LIVE)),
        html.H2("Reallocations", className="h5"),
        html.Div(id="reallocation-decision", role="status", **ARIA_LIVE),
        html.Div(reallocations_list(found, principal.role == "reviewer"),
                 id="reallocations-list"),
    ])


layout = guarded(render, "reallocations")


def proposed_shares(values: list[Any], ids: list[dict[str, Any]],
                    current: dict[int, Decimal]) -> dict[int, str]:
    """The shares the form changes (a member left as it is keeps its share)."""
    changed = {}
    for value, id_ in zip(values, ids, strict=True):
        text = str(value or "").strip()
        try:
            same = Decimal(text) == current.get(id_["provider"])
        except InvalidOperation:
            same = False  # not a number: the service names the field
        if not same:
            changed[id_["provider"]] = text
    return changed


@callback(Output("reallocation-result", "children"), Output("reallocations-list", "children"),
          Input("reallocation-preview", "n_clicks"), Input("reallocation-apply", "n_clicks"),
          State({"type": "reallocation-share", "provider": ALL}, "value"),
          State({"type": "reallocation-share", "provider": ALL}, "id"),
          State("reallocation-reason", "value"), State("reallocation-override", "value"),
          State("_pages_location", "search"), prevent_initial_call=True)
def propose(_preview: Any, _apply: Any, values: list[Any], ids: list[dict[str, Any]],
            reason: str | None, override: str | None, search: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        contract_id = contract_of_search(session, principal, search)
        try:
            current = {m.provider_id: m.contracted_share for m in every(
                lambda page: supply_chain.member_reads(session, principal, contract_id, page))}
            payload = schemas.ReallocationIn.model_validate({
                "shares": proposed_shares(values, ids, current),
                "reason": (reason or "").strip(),
                "override_reason": (override or "").strip() or None})
            if ctx.triggered_id == "reallocation-preview":
                return (preview_view(reallocation.preview(session, principal, contract_id,
                                                          payload)), dash.no_update)
            applied = reallocation.apply(session, principal, contract_id, payload)
        except (*REFUSALS, NotFound) as exc:
            return refused("Not applied" if ctx.triggered_id == "reallocation-apply"
                           else "No preview", exc, "reallocation-error"), dash.no_update
        found = reallocations_of(session, principal, contract_id)
    message = (f"Applied: held for the reviewer until {day(applied.effective_on)}."
               if applied.state == "held" else "Applied: the shares are in effect.")
    return done(message, "reallocation-done"), reallocations_list(found, False)


@callback(Output("reallocation-decision", "children"),
          Input({"type": "reallocation-decide", "reallocation": ALL, "act": ALL}, "n_clicks"),
          State({"type": "reallocation-note", "reallocation": ALL}, "value"),
          State({"type": "reallocation-note", "reallocation": ALL}, "id"),
          prevent_initial_call=True)
def decide(_clicks: list[Any], notes: list[Any], note_ids: list[dict[str, Any]]) -> Any:
    """The reviewer releases or blocks a held reallocation, with a note the prime reads."""
    principal = signed_in()
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not any(t["value"] for t in ctx.triggered):
        raise PreventUpdate
    note = next((str(n or "").strip() for n, i in zip(notes, note_ids, strict=True)
                 if i["reallocation"] == pressed["reallocation"]), "")
    act = reallocation.release if pressed["act"] == "release" else reallocation.block
    with db_session(write=True) as session:
        try:
            decided = act(session, principal, pressed["reallocation"],
                          schemas.ReviewerDecisionIn.model_validate({"note": note}))
        except (*REFUSALS, NotFound) as exc:
            return refused("Not done", exc, "reallocation-decision-error")
    return done(f"{STATE_NAMES[decided.state]}. The prime reads your note.",
                "reallocation-decision-done")
