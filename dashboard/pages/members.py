"""A contract's supply chain: its members, their status and what each is expected to reach; a
form to add one (an admin, at once) or invite one (the prime's manager: by a join code the
organisation gave, or an organisation it already works with), a form to change a member's
status with a reason, and one to set a member's own expectations with a reason. Through
app.supply_chain (invitations.add_or_invite, service.change_member_status and
service.set_member_expectations, as the API's POST /contracts/{id}/members, .../status and
PUT .../expectations)."""

from typing import Any, get_args

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.models import MembershipInvitation
from app.models.contracts import MemberStatus
from app.supply_chain import exports, invitations, schemas, service
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.filters import (
    contract_in_view,
    contract_of_search,
    filter_bar,
    parse_filters,
)
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
    signed_in,
)
from dashboard.components.page import aria_label, empty_state, guarded, page_header

dash.register_page(__name__, path="/members", name="Members", order=25, nav_group=True,
                   title="Members - chainboard", nav_roles=("admin", "prime_manager"))
STATUS_NAMES = {"active": "Active", "on_improvement_plan": "On improvement plan",
                "suspended": "Suspended", "terminated": "Terminated"}


def members_of(session: Session, principal: Principal, contract_id: int) -> list[Any]:
    return every(lambda page: service.member_reads(session, principal, contract_id, page))


def expectations_of(session: Session, principal: Principal, contract_id: int,
                    members: list[Any]) -> dict[int, schemas.ExpectationsRead]:
    """What each member is expected to reach: its own where the prime set them, else the
    contract's (DOMAIN.md section 11)."""
    return {m.provider_id: service.member_expectations(session, principal, contract_id,
                                                       m.provider_id) for m in members}


def expected(value: str, field_name: str, expectations: schemas.ExpectationsRead) -> str:
    return f"{value} (its own)" if field_name in expectations.overridden else value


def members_table(members: list[Any],
                  expectations: dict[int, schemas.ExpectationsRead]) -> Any:
    if not members:
        return empty_state("No members yet", "Invite an organisation below.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Provider id", "Provider", "Tier", "Contracted share", "Status", "Since", "Reason",
        "Minimum performance index", "Check compliance at least",
        "Data timeliness at least")]))
    rows = []
    for m in members:
        own = expectations[m.provider_id]
        rows.append(html.Tr([
            html.Td(str(m.provider_id)), html.Td(m.provider_name), html.Td(str(m.tier)),
            html.Td(pct(float(m.contracted_share))),
            html.Td(STATUS_NAMES.get(m.status, m.status)),
            html.Td(m.history[-1].effective_date.isoformat() if m.history else ""),
            html.Td(m.history[-1].reason if m.history else ""),
            html.Td(expected(f"{own.min_performance_index:.2f}", "min_performance_index", own)),
            html.Td(expected(pct(own.check_compliance_min), "check_compliance_min", own)),
            html.Td(expected(pct(own.data_timeliness_min), "data_timeliness_min", own)),
        ]))
    return dbc.Table([head, html.Tbody(rows)], bordered=True, size="sm", responsive=True,
                     id="members-table")


def member_choices(members: list[Any]) -> list[dict[str, str]]:
    return options([(m.provider_id, m.provider_name) for m in members])


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    filters = parse_filters(query)
    contracts = contract_in_view(session, principal, filters)
    if filters.contract_id is None:
        return html.Div([page_header("Members"), empty_state("No contracts", "")])
    members = members_of(session, principal, filters.contract_id)
    admin = principal.is_admin
    join = html.Section([
        html.H2("Add a member" if admin else "Invite an organisation", className="h5"),
        html.P("An admin adds a member at once. A prime's manager invites: the organisation "
               "accepts on its Invitations page. Name it by the join code it gave you, or by "
               "its id if it already works with you.", className="small"),
        dbc.Row([
            field("Join code", dbc.Input(id="member-join-code", maxLength=64,
                                         autoComplete="off"), md=4),
            field("or organisation id", dbc.Input(id="member-provider", inputMode="numeric"),
                  md=2),
            field("Tier", dbc.Select(id="member-tier", value="1", options=[
                {"label": "1: end-to-end", "value": "1"},
                {"label": "2: specialist", "value": "2"}]), md=2),
            field("Contracted share (0 to 1)", dbc.Input(id="member-share", value="0"),
                  "share of referrals promised", md=2),
        ]),
        dbc.Button("Add the member" if admin else "Send the invitation", id="member-add",
                   color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Add a member"))
    status = html.Section([
        html.H2("Change a member's status", className="h5"),
        dbc.Row([
            field("Member", dbc.Select(id="member-chosen", options=member_choices(members)),
                  md=4),
            field("New status", dbc.Select(id="member-status", value="on_improvement_plan",
                                           options=[{"label": STATUS_NAMES[s], "value": s}
                                                    for s in get_args(MemberStatus)])),
            field("Reason", dbc.Input(id="member-reason", maxLength=2000), md=5),
        ]),
        dbc.Button("Change the status", id="member-change", color="secondary"),
    ], className="border rounded p-3 mb-3", **aria_label("Change a member's status"))
    expectations = html.Section([
        html.H2("Set a member's own expectations", className="h5"),
        html.P("What a member must reach for its quarterly review status to read "
               "\"meets\". A box left empty follows the contract's settings again. The "
               "reason goes on record, where the member and the reviewer can read it.",
               className="small"),
        dbc.Row([
            field("Member", dbc.Select(id="member-expect-chosen",
                                       options=member_choices(members)), md=4),
            field("Minimum performance index", dbc.Input(id="member-expect-pi",
                                                         inputMode="decimal"), "e.g. 0.7",
                  md=2),
            field("Check compliance at least (0 to 1)",
                  dbc.Input(id="member-expect-checks", inputMode="decimal"), md=3),
            field("Data timeliness at least (0 to 1)",
                  dbc.Input(id="member-expect-timeliness", inputMode="decimal"), md=3),
        ]),
        dbc.Row([field("Reason", dbc.Input(id="member-expect-reason", maxLength=2000),
                       md=8)]),
        dbc.Button("Set the expectations", id="member-expectations", color="secondary"),
    ], className="border rounded p-3 mb-3", **aria_label("Set a member's own expectations"))
    return html.Div([
        page_header("Members", "The contract's supply chain, each member's status and what "
                               "it is expected to reach."),
        filter_bar(filters, contracts, period=False, horizon=False, as_of=False),
        join, status, expectations,
        dcc.Loading(html.Div(id="members-result", role="status", **ARIA_LIVE)),
        download_buttons("members"),
        html.Div(members_table(members, expectations_of(session, principal,
                                                        filters.contract_id, members)),
                 id="members-list"),
    ])


layout = guarded(render, "members")


@callback(Output("members-result", "children"), Output("members-list", "children"),
          Input("member-add", "n_clicks"), Input("member-change", "n_clicks"),
          Input("member-expectations", "n_clicks"),
          State("member-join-code", "value"), State("member-provider", "value"),
          State("member-tier", "value"), State("member-share", "value"),
          State("member-chosen", "value"), State("member-status", "value"),
          State("member-reason", "value"), State("member-expect-chosen", "value"),
          State("member-expect-pi", "value"), State("member-expect-checks", "value"),
          State("member-expect-timeliness", "value"), State("member-expect-reason", "value"),
          State("_pages_location", "search"), prevent_initial_call=True)
def act(_add: Any, _change: Any, _expect: Any, join_code: str | None, provider: str | None,
        tier: str | None, share: str | None, chosen: str | None, status: str | None,
        reason: str | None, *rest: str | None) -> Any:
    """`rest`: the expectations form's member, three minimums and reason, then the URL's
    query."""
    (expect_chosen, *minimums, expect_reason), search = rest[:-1], rest[-1]
    principal = signed_in()
    with db_session(write=True) as session:
        contract_id = contract_of_search(session, principal, search)
        try:
            if ctx.triggered_id == "member-expectations":
                provider_id = chosen_int(expect_chosen)
                if provider_id is None:
                    raise ValueError("member: choose a member")
                service.set_member_expectations(
                    session, principal, contract_id, provider_id,
                    schemas.MemberExpectations.model_validate({
                        **{name: (value or "").strip() or None for name, value in zip(
                            service.EXPECTATION_FIELDS, minimums, strict=True)},
                        "reason": expect_reason or ""}))
                message = "Expectations set."
            elif ctx.triggered_id == "member-add":
                added = invitations.add_or_invite(
                    session, principal, contract_id, schemas.MemberCreate.model_validate({
                        "join_code": (join_code or "").strip() or None,
                        "provider_id": (provider or "").strip() or None,
                        "tier": chosen_int(tier), "contracted_share": (share or "").strip()}))
                message = ("Invitation sent: it waits for the organisation's answer."
                           if isinstance(added, MembershipInvitation)
                           else "Member added.")
            else:
                provider_id = chosen_int(chosen)
                if provider_id is None:
                    raise ValueError("member: choose a member")
                service.change_member_status(
                    session, principal, contract_id, provider_id,
                    schemas.StatusChangeIn.model_validate({"status": status,
                                                           "reason": reason or ""}))
                message = "Status changed."
        except (*REFUSALS, ValueError) as exc:
            return refused("Not done", exc, "members-error"), dash.no_update
        members = members_of(session, principal, contract_id)
        return done(message, "members-done"), members_table(
            members, expectations_of(session, principal, contract_id, members))


@callback(Output("members-download", "data"), *download_inputs("members"),
          State("_pages_location", "search"), prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None, search: str | None) -> Any:
    """The members of the URL's contract (or the first, as the page shows)."""
    principal = signed_in()
    with db_session() as session:
        contract_id = contract_of_search(session, principal, search)
        members = members_of(session, principal, contract_id)
        expectations = expectations_of(session, principal, contract_id, members)
    return send_export(exports.members_export(contract_id, members, expectations),
                       chosen_format())
