"""Revocable sessions (issue 13, finding 4): a token names its sign-in session (`sid`), and
sign-out, a password change and a deactivation take effect at the next request, for the API's
bearer tokens and the dashboard's cookie alike."""

from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.core.config import get_settings
from app.core.timeutil import utcnow
from app.models import AuthSession
from tests.helpers import API, PASSWORD, add_user, audit_entries, login

NEW_PASSWORD = "walnut ferry lantern oboe"


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get(f"{API}/auth/me", headers=headers).status_code


def test_a_token_used_after_sign_out_answers_401(client, db):
    add_user(db, "asha.patel", "admin")
    first, second = login(client, "asha.patel"), login(client, "asha.patel")
    assert client.post(f"{API}/auth/logout", headers=first).status_code == 204
    assert _me(client, first) == 401
    assert client.post(f"{API}/auth/logout", headers=first).status_code == 401
    assert _me(client, second) == 200  # another sign-in's session is its own
    db.rollback()
    revoked = db.scalars(select(AuthSession).where(AuthSession.revoked_at.is_not(None))).all()
    assert [s.revoked_reason for s in revoked] == ["sign_out"]


def test_an_api_key_cannot_sign_out(client, world):
    response = client.post(f"{API}/auth/logout", headers=world.keys["s1"])
    assert response.status_code == 403
    assert _me(client, world.keys["s1"]) == 200


def test_a_token_whose_session_expired_or_is_unknown_answers_401(client, db):
    user_id = add_user(db, "asha.patel", "admin")
    headers = login(client, "asha.patel")
    db.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert _me(client, headers) == 401
    # Signed with the real key, with an expiry, naming a session that was never opened.
    token = jwt.encode({"sub": str(user_id), "sid": "made-up", "exp": utcnow() + timedelta(
        hours=1)}, get_settings().secret_key, algorithm="HS256")
    assert _me(client, {"Authorization": f"Bearer {token}"}) == 401


def test_a_password_change_signs_out_the_other_sessions(client, db):
    add_user(db, "asha.patel", "admin")
    this, other = login(client, "asha.patel"), login(client, "asha.patel")
    wrong = client.post(f"{API}/auth/password", headers=this, json={
        "current_password": "not it", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    weak = client.post(f"{API}/auth/password", headers=this, json={
        "current_password": PASSWORD, "new_password": "password1"})
    assert weak.status_code == 422 and weak.json()["detail"].startswith("password: ")
    assert _me(client, other) == 200  # refused changes change nothing
    changed = client.post(f"{API}/auth/password", headers=this, json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204, changed.text
    assert _me(client, other) == 401
    assert _me(client, this) == 200
    assert client.post(f"{API}/auth/token", data={"username": "asha.patel",
                                                  "password": PASSWORD}).status_code == 401
    login(client, "asha.patel", NEW_PASSWORD)
    [entry] = audit_entries(db, "user.password_change")
    assert entry.details == {"revoked_sessions": 1}


def test_a_deactivated_users_token_and_api_key_answer_401_at_once(client, db, world):
    manager = world.headers["manager_a"]
    key = client.post(f"{API}/api-keys", headers=manager, json={"name": "nightly upload"})
    assert key.status_code == 201
    key_headers = {"X-API-Key": key.json()["key"]}
    assert _me(client, key_headers) == 200
    response = client.post(f"{API}/users/{world.user_ids['manager_a']}/deactivate",
                           headers=world.headers["admin"], json={"reason": "left the company"})
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert _me(client, manager) == 401
    assert _me(client, key_headers) == 401
    assert client.post(f"{API}/auth/token", data={"username": "manager_a.user",
                                                  "password": PASSWORD}).status_code == 401
    [entry] = audit_entries(db, "user.deactivate")
    assert entry.details == {"reason": "left the company", "revoked_sessions": 1,
                             "revoked_api_key_ids": str(key.json()["id"])}
    # Reactivated, the user signs in afresh; what was revoked stays revoked.
    back = client.post(f"{API}/users/{world.user_ids['manager_a']}/reactivate",
                       headers=world.headers["admin"])
    assert back.status_code == 200 and back.json()["is_active"] is True
    assert _me(client, manager) == 401 and _me(client, key_headers) == 401
    assert _me(client, login(client, "manager_a.user")) == 200


# -- the dashboard's cookie -------------------------------------------------------------------
@pytest.fixture()
def browser_like(db, world) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(), follow_redirects=False) as client:
        yield client


def _dashboard_sign_in(client: TestClient) -> str:
    response = client.post("/dashboard/auth/login",
                           data={"username": "s1.user", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/"
    return str(client.cookies["chainboard_session"])


def test_a_dashboard_cookie_kept_after_sign_out_is_no_session(browser_like):
    cookie = _dashboard_sign_in(browser_like)
    assert browser_like.get("/dashboard/league").status_code == 200
    assert browser_like.post("/dashboard/auth/logout").status_code == 303
    browser_like.cookies.set("chainboard_session", cookie, path="/dashboard/")  # a copy kept
    page = browser_like.get("/dashboard/league")
    assert page.status_code == 302
    assert page.headers["location"].startswith("/dashboard/login?next=")
    # The dashboard's token is the API's: it is revoked there too.
    assert _me(browser_like, {"Authorization": f"Bearer {cookie}"}) == 401


def test_deactivation_ends_a_dashboard_session_at_once(browser_like, world):
    _dashboard_sign_in(browser_like)
    assert browser_like.get("/dashboard/league").status_code == 200
    response = browser_like.post(f"{API}/users/{world.user_ids['s1']}/deactivate",
                                 headers=world.headers["admin"], json={})
    assert response.status_code == 200, response.text
    assert browser_like.get("/dashboard/league").status_code == 302
