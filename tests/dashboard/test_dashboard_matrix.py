"""The dashboard's authorisation matrix: every page and every server callback, for every role,
on a record of the caller's own scope, on one outside it and on one that does not exist.

The API's matrix (tests/footing/authz_matrix.py) declares an answer per endpoint; the dashboard
answers through the pages router and Dash callbacks, so here the promise is stated as the
API states it: what a role may see shows; what it may not see answers exactly as a record that
does not exist (ids set aside); nothing answers a 5xx; a request without a session is turned
away. A page or callback without an entry here fails the test that lists them, naming it.
"""

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.timeutil import today
from app.models import Complaint
from dashboard.app import create_dash
from tests.compliance.test_flags_api import add_complaint
from tests.dashboard.test_flag_pages import MISSING, MISSING_CONTRACT, Dashboard, assert_alike
from tests.footing.authz_matrix import Context
from tests.helpers import API, record_payment
from tests.world import World

# What no record has, by kind: organisations and contracts keep integer ids, the rest public ids.
ABSENT = {"contract": MISSING_CONTRACT, "provider": MISSING_CONTRACT, "complaint": MISSING,
          "flag": MISSING, "user": MISSING_CONTRACT, "key": MISSING, "invitation": MISSING,
          "plan": MISSING, "reallocation": MISSING}
ROLES = {"admin": "site.admin", "prime_manager": "prime.boss", "provider_user": "third.staff",
         "reviewer": "the.reviewer"}


@dataclass
class Ids:
    """The records a page or callback is asked about, for one role: records it may see
    ("own") and records it may not ("other"; only the kinds of record some of whose
    instances are hidden from the role: the admin sees everything, the reviewer every
    contract but only escalated complaints)."""

    own: dict[str, Any]
    other: dict[str, Any]


@pytest.fixture()
def records(db: Session, client: Any, world: World,
            nested_flags: dict[str, Any]) -> dict[str, Any]:
    """Besides nested_flags' CON-3 flag about S2 and S2's complaint (contract A): S1's own
    complaint, an escalated complaint for the reviewer, SB's complaint in contract B, and a
    late-payment flag (COM-1) about S1 in A and about SB in B."""
    escalated = db.scalars(select(Complaint).where(Complaint.public_id == add_complaint(
        db, world.contract_a, world.s2, today() - timedelta(days=40)))).one()
    escalated.status, escalated.stage = "escalated", "merlin_triage"
    escalated.escalated_at = escalated.submitted_at + timedelta(days=30)
    db.commit()
    for contract, provider in ((world.contract_a, world.s1), (world.contract_b, world.sb)):
        record_payment(client, world.headers["admin"], contract, provider,
                       invoice_date=today() - timedelta(days=60))
    flag = {}
    for contract, provider in ((world.contract_a, world.s1), (world.contract_b, world.sb)):
        answer = client.get(f"{API}/compliance/flags", headers=world.headers["admin"],
                            params={"contract_id": contract, "rule": "COM-1"})
        [row] = [r for r in answer.json()["rows"] if r["subject_org_id"] == provider]
        flag[provider] = row["id"]
    keys = {}
    for name, org, role in (("s1", world.s1, "provider_user"), ("sb", world.sb, "provider_user"),
                            ("prime_a", world.prime_a, "prime_manager"),
                            ("prime_b", world.prime_b, "prime_manager")):
        answer = client.post(f"{API}/api-keys", headers=world.headers["admin"], json={
            "name": f"{name} key", "organisation_id": org, "role": role})
        assert answer.status_code == 201, answer.text
        keys[name] = answer.json()["id"]
    invited = {}  # prime B invites S1 into contract B; prime A invites SB into contract A
    for invitee, contract, manager in ((world.s1, world.contract_b, "manager_b"),
                                       (world.sb, world.contract_a, "manager_a")):
        code = client.post(f"{API}/join-codes", headers=world.headers["admin"],
                           json={"organisation_id": invitee}).json()["code"]
        answer = client.post(f"{API}/contracts/{contract}/members",
                             headers=world.headers[manager],
                             json={"join_code": code, "tier": 2, "contracted_share": "0.01"})
        assert answer.status_code == 202, answer.text
        invited[invitee] = answer.json()["id"]
    regime = Context(client, world)  # the API matrix's helpers: the same records
    for target in ("own", "other"):  # 2026Q2 of contracts A and B; S1's and SB's plans
        answer = client.post(f"{API}/events", headers=world.headers["admin"],
                             json=[regime.referral(target)])  # 2026Q2 rates it
        assert answer.status_code == 200, answer.text
        regime.published(target)
    plans = {target: regime.plan(target) for target in ("own", "other")}
    return {
        "plan_s1": plans["own"], "plan_sb": plans["other"],
        "held": regime.reallocation("own", cut=True),
        "keys": keys, "to_s1": invited[world.s1], "to_sb": invited[world.sb],
        "s2_complaint": nested_flags["complaint"], "con3_flag": nested_flags["CON-3"],
        "s1_complaint": add_complaint(db, world.contract_a, world.s1,
                                      today() - timedelta(days=3)),
        "escalated": escalated.public_id,
        "sb_complaint": add_complaint(db, world.contract_b, world.sb,
                                      today() - timedelta(days=3)),
        "s1_flag": flag[world.s1], "sb_flag": flag[world.sb],
    }


def ids_for(role: str, world: World, r: dict[str, Any]) -> Ids:
    """The records of ids_of, and the self-service pages' (users, API keys, invitations: a
    provider user answers the invitation to its organisation, the others withdraw theirs)."""
    ids = ids_of(role, world, r)
    users, keys = world.user_ids, r["keys"]
    own = {"admin": ("s1", "s1", "to_sb"), "prime_manager": ("inhouse_a", "prime_a", "to_sb"),
           "provider_user": ("s1", "s1", "to_s1"), "reviewer": ("s1", "s1", "to_s1")}[role]
    ids.own.update(user=users[own[0]], key=keys[own[1]], invitation=r[own[2]],
                   plan=r["plan_s1"], reallocation=r["held"], plan_member=world.s2)
    if role in ("prime_manager", "provider_user"):  # the admin and reviewers read every plan
        ids.other.update(plan=r["plan_sb"])
    if role == "provider_user":
        ids.own["verb"] = "invitation-accept"
        ids.other.update(user=users["sb"], key=keys["sb"], invitation=r["to_sb"])
    elif role == "prime_manager":
        ids.other.update(user=users["manager_b"], key=keys["prime_b"], invitation=r["to_s1"])
    return ids


def ids_of(role: str, world: World, r: dict[str, Any]) -> Ids:
    a, b = world.contract_a, world.contract_b
    if role == "admin":
        return Ids({"contract": a, "provider": world.s2, "complaint": r["s2_complaint"],
                    "flag": r["con3_flag"]}, {})
    if role == "prime_manager":
        return Ids({"contract": a, "provider": world.s2, "complaint": r["s2_complaint"],
                    "flag": r["con3_flag"]},
                   {"contract": b, "provider": world.sb, "complaint": r["sb_complaint"],
                    "flag": r["sb_flag"]})
    if role == "provider_user":
        return Ids({"contract": a, "provider": world.s1, "complaint": r["s1_complaint"],
                    "flag": r["s1_flag"]},
                   {"contract": b, "provider": world.s2, "complaint": r["s2_complaint"],
                    "flag": r["con3_flag"]})
    return Ids({"contract": a, "provider": world.s2, "complaint": r["escalated"],
                "flag": r["con3_flag"]},
               {"complaint": r["s2_complaint"]})


# -- pages -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageEntry:
    path: Callable[[dict[str, Any]], str]
    search: Callable[[dict[str, Any]], str] = lambda ids: ""
    takes: tuple[str, ...] = ("contract",)  # the records the page is asked about


def _contract(ids: dict[str, Any]) -> str:
    return f"?contract={ids['contract']}"


PAGES: dict[str, PageEntry] = {
    "/": PageEntry(lambda ids: "/dashboard/", _contract),
    "/league": PageEntry(lambda ids: "/dashboard/league", _contract),
    "/funnel": PageEntry(lambda ids: "/dashboard/funnel", _contract),
    "/risk-model": PageEntry(lambda ids: "/dashboard/risk-model", _contract),
    "/milestones": PageEntry(lambda ids: "/dashboard/milestones", _contract),
    "/compliance": PageEntry(lambda ids: "/dashboard/compliance", _contract),
    "/complaints": PageEntry(lambda ids: "/dashboard/complaints", _contract),
    "/upload": PageEntry(lambda ids: "/dashboard/upload", takes=()),
    "/users": PageEntry(lambda ids: "/dashboard/users", takes=()),
    "/api-keys": PageEntry(lambda ids: "/dashboard/api-keys", takes=()),
    "/organisations": PageEntry(lambda ids: "/dashboard/organisations", takes=()),
    "/invitations": PageEntry(lambda ids: "/dashboard/invitations", takes=()),
    "/contracts": PageEntry(lambda ids: "/dashboard/contracts", takes=()),
    "/members": PageEntry(lambda ids: "/dashboard/members", _contract),
    "/payments": PageEntry(lambda ids: "/dashboard/payments", _contract),
    "/views": PageEntry(lambda ids: "/dashboard/views", takes=()),
    "/glossary": PageEntry(lambda ids: "/dashboard/glossary", takes=()),
    "/providers/<provider_id>": PageEntry(
        lambda ids: f"/dashboard/providers/{ids['provider']}",
        lambda ids: f"?contract={ids.get('contract', MISSING)}", takes=("provider",)),
    "/complaints/<complaint_id>": PageEntry(
        lambda ids: f"/dashboard/complaints/{ids['complaint']}", takes=("complaint",)),
    "/compliance/flags/<flag_id>": PageEntry(
        lambda ids: f"/dashboard/compliance/flags/{ids['flag']}", takes=("flag",)),
    "/ratings": PageEntry(lambda ids: "/dashboard/ratings", _contract),
    "/plans": PageEntry(lambda ids: "/dashboard/plans", _contract),
    "/plans/<plan_id>": PageEntry(lambda ids: f"/dashboard/plans/{ids['plan']}",
                                  takes=("plan",)),
    "/reallocations": PageEntry(lambda ids: "/dashboard/reallocations", _contract),
    "/specialists": PageEntry(lambda ids: "/dashboard/specialists", _contract),
}
# Pages anyone may open, which take no record.
OPEN_PAGES = {"/login", "/404"}


def registered_pages() -> set[str]:
    create_dash()
    import dash

    return {page.get("path_template") or page["path"] for page in dash.page_registry.values()}


def test_every_page_has_an_entry_in_the_matrix() -> None:
    assert registered_pages() - OPEN_PAGES - set(PAGES) == set()
    assert set(PAGES) - registered_pages() == set()


def _shows_not_found(response: Any) -> bool:
    return '"not-found"' in response.text


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_shows_a_role_its_own_records_and_others_as_absent(
        dashboard: Dashboard, world: World, records: dict[str, Any], page: str,
        role: str) -> None:
    entry = PAGES[page]
    ids = ids_for(role, world, records)
    dashboard.sign_in(ROLES[role])
    own = dashboard.page(entry.path(ids.own), entry.search(ids.own))
    assert own.status_code == 200, own.text[:300]
    assert not _shows_not_found(own), (page, role, own.text[:500])
    missing_ids = {**ids.own, **{kind: ABSENT[kind] for kind in entry.takes}}
    missing = dashboard.page(entry.path(missing_ids), entry.search(missing_ids))
    if entry.takes:
        assert _shows_not_found(missing) or "No " in missing.text, (page, role)
    hidden = {k: v for k, v in ids.other.items() if k in entry.takes}
    if hidden:
        other_ids = {**ids.own, **hidden}
        other = dashboard.page(entry.path(other_ids), entry.search(other_ids))
        assert_alike(other, missing, *hidden.values(), *ABSENT.values())


def test_a_page_without_a_session_is_sent_to_sign_in(dashboard: Dashboard) -> None:
    dashboard.client.cookies.clear()
    for page in PAGES:
        path = PAGES[page].path({"contract": 1, "provider": 1, "complaint": 1, "flag": 1,
                                 "plan": 1})
        response = dashboard.client.get(path)
        assert response.status_code == 302, path
        assert "/dashboard/login?next=" in response.headers["location"]


# -- callbacks -------------------------------------------------------------------------------------
def _prop(id_: Any, prop: str, value: Any) -> dict[str, Any]:
    return {"id": id_, "property": prop, "value": value}


def _search(ids: dict[str, Any]) -> dict[str, Any]:
    return _prop("_pages_location", "search", f"?contract={ids['contract']}")


def _raise(d: Dashboard, ids: dict[str, Any]) -> Any:
    values = {"complaint-contract": str(ids["contract"]), "complaint-principle": "conduct",
              "complaint-title": "Referrals", "complaint-description": "Since March.",
              "complaint-confidential": True}
    return d.call([("complaint-raise-result", "children"), ("complaints-list", "children")],
                  [_prop("complaint-raise", "n_clicks", 1)],
                  [_prop(k, "value", v) for k, v in values.items()] + [_search(ids)],
                  "complaint-raise.n_clicks")


def _flag_act(d: Dashboard, ids: dict[str, Any]) -> Any:
    button = {"to": "acknowledged", "type": "flag-act"}
    return d.call([("flag-detail", "children")], [[_prop(button, "n_clicks", 1)]],
                  [_prop("flag-note", "value", "looked at it"),
                   _prop("flag-id", "data", ids["flag"])],
                  json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks")


def _complaint_act(d: Dashboard, ids: dict[str, Any]) -> Any:
    button = {"act": "message", "type": "complaint-act"}
    box = {"name": "message", "type": "complaint-text"}
    return d.call([("complaint-detail", "children")], [[_prop(button, "n_clicks", 1)]],
                  [_prop("complaint-id", "data", ids["complaint"]),
                   [_prop(box, "value", "hello")], [_prop(box, "id", box)]],
                  json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks")


def _export(output: str, *buttons: str, url: bool = True
            ) -> Callable[[Dashboard, dict[str, Any]], Any]:
    """`url`: the callback reads the page's filters from the URL."""
    def call(d: Dashboard, ids: dict[str, Any]) -> Any:
        return d.call([(output, "data")], [_prop(b, "n_clicks", 1) for b in buttons],
                      [_search(ids)] if url else [], f"{buttons[0]}.n_clicks")
    return call


def _upload(d: Dashboard, ids: dict[str, Any]) -> Any:
    """A one-line CSV: a referral to S1 in the given contract (its own participant)."""
    text = ("event_id,type,contract_id,participant_ref,event_date,payment_group,provider_id\n"
            f"m-{ids['contract']},referral,{ids['contract']},MX-{ids['contract']},"
            f"{(today() - timedelta(days=3)).isoformat()},jsa_18_24,{ids['provider']}\n")
    contents = "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
    return d.call([("upload-result", "children"), ("upload-file", "contents")],
                  [_prop("upload-file", "contents", contents),
                   _prop("upload-resend", "n_clicks", None)],
                  [_prop("upload-file", "filename", "events.csv"),
                   _prop("upload-partial", "value", False), _prop("upload-last", "data", None)],
                  "upload-file.contents")


def _form(outputs: list[tuple[str, str]], button: str,
          values: Callable[[dict[str, Any]], dict[str, Any]],
          inputs: tuple[str, ...] = ()) -> Callable[[Dashboard, dict[str, Any]], Any]:
    """A self-service form's callback: `button` clicked among the form's `inputs` buttons,
    with the form's fields (`values`) as its state."""
    def call(d: Dashboard, ids: dict[str, Any]) -> Any:
        pressed = ids.get("verb", button) if button == "invitation-withdraw" else button
        clicks = [_prop(b, "n_clicks", 1 if b == pressed else None) for b in inputs or (button,)]
        state = [_prop(k.split(".")[0], k.split(".")[1] if "." in k else "value", v)
                 for k, v in values(ids).items()]
        return d.call(outputs, clicks, state, f"{pressed}.n_clicks")
    return call


def _save_view(d: Dashboard, ids: dict[str, Any], name: str = "Mine") -> Any:
    return d.call([("save-view-result", "children")],
                  [_prop("save-view-submit", "n_clicks", 1),
                   _prop("save-view-name", "n_submit", None)],
                  [_prop("save-view-name", "value", name),
                   _prop("save-view-url", "data", f"/dashboard/league?contract={ids['contract']}")],
                  "save-view-submit.n_clicks")


def _delete_view(d: Dashboard, ids: dict[str, Any]) -> Any:
    """Saves a view, finds its id on the saved views page, deletes it (views are per user, not
    records of a contract: tests/auth/test_saved_views.py holds the isolation between users)."""
    _save_view(d, ids, "To delete")
    found = re.search(r'"view":\s*"([A-Za-z0-9_-]{22})"', d.page("/dashboard/views").text)
    button = {"type": "saved-view-delete", "view": found.group(1) if found else "x" * 22}
    return d.call([("saved-views-result", "children"), ("saved-views-list", "children")],
                  [[_prop(button, "n_clicks", 1)]], [],
                  json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks")
CONTRACT_OUTPUTS = [("contracts-result", "children"), ("contracts-list", "children"),
                    ("contract-tariff-table", "children"), ("contract-field-errors", "data")]
CONTRACT_BUTTONS = ("contract-create", "contract-update", "contract-add-tariff",
                    "contract-save-schedule")


def contract_change(d: Dashboard, button: str, fields: dict[str, Any], contract: int | None,
                    create: dict[str, Any] | None = None) -> Any:
    """The contracts page's callback: `button` clicked with these change-form fields (by
    path, as the page names them) and the contract in the URL."""
    def each(kind: str, prop: str) -> list[dict[str, Any]]:
        return [_prop({"type": kind, "name": path}, prop,
                      fields[path] if prop == "value" else {"type": kind, "name": path})
                for path in fields]
    clicks = [_prop(b, "n_clicks", 1 if b == button else None) for b in CONTRACT_BUTTONS]
    given = create or {}
    state: list[Any] = [_prop(f"contract-{name}", "value", given.get(name))
                        for name in ("prime", "cpa-code", "cpa-name", "start", "end")]
    state += [each("contract-field", "value"), each("contract-field", "id"),
              each("contract-field-error", "id"),
              _prop("_pages_location", "search",
                    f"?contract={contract}" if contract is not None else "")]
    return d.call(CONTRACT_OUTPUTS, clicks, state, f"{button}.n_clicks")


_USER_FORM = ("user-create", "user-deactivate", "user-reactivate", "user-set-password")
_MEMBER_FORM = ("member-add", "member-change", "member-expectations")
# The members callback's expectations form, left empty (the other forms' clicks).
NO_EXPECTATIONS = {"member-expect-chosen": None, "member-expect-pi": None,
                   "member-expect-checks": None, "member-expect-timeliness": None,
                   "member-expect-reason": None}
_INVITATION_FORM = ("invitation-accept", "invitation-decline", "invitation-withdraw")
SELF_SERVICE: dict[str, Any] = {
    "..users-result.children...users-list.children...user-chosen.options..": (
        _form([("users-result", "children"), ("users-list", "children"),
               ("user-chosen", "options")], "user-deactivate", lambda ids: {
            "user-username": None, "user-password": None, "user-role": None,
            "user-organisation": None, "user-chosen": str(ids["user"]),
            "user-reason": "left", "user-new-password": None}, _USER_FORM),
        ("user",), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "deactivated: signed out everywhere" in r.text),
    "..api-keys-result.children...api-keys-list.children...api-key-chosen.options..": (
        _form([("api-keys-result", "children"), ("api-keys-list", "children"),
               ("api-key-chosen", "options")], "api-key-revoke", lambda ids: {
            "api-key-name": None, "api-key-role": None, "api-key-organisation": None,
            "api-key-chosen": ids["key"]}, ("api-key-create", "api-key-revoke")),
        ("key",), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "Key revoked" in r.text),
    "..organisations-result.children...organisations-list.children..": (
        _form([("organisations-result", "children"), ("organisations-list", "children")],
              "organisation-create", lambda ids: {
                  "organisation-name": "Aire Valley Works", "organisation-kind": "subcontractor",
                  "organisation-sector": "third"}),
        (), frozenset({"admin"}), lambda r: "organisations-done" in r.text),
    "..invitations-result.children...invitations-list.children...invitation-chosen.options..": (
        _form([("invitations-result", "children"), ("invitations-list", "children"),
               ("invitation-chosen", "options")], "invitation-withdraw",
              lambda ids: {"invitation-chosen": ids["invitation"]}, _INVITATION_FORM),
        ("invitation",), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "invitations-done" in r.text),
    "..join-codes-result.children...join-codes-list.children..": (
        _form([("join-codes-result", "children"), ("join-codes-list", "children")],
              "join-code-create", lambda ids: {"join-code-organisation": str(ids["provider"])}),
        (), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "join-code-secret" in r.text),
    "..contracts-result.children...contracts-list.children...contract-tariff-table.children"
    "...contract-field-errors.data..": (
        lambda d, ids: contract_change(d, "contract-update",
                                       {"settings.league_visibility": "named"},
                                       ids["contract"]),
        ("contract",), frozenset({"admin", "prime_manager"}),
        lambda r: "contracts-done" in r.text),
    "..members-result.children...members-list.children..": (
        _form([("members-result", "children"), ("members-list", "children")],
              "member-change", lambda ids: {
                  "member-join-code": None, "member-provider": None, "member-tier": "1",
                  "member-share": "0", "member-chosen": str(ids["provider"]),
                  "member-status": "on_improvement_plan", "member-reason": "targets",
                  **NO_EXPECTATIONS,
                  "_pages_location.search": f"?contract={ids['contract']}"}, _MEMBER_FORM),
        ("contract",), frozenset({"admin", "prime_manager"}),
        lambda r: "members-done" in r.text),
}


@dataclass(frozen=True)
class CallbackEntry:
    call: Callable[[Dashboard, dict[str, Any]], Any]
    takes: tuple[str, ...]
    # The roles for which the call on their own record does its work (others are refused
    # with a message, or not answered): checked by `done`.
    does: frozenset[str]
    done: Callable[[Any], bool]


def _has_file(response: Any) -> bool:
    return response.status_code == 200 and "content" in response.text


CALLBACKS: dict[str, CallbackEntry] = {
    "..complaint-raise-result.children...complaints-list.children..": CallbackEntry(
        _raise, ("contract",), frozenset({"provider_user"}),
        lambda r: "complaint-raise-error" not in r.text and r.status_code == 200),
    "flag-detail.children": CallbackEntry(
        _flag_act, ("flag",), frozenset({"admin", "prime_manager"}),
        lambda r: "Acknowledged" in r.text),
    "complaint-detail.children": CallbackEntry(
        _complaint_act, ("complaint",), frozenset(ROLES), lambda r: "hello" in r.text),
    "league-download.data": CallbackEntry(
        _export("league-download", "league-export-csv", "league-export-xlsx"), ("contract",),
        frozenset(ROLES), _has_file),
    "risk-model-download.data": CallbackEntry(
        _export("risk-model-download", "risk-model-export-coefficients",
                "risk-model-export-providers", "risk-model-export-calibration"),
        ("contract",), frozenset(ROLES), _has_file),
    "milestones-download.data": CallbackEntry(
        _export("milestones-download", "milestones-export", "milestones-export-xlsx"),
        ("contract",),
        frozenset(ROLES), _has_file),
    "compliance-download.data": CallbackEntry(
        _export("compliance-download", "compliance-export", "compliance-export-xlsx"),
        ("contract",), frozenset(ROLES), _has_file),
    **{f"payments-{table}-download.data": CallbackEntry(
        _export(f"payments-{table}-download", f"payments-{table}-export",
                f"payments-{table}-export-xlsx"), ("contract",), frozenset(ROLES), _has_file)
       for table in ("monthly", "providers", "invoices")},
    "complaints-download.data": CallbackEntry(
        _export("complaints-download", "complaints-export", "complaints-export-xlsx"),
        ("contract",), frozenset(ROLES), _has_file),
    "members-download.data": CallbackEntry(
        _export("members-download", "members-export", "members-export-xlsx"),
        ("contract",), frozenset(ROLES), _has_file),
    **{f"{name}-download.data": CallbackEntry(
        _export(f"{name}-download", f"{name}-export", f"{name}-export-xlsx", url=False), (),
        roles, _has_file) for name, roles in (
            ("users", frozenset({"admin", "prime_manager", "provider_user"})),
            ("api-keys", frozenset({"admin", "prime_manager", "provider_user"})),
            ("organisations", frozenset(ROLES)), ("contracts", frozenset(ROLES)))},
    "..upload-result.children...upload-file.contents..": CallbackEntry(
        # The prime may report for any participant of its contracts (DOMAIN.md section 3).
        _upload, ("contract",), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "Every line was accepted" in r.text),
}
CALLBACKS.update({name: CallbackEntry(*entry) for name, entry in SELF_SERVICE.items()})


def _publish(d: Dashboard, ids: dict[str, Any]) -> Any:
    """A correction of 2026Q2 (the records published it on both contracts)."""
    return d.call([("ratings-result", "children")],
                  [_prop("ratings-publish", "n_clicks", None),
                   _prop("ratings-correct", "n_clicks", 1)],
                  [_prop("ratings-quarter", "value", "2026Q2"),
                   _prop("ratings-reason", "value", "a late batch"), _search(ids)],
                  "ratings-correct.n_clicks")


def _pack(d: Dashboard, ids: dict[str, Any]) -> Any:
    """The review pack of 2026Q2 for the page's member (a provider's user: its own)."""
    search = f"?contract={ids['contract']}&quarter=2026Q2"
    return d.call([("ratings-pack-download", "data")],
                  [_prop("ratings-pack", "n_clicks", 1), _prop("ratings-packs", "n_clicks", None)],
                  [_prop("_pages_location", "search", search)], "ratings-pack.n_clicks")


def _plan_open(d: Dashboard, ids: dict[str, Any]) -> Any:
    rows = range(3)
    return d.call([("plans-result", "children"), ("plans-list", "children")],
                  [_prop("plan-open", "n_clicks", 1)],
                  [_prop("plan-member", "value", str(ids["plan_member"])),
                   *(_prop(f"plan-target-{part}-{i}", "value", value)
                     for i in rows for part, value in (
                         ("metric", "check_compliance"), ("threshold", "0.9" if i == 0 else None),
                         ("by", "2099-03-31" if i == 0 else None))),
                   _prop("plan-actions", "value", "Call every participant on day 28"),
                   _prop("plan-review-date", "value", "2099-03-31"),
                   _prop("plan-remedy-days", "value", None), _search(ids)],
                  "plan-open.n_clicks")


def _plan_comment(d: Dashboard, ids: dict[str, Any]) -> Any:
    return d.call([("plan-result", "children"), ("plan-detail", "children")],
                  [[], _prop("plan-comment", "n_clicks", 1),
                   _prop("plan-contest", "n_clicks", None)],
                  [_prop("plan-note", "value", "noted"),
                   _prop("plan-new-review-date", "value", None),
                   _prop("plan-id", "data", ids["plan"])], "plan-comment.n_clicks")


def _reallocation_preview(d: Dashboard, ids: dict[str, Any]) -> Any:
    share = {"type": "reallocation-share", "provider": ids["plan_member"]}
    return d.call([("reallocation-result", "children"), ("reallocations-list", "children")],
                  [_prop("reallocation-preview", "n_clicks", 1),
                   _prop("reallocation-apply", "n_clicks", None)],
                  [[_prop(share, "value", "0.35")], [_prop(share, "id", share)],
                   _prop("reallocation-reason", "value", "review"),
                   _prop("reallocation-override", "value", None), _search(ids)],
                  "reallocation-preview.n_clicks")


def _reallocation_decide(d: Dashboard, ids: dict[str, Any]) -> Any:
    button = {"type": "reallocation-decide", "reallocation": ids["reallocation"],
              "act": "release"}
    note = {"type": "reallocation-note", "reallocation": ids["reallocation"]}
    return d.call([("reallocation-decision", "children")], [[_prop(button, "n_clicks", 1)]],
                  [[_prop(note, "value", "no complaint stands in the way")],
                   [_prop(note, "id", note)]],
                  json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks")


CALLBACKS.update({
    "ratings-result.children": CallbackEntry(
        _publish, ("contract",), frozenset({"admin", "prime_manager"}),
        lambda r: "ratings-done" in r.text),
    "ratings-pack-download.data": CallbackEntry(_pack, ("contract",), frozenset(ROLES),
                                                _has_file),
    "review-status-download.data": CallbackEntry(
        _export("review-status-download", "review-status-export",
                "review-status-export-xlsx"), ("contract",), frozenset(ROLES), _has_file),
    "..plans-result.children...plans-list.children..": CallbackEntry(
        _plan_open, ("contract",), frozenset({"admin", "prime_manager"}),
        lambda r: "plans-done" in r.text),
    "..plan-result.children...plan-detail.children..": CallbackEntry(
        _plan_comment, ("plan",), frozenset({"admin", "prime_manager", "provider_user"}),
        lambda r: "plan-done" in r.text),
    "..reallocation-result.children...reallocations-list.children..": CallbackEntry(
        _reallocation_preview, ("contract",), frozenset({"admin", "prime_manager"}),
        lambda r: "reallocation-preview-table" in r.text),
    **{f"specialists-{table}-download.data": CallbackEntry(
        _export(f"specialists-{table}-download", f"specialists-{table}-export",
                f"specialists-{table}-export-xlsx"), ("contract",), frozenset(ROLES), _has_file)
       for table in ("specialists", "providers", "rows")},
    "reallocation-decision.children": CallbackEntry(
        _reallocation_decide, ("reallocation",), frozenset({"reviewer"}),
        lambda r: "reallocation-decision-done" in r.text),
})
CALLBACKS.update({
    "save-view-result.children": CallbackEntry(
        _save_view, (), frozenset(ROLES), lambda r: "save-view-done" in r.text),
    "..saved-views-result.children...saved-views-list.children..": CallbackEntry(
        _delete_view, (), frozenset(ROLES), lambda r: "saved-views-done" in r.text),
})
# The pages router is the page matrix above.
PAGES_ROUTER = ".._pages_content.children..._pages_store.data.."


def registered_callbacks() -> set[str]:
    """The server's callbacks, by output (clientside ones run in the browser only)."""
    app = create_dash()
    app.server.test_client().get("/login")  # Dash registers the pages router at first request
    return {output for output, spec in app.callback_map.items() if "callback" in spec}


def test_every_callback_has_an_entry_in_the_matrix() -> None:
    assert registered_callbacks() - {PAGES_ROUTER} - set(CALLBACKS) == set()
    assert set(CALLBACKS) - registered_callbacks() == set()


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("name", list(CALLBACKS))
def test_every_callback_acts_on_a_role_s_own_records_and_on_others_as_on_none(
        dashboard: Dashboard, world: World, records: dict[str, Any], name: str,
        role: str) -> None:
    entry = CALLBACKS[name]
    ids = ids_for(role, world, records)
    own_ids = {**ids.own, "provider": world.s1}  # an upload's referral is to S1
    dashboard.sign_in(ROLES[role])
    hidden = {k: v for k, v in ids.other.items() if k in entry.takes}
    if hidden:  # first, so that acting on the own record cannot change what is compared
        missing = entry.call(dashboard, {**own_ids, **{kind: ABSENT[kind] for kind in entry.takes}})
        other = entry.call(dashboard, {**own_ids, **hidden})
        assert_alike(other, missing, *hidden.values(), *ABSENT.values())
    own = entry.call(dashboard, own_ids)
    assert own.status_code < 500, own.text[:300]
    assert entry.done(own) == (role in entry.does), (name, role, own.text[:600])


@pytest.mark.parametrize("name", list(CALLBACKS))
def test_a_callback_without_a_session_is_refused(
        dashboard: Dashboard, world: World, records: dict[str, Any],
        name: str) -> None:
    dashboard.client.cookies.clear()
    response = CALLBACKS[name].call(dashboard, ids_for("admin", world, records).own)
    assert response.status_code == 401


def test_a_request_for_no_server_callback_answers_400_not_500(
        dashboard: Dashboard) -> None:
    """Dash itself answers 500 for an output it has no server callback for (a clientside
    one, or none at all) and for a body that is not a callback request."""
    dashboard.sign_in(ROLES["provider_user"])
    for output in ("_pages_location.search", "nothing.children"):
        response = dashboard.call([(output.split(".")[0], output.split(".")[1])],
                                  [_prop("x", "value", 1)], [], "x.value")
        assert response.status_code == 400, (output, response.text[:200])
        assert response.json() == {"detail": "no such callback"}
    for body in ("not json", "[]", '{"output": 1}'):
        response = dashboard.client.post("/dashboard/_dash-update-component", content=body,
                                         headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (body, response.text[:200])


def test_every_members_pack_in_one_zip_as_the_reader_may_read_them(
        dashboard: Dashboard, world: World, records: dict[str, Any]) -> None:
    """The ratings page's zip (the API's GET .../review-packs): the prime's manager gets a
    pack per member rated in 2026Q2, S1's staff only S1's, and another prime's contract
    gives nothing."""
    import io
    import zipfile

    def names(role: str, contract: int) -> list[str] | None:
        dashboard.sign_in(ROLES[role])
        response = dashboard.call(
            [("ratings-pack-download", "data")],
            [_prop("ratings-pack", "n_clicks", None), _prop("ratings-packs", "n_clicks", 1)],
            [_prop("_pages_location", "search", f"?contract={contract}&quarter=2026Q2")],
            "ratings-packs.n_clicks")
        if response.status_code == 204 or "content" not in response.text:
            return None
        data = response.json()["response"]["ratings-pack-download"]["data"]
        assert data["filename"] == f"review-packs_contract-{contract}_2026Q2.zip"
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(data["content"])))
        return sorted(archive.namelist())

    everyone = names("prime_manager", world.contract_a)
    assert everyone is not None and "review-pack_2026Q2_s1-community-trust.pdf" in everyone
    assert names("provider_user", world.contract_a) == [
        "review-pack_2026Q2_s1-community-trust.pdf"]
    assert names("prime_manager", world.contract_b) in (None, [])
