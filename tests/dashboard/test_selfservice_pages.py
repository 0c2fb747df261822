"""The self-service pages over HTTP, as Dash's front end calls them (issue 15): forms name the
field they refuse, passwords meet the password policy, secrets are shown once, another
organisation's record answers as an absent one, and the set-up menu shows a role only the
pages it may use. Every page and callback is also in tests/dashboard/test_dashboard_matrix.py."""

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey, User
from tests.dashboard.test_dashboard_matrix import (
    _MEMBER_FORM,
    NO_EXPECTATIONS,
    ROLES,
    _form,
    contract_change,
)
from tests.dashboard.test_flag_pages import Dashboard, assert_alike
from tests.world import World

_USER_FORM = ("user-create", "user-deactivate", "user-reactivate", "user-set-password")
_USER_OUTPUTS = [("users-result", "children"), ("users-list", "children"),
                 ("user-chosen", "options")]


def _create_user(d: Dashboard, username: str, password: str, organisation: Any,
                 role: str = "provider_user") -> Any:
    return _form(_USER_OUTPUTS, "user-create", lambda ids: {
        "user-username": username, "user-password": password, "user-role": role,
        "user-organisation": str(organisation), "user-chosen": None, "user-reason": None,
        "user-new-password": None}, _USER_FORM)(d, {})


def test_a_provider_user_creates_a_colleague_and_the_password_policy_speaks_first(
        dashboard: Dashboard, world: World, db: Session) -> None:
    dashboard.sign_in(ROLES["provider_user"])
    weak = _create_user(dashboard, "s1.colleague", "password1", world.s1)
    assert "users-error" in weak.text and "password: too easy to guess" in weak.text
    short = _create_user(dashboard, "s1.colleague", "short", world.s1)
    assert "password: String should have at least 8 characters" in short.text
    made = _create_user(dashboard, "s1.colleague", "quartz meadow violin tundra", world.s1)
    assert "users-done" in made.text, made.text[:300]
    user = db.scalars(select(User).where(User.username == "s1.colleague")).one()
    assert (user.role, user.organisation_id) == ("provider_user", world.s1)
    # More rights than its own: refused, naming the field.
    boss = _create_user(dashboard, "s1.boss", "quartz meadow violin tundra", world.s1,
                        role="prime_manager")
    assert "role: a provider_user cannot give the role prime_manager" in boss.text


def test_another_organisation_answers_as_one_that_does_not_exist(
        dashboard: Dashboard, world: World) -> None:
    """The organisation box is the browser's to send: SB's id answers as an absent id."""
    dashboard.sign_in(ROLES["provider_user"])
    other = _create_user(dashboard, "sb.sneaky", "quartz meadow violin tundra", world.sb)
    missing = _create_user(dashboard, "sb.sneaky", "quartz meadow violin tundra", 987_654)
    assert '"not-found"' in other.text
    assert_alike(other, missing, world.sb, 987_654)


def test_an_api_key_is_shown_once_and_works(dashboard: Dashboard, world: World,
                                            db: Session) -> None:
    dashboard.sign_in(ROLES["provider_user"])
    created = _form([("api-keys-result", "children"), ("api-keys-list", "children"),
                     ("api-key-chosen", "options")], "api-key-create", lambda ids: {
        "api-key-name": "case system", "api-key-role": "provider_user",
        "api-key-organisation": None, "api-key-chosen": None},
        ("api-key-create", "api-key-revoke"))(dashboard, {})
    answer = created.json()["response"]
    secret = _find_id(answer["api-keys-result"]["children"], "api-key-secret")["children"]
    key = db.scalars(select(ApiKey).where(ApiKey.name == "case system")).one()
    assert key.organisation_id == world.s1 and secret.startswith(key.prefix)
    assert secret not in json.dumps(answer["api-keys-list"])  # the list shows the prefix only
    me = dashboard.client.get("/api/v1/auth/me", headers={"X-API-Key": secret})
    assert me.json()["organisation_id"] == world.s1
    page = dashboard.page("/dashboard/api-keys")
    assert key.prefix in page.text and secret not in page.text
    nameless = _form([("api-keys-result", "children"), ("api-keys-list", "children"),
                      ("api-key-chosen", "options")], "api-key-create", lambda ids: {
        "api-key-name": "", "api-key-role": "provider_user", "api-key-organisation": None,
        "api-key-chosen": None}, ("api-key-create", "api-key-revoke"))(dashboard, {})
    assert "name: String should have at least 1 character" in nameless.text


def test_an_organisation_s_name_is_checked_by_the_service(dashboard: Dashboard,
                                                          world: World) -> None:
    dashboard.sign_in(ROLES["admin"])
    create = _form([("organisations-result", "children"), ("organisations-list", "children")],
                   "organisation-create", lambda ids: {
                       "organisation-name": ids["name"], "organisation-kind": "subcontractor",
                       "organisation-sector": "third"})
    assert "name: an organisation named 's1 community trust' exists already" in create(
        dashboard, {"name": "  s1 community trust "}).text
    assert "name: String should have at least 1 character" in create(
        dashboard, {"name": ""}).text


def test_the_set_up_menu_shows_each_role_the_pages_it_may_use(dashboard: Dashboard) -> None:
    expected = {
        "admin": {"nav-users", "nav-api_keys", "nav-organisations", "nav-invitations",
                  "nav-contracts", "nav-members"},
        "prime_manager": {"nav-users", "nav-api_keys", "nav-invitations", "nav-contracts",
                          "nav-members"},
        "provider_user": {"nav-users", "nav-api_keys", "nav-invitations"},
        "reviewer": set(),
    }
    set_up = {"nav-users", "nav-api_keys", "nav-organisations", "nav-invitations",
              "nav-contracts", "nav-members"}
    for role, pages in expected.items():
        dashboard.sign_in(ROLES[role])
        layout = dashboard.client.get("/dashboard/_dash-layout").text
        shown = {page for page in set_up if f'"id":"{page}"' in layout.replace(" ", "")}
        assert shown == pages, role


def _find_id(node: Any, wanted: str) -> Any:
    """The props of the component with id `wanted` in a Dash answer's component tree."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == wanted:
            return props
        for child in (props.get("children"), *node.values()):
            found = _find_id(child, wanted)
            if found is not None:
                return found
    elif isinstance(node, list):
        for child in node:
            found = _find_id(child, wanted)
            if found is not None:
                return found
    return None




def _change_user(d: Dashboard, button: str, user_id: int, new_password: str = "") -> Any:
    return _form(_USER_OUTPUTS, button, lambda ids: {
        "user-username": None, "user-password": None, "user-role": None,
        "user-organisation": None, "user-chosen": str(user_id), "user-reason": None,
        "user-new-password": new_password}, _USER_FORM)(d, {})


def test_only_an_admin_sets_a_password_and_the_policy_applies(dashboard: Dashboard,
                                                              world: World) -> None:
    target = world.user_ids["s1"]
    dashboard.sign_in(ROLES["provider_user"])
    refused = _change_user(dashboard, "user-set-password", target, "quartz meadow violin tundra")
    assert "role 'provider_user' may not reset the password of users" in refused.text
    dashboard.sign_in(ROLES["admin"])
    weak = _change_user(dashboard, "user-set-password", target, "s1.user2026")
    # The policy names the field "password" for a reset too, as the API answers.
    assert "password: must not contain the username" in weak.text, weak.text[:400]
    done = _change_user(dashboard, "user-set-password", target, "quartz meadow violin tundra")
    assert "Password set" in done.text
    login = dashboard.client.post("/api/v1/auth/token", data={
        "username": "s1.user", "password": "quartz meadow violin tundra"})
    assert login.status_code == 200


def test_a_contract_form_names_the_field_it_refuses(dashboard: Dashboard,
                                                    world: World) -> None:
    def create(d: Dashboard, start: str, end: str) -> Any:
        return contract_change(d, "contract-create", {}, None, {
            "prime": str(world.prime_a), "cpa-code": "CPA99", "cpa-name": "Tyne and Wear",
            "start": start, "end": end})

    dashboard.sign_in(ROLES["admin"])
    backwards = create(dashboard, "2026-04-01", "2025-03-31")
    assert "end_date: before start_date (2026-04-01)" in backwards.text
    assert "contracts-done" in create(dashboard, "2026-04-01", "2031-03-31").text
    # A prime manager is not shown min_n; sent anyway, the service refuses it, naming it.
    dashboard.sign_in(ROLES["prime_manager"])
    refused = contract_change(dashboard, "contract-update", {"settings.min_n": 5},
                              world.contract_a)
    beside = refused.json()["response"]["contract-field-errors"]["data"]
    assert beside["settings.min_n"].startswith(
        "Fewest eligible to be ranked: role 'prime_manager' may change only")


def test_an_invitation_form_left_empty_says_which_fields_to_fill(dashboard: Dashboard,
                                                                 world: World) -> None:
    def invite(share: str) -> Any:
        return _form([("members-result", "children"), ("members-list", "children")],
                     "member-add", lambda ids: {
                         "member-join-code": "", "member-provider": "", "member-tier": "1",
                         "member-share": share, "member-chosen": None, "member-status": None,
                         "member-reason": None, **NO_EXPECTATIONS,
                         "_pages_location.search": f"?contract={world.contract_a}"},
                     _MEMBER_FORM)(dashboard, {})

    dashboard.sign_in(ROLES["prime_manager"])
    assert "contracted_share: Input should be a valid decimal" in invite("half").text
    assert '"provider_id, join_code: give exactly one of the two"' in invite("0").text


def test_the_schedule_form_edits_the_list_and_places_an_error_on_its_row(
        dashboard: Dashboard, world: World) -> None:
    rows = "milestone_schedule.spell_checks"
    form = {f"{rows}.0.milestone": "D28", f"{rows}.0.days": 28,
            f"{rows}.1.milestone": "", f"{rows}.1.days": None,  # cleared: removed
            f"{rows}.2.milestone": "D91", f"{rows}.2.days": 0,
            "milestone_schedule.sustainment_interval_days": 28}
    dashboard.sign_in(ROLES["admin"])
    refused = contract_change(dashboard, "contract-save-schedule", form, world.contract_a)
    beside = refused.json()["response"]["contract-field-errors"]["data"]
    # The second check sent is the form's third row: the message goes there.
    assert beside == {f"{rows}.2.days": "Check 3: Days after the job starts: Input should be "
                                        "greater than or equal to 1"}
    saved = contract_change(dashboard, "contract-save-schedule",
                            {**form, f"{rows}.2.days": 91}, world.contract_a)
    assert "milestone schedule saved" in saved.text
    schedule = dashboard.client.get(f"/api/v1/contracts/{world.contract_a}",
                                    headers=world.headers["admin"]).json()["milestone_schedule"]
    assert [(c["milestone"], c["days"]) for c in schedule["spell_checks"]] == [
        ("D28", 28), ("D91", 91)]


def test_the_prime_sets_a_members_own_expectations_with_a_reason(
        dashboard: Dashboard, world: World, client: Any) -> None:
    """The members page's third form (the API's PUT .../expectations): the table shows the
    member's own minimum beside the contract's, the reason is required, and a box left empty
    follows the contract again."""
    def expect(member: int | None, pi: str, reason: str) -> Any:
        return _form([("members-result", "children"), ("members-list", "children")],
                     "member-expectations", lambda ids: {
                         "member-join-code": None, "member-provider": None,
                         "member-tier": "1", "member-share": "0", "member-chosen": None,
                         "member-status": None, "member-reason": None,
                         "member-expect-chosen": None if member is None else str(member),
                         "member-expect-pi": pi, "member-expect-checks": "",
                         "member-expect-timeliness": "", "member-expect-reason": reason,
                         "_pages_location.search": f"?contract={world.contract_a}"},
                     _MEMBER_FORM)(dashboard, {})

    dashboard.sign_in(ROLES["prime_manager"])
    assert "member: choose a member" in expect(None, "0.7", "x").text
    assert "reason" in expect(world.s2, "0.7", "").text
    answer = expect(world.s2, "0.7", "A specialist for the furthest from work")
    assert "Expectations set." in answer.text and "0.70 (its own)" in answer.text
    read = client.get(f"/api/v1/contracts/{world.contract_a}/members/{world.s2}/expectations",
                      headers=world.headers["manager_a"]).json()
    assert (read["min_performance_index"], read["overridden"]) == (0.7, [
        "min_performance_index"])
    again = expect(world.s2, "", "Back to the contract's")
    assert "Expectations set." in again.text and "(its own)" not in again.text
