"""The dashboard's flag pages and id-taking callbacks over HTTP, as Dash's front end calls
them (POST /dashboard/_dash-update-component with a session cookie; no browser needed).

- A flag whose evidence holds nested records (CON-2's status history, CON-3's windows and
  downgrades) renders for everyone who may see it, with the nested records shown.
- Every callback that takes an id (a flag's, a complaint's, a contract's) answers the page's
  not-found state, or no update where its output is a download, for an id outside the user's
  scope exactly as for one that does not exist: never a 5xx, and nothing that tells them apart.
"""

import ast
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.timeutil import today
from app.models import ComplianceFlag
from tests.compliance.test_flags_api import add_complaint
from tests.helpers import API, PASSWORD, add_user
from tests.world import World

UPDATE = "/dashboard/_dash-update-component"
MISSING = "9" * 22  # shaped like a public id; no record has it
MISSING_CONTRACT = 987_654  # a contract id no contract has (contracts keep integer ids)
USERS = {"prime.boss": "prime_manager", "site.admin": "admin", "the.reviewer": "reviewer",
         "other.boss": "prime_manager", "third.staff": "provider_user"}


class Dashboard:
    """One TestClient through the mounted dashboard; signs in as any of USERS."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def sign_in(self, username: str) -> None:
        self.client.cookies.clear()
        response = self.client.post("/dashboard/auth/login",
                                    data={"username": username, "password": PASSWORD})
        assert response.headers["location"] == "/dashboard/", username

    def call(self, outputs: list[tuple[str, str]], inputs: list[Any], state: list[Any],
             changed: str) -> Any:
        """A callback request as dash-renderer sends it."""
        described = [{"id": i, "property": p} for i, p in outputs]
        body = {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
                if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
                "outputs": described if len(outputs) > 1 else described[0],
                "inputs": inputs, "state": state, "changedPropIds": [changed]}
        return self.client.post(UPDATE, json=body)

    def page(self, path: str, search: str = "") -> Any:
        """The pages router's answer for a dashboard path: the page's layout."""
        location = [{"id": "_pages_location", "property": "pathname", "value": path},
                    {"id": "_pages_location", "property": "search", "value": search}]
        return self.call([("_pages_content", "children"), ("_pages_store", "data")],
                         location, [], "_pages_location.pathname")


def _prop(id_: dict[str, str], prop: str, value: Any) -> dict[str, Any]:
    return {"id": id_, "property": prop, "value": value}


def _changed(id_: dict[str, str], prop: str) -> str:
    return json.dumps(id_, sort_keys=True, separators=(",", ":")) + "." + prop


@pytest.fixture()
def dashboard(db: Session, world: World) -> Iterator[Dashboard]:
    from app.main import create_app

    orgs = {"prime.boss": world.prime_a, "site.admin": None, "the.reviewer": world.reviewer_org,
            "other.boss": world.prime_b, "third.staff": world.s1}
    for username, role in USERS.items():
        add_user(db, username, role, orgs[username])
    with TestClient(create_app(), follow_redirects=False) as client:
        yield Dashboard(client)


@pytest.fixture()
def nested_flags(db: Session, world: World, dashboard: Dashboard) -> dict[str, str]:
    """A CON-2 flag (the world's member suspended without a plan) and a CON-3 flag (a member
    put on an improvement plan after its complaint, not confidential, so the prime sees it);
    rule -> flag id. Also the complaint: "complaint" -> its id."""
    complaint = add_complaint(db, world.contract_a, world.s2,
                              today() - timedelta(days=20))
    response = dashboard.client.post(
        f"{API}/contracts/{world.contract_a}/members/{world.s2}/status",
        headers=world.keys["manager_a"], json={"status": "on_improvement_plan",
                                              "reason": "targets"})
    assert response.status_code == 200, response.text
    found: dict[str, str] = {str(rule): flag_id for rule, flag_id in db.execute(
        select(ComplianceFlag.rule, ComplianceFlag.public_id)
        .where(ComplianceFlag.rule.in_(("CON-2", "CON-3"))))}
    assert set(found) == {"CON-2", "CON-3"}
    return {**found, "complaint": complaint}


def _texts(tree: Any) -> list[str]:
    """Every string in a Dash component tree (as JSON), in order."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, list):
        return [text for item in tree for text in _texts(item)]
    if isinstance(tree, dict):
        return [text for value in tree.values() for text in _texts(value)]
    return []


def _content(response: Any, output: str) -> Any:
    assert response.status_code == 200, response.text[:500]
    return response.json()["response"][output]["children"]


# -- nested evidence -------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["prime.boss", "site.admin", "the.reviewer"])
@pytest.mark.parametrize("rule", ["CON-2", "CON-3"])
def test_flags_with_nested_evidence_render_for_everyone_who_may_see_them(
        dashboard: Dashboard, nested_flags: dict[str, str], username: str, rule: str) -> None:
    dashboard.sign_in(username)
    response = dashboard.page(f"/dashboard/compliance/flags/{nested_flags[rule]}")
    page = _content(response, "_pages_content")
    text = " ".join(_texts(page))
    assert "not-found" not in json.dumps(page)
    assert f"Flag #{nested_flags[rule]} {rule}" in text
    assert '"id": "flag-evidence"' in json.dumps(page)
    if rule == "CON-2":
        # The status history: one row per change, with readable column names.
        assert "Status history" in text and "Status change" in text
        assert "2024-01-01" in text and "Suspended" in text
    else:
        # The windows before and after, and the downgrade with its statuses.
        assert "Before" in text and "Member referrals" in text and "Downgrades" in text
        assert "On improvement plan" in text and "Active" in text


# -- callbacks with ids out of scope or absent -----------------------------------------------------
def _normalised(response: Any, ids: tuple[Any, ...]) -> str:
    """The answer with the ids asked about (and every number) set aside."""
    text = response.text
    for value in ids:  # whole tokens only: an id may be digits, or an opaque string
        text = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "ID", text)
    return re.sub(r"\d+", "N", text)


def assert_alike(out_of_scope: Any, missing: Any, *ids: Any) -> None:
    """Neither a 5xx, and the same answer once the ids asked about are set aside: a record
    out of scope answers exactly as one that does not exist."""
    for response in (out_of_scope, missing):
        assert response.status_code < 500, response.text[:500]
    assert out_of_scope.status_code == missing.status_code
    assert _normalised(out_of_scope, ids) == _normalised(missing, ids)


def _flag_action(dashboard: Dashboard, flag_id: str) -> Any:
    button = {"to": "acknowledged", "type": "flag-act"}
    return dashboard.call([("flag-detail", "children")],
                          [[_prop(button, "n_clicks", 1)]],
                          [{"id": "flag-note", "property": "value", "value": "looked at it"},
                           {"id": "flag-id", "property": "data", "value": flag_id}],
                          _changed(button, "n_clicks"))


def _complaint_action(dashboard: Dashboard, complaint_id: str) -> Any:
    button = {"act": "message", "type": "complaint-act"}
    box = {"name": "message", "type": "complaint-text"}
    return dashboard.call([("complaint-detail", "children")],
                          [[_prop(button, "n_clicks", 1)]],
                          [{"id": "complaint-id", "property": "data", "value": complaint_id},
                           [_prop(box, "value", "hello")], [_prop(box, "id", box)]],
                          _changed(button, "n_clicks"))


@pytest.mark.parametrize("username", ["other.boss", "third.staff"])
def test_a_flag_action_on_an_unseen_or_absent_flag_answers_not_found(
        db: Session, dashboard: Dashboard, nested_flags: dict[str, str], username: str) -> None:
    dashboard.sign_in(username)
    unseen = _flag_action(dashboard, nested_flags["CON-3"])
    missing = _flag_action(dashboard, MISSING)
    assert_alike(unseen, missing, nested_flags["CON-3"], MISSING)
    assert "not-found" in json.dumps(_content(unseen, "flag-detail"))
    assert db.scalars(select(ComplianceFlag).where(  # unchanged
        ComplianceFlag.public_id == nested_flags["CON-3"])).one().status == "open"


@pytest.mark.parametrize("username", ["other.boss", "third.staff"])
def test_a_complaint_action_on_an_unseen_or_absent_complaint_answers_not_found(
        dashboard: Dashboard, nested_flags: dict[str, str], username: str) -> None:
    dashboard.sign_in(username)
    unseen = _complaint_action(dashboard, nested_flags["complaint"])
    missing = _complaint_action(dashboard, MISSING)
    assert_alike(unseen, missing, nested_flags["complaint"], MISSING)
    assert "not-found" in json.dumps(_content(unseen, "complaint-detail"))


def _export(dashboard: Dashboard, output: str, buttons: list[str], search: str) -> Any:
    return dashboard.call([(output, "data")],
                          [{"id": b, "property": "n_clicks", "value": 1} for b in buttons],
                          [{"id": "_pages_location", "property": "search", "value": search}],
                          f"{buttons[0]}.n_clicks")


@pytest.mark.parametrize(("output", "buttons", "status"), [
    ("league-download", ["league-export-csv", "league-export-xlsx"], 204),
    ("milestones-download", ["milestones-export", "milestones-export-xlsx"], 204),
    # The flag list filters by contract: an unseen one selects no flag, as an absent one.
    ("compliance-download", ["compliance-export", "compliance-export-xlsx"], 200),
])
def test_an_export_for_an_unseen_or_absent_contract_answers_alike(
        dashboard: Dashboard, world: World, output: str, buttons: list[str],
        status: int) -> None:
    dashboard.sign_in("prime.boss")
    mine = _export(dashboard, output, buttons, f"?contract={world.contract_a}")
    assert mine.status_code == 200 and "content" in mine.json()["response"][output]["data"]
    unseen = _export(dashboard, output, buttons, f"?contract={world.contract_b}")
    missing = _export(dashboard, output, buttons, f"?contract={MISSING_CONTRACT}")
    assert_alike(unseen, missing, world.contract_b, MISSING_CONTRACT)
    assert unseen.status_code == status  # 204: no file, and nothing said about the contract


def test_raising_a_complaint_in_an_unseen_or_absent_contract_is_refused_alike(
        dashboard: Dashboard, world: World) -> None:
    dashboard.sign_in("third.staff")

    def raise_in(contract: int) -> Any:
        values = {"complaint-contract": str(contract), "complaint-principle": "conduct",
                  "complaint-title": "Referrals", "complaint-description": "Since March.",
                  "complaint-confidential": True}
        return dashboard.call(
            [("complaint-raise-result", "children"), ("complaints-list", "children")],
            [{"id": "complaint-raise", "property": "n_clicks", "value": 1}],
            [{"id": k, "property": "value", "value": v} for k, v in values.items()]
            + [{"id": "_pages_location", "property": "search", "value": ""}],
            "complaint-raise.n_clicks")

    unseen, missing = raise_in(world.contract_b), raise_in(MISSING_CONTRACT)
    assert_alike(unseen, missing, world.contract_b, MISSING_CONTRACT)
    assert "complaint-raise-error" in unseen.text


def test_every_server_callback_is_registered_through_the_not_found_wrapper() -> None:
    """dashboard.components.callbacks.callback is the one place NotFound becomes not found:
    no module registers a server callback with Dash's own decorator."""
    root = Path(__file__).resolve().parents[2] / "dashboard"
    direct = []
    for path in root.rglob("*.py"):
        if path.name == "callbacks.py" and path.parent.name == "components":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "dash" and any(
                    alias.name == "callback" for alias in node.names):
                direct.append(f"{path.name}: from dash import callback")
            if isinstance(node, ast.Attribute) and node.attr == "callback":
                direct.append(f"{path.name}: .callback")
    assert direct == []
