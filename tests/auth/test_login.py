"""POST /api/v1/auth/token, bearer tokens, and 401 for everything without valid credentials."""

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import update

from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.core.config import get_settings
from app.core.timeutil import utcnow
from app.models import User
from tests.helpers import API, PASSWORD, add_user, login

NOT_AUTHENTICATED = ("Not authenticated: send 'Authorization: Bearer <token>' or "
                     "'X-API-Key: <key>'")
WRONG_LOGIN = "username or password is wrong"


def _token(claims: dict[str, object], key: str | None = None) -> dict[str, str]:
    token = jwt.encode(claims, key or get_settings().secret_key, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def test_a_user_created_by_the_service_logs_in_with_the_oauth2_password_form(client, db):
    # The production hashing cost, once: the operator's first admin (`chainboard create-user`).
    user = create_user(db, None, UserCreate(username="Ops.Admin", password="a long passphrase",
                                            role="admin"))
    response = client.post(f"{API}/auth/token",
                           data={"username": "ops.admin", "password": "a long passphrase"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"role": "admin", "organisation_id": None, "user_id": user.id,
                         "username": "ops.admin"}


def test_usernames_are_case_insensitive_and_trimmed_at_login(client, db):
    add_user(db, "asha.patel", "admin")
    headers = login(client, "  Asha.PATEL ")
    assert client.get(f"{API}/auth/me", headers=headers).json()["username"] == "asha.patel"


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(client, db):
    add_user(db, "asha.patel", "admin")
    wrong_password = client.post(f"{API}/auth/token",
                                 data={"username": "asha.patel", "password": "not it at all"})
    unknown_user = client.post(f"{API}/auth/token",
                               data={"username": "nobody", "password": PASSWORD})
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert response.json() == {"detail": WRONG_LOGIN}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_token_form_names_a_missing_field(client):
    response = client.post(f"{API}/auth/token", data={"password": PASSWORD})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "username"]]


def test_a_deactivated_user_can_neither_log_in_nor_use_an_earlier_token(client, db):
    user_id = add_user(db, "leaver", "admin")
    headers = login(client, "leaver")
    db.execute(update(User).where(User.id == user_id).values(is_active=False))
    db.commit()
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 401
    response = client.post(f"{API}/auth/token", data={"username": "leaver", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == {"detail": WRONG_LOGIN}


@pytest.mark.parametrize("case", ["expired", "forged", "garbage", "huge_user_id", "no_subject",
                                  "no_expiry"])
def test_a_bad_bearer_token_gets_401(client, db, case):
    user_id = add_user(db, "asha.patel", "admin")
    now = utcnow()
    headers = {
        "expired": _token({"sub": str(user_id), "exp": now - timedelta(seconds=1)}),
        "forged": _token({"sub": str(user_id), "exp": now + timedelta(hours=1)},
                         key="someone-else's-secret-key-of-sufficient-length"),
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        # Signed with the real key: proves an out-of-range id is refused, not a database error.
        "huge_user_id": _token({"sub": "9" * 30, "exp": now + timedelta(hours=1)}),
        "no_subject": _token({"exp": now + timedelta(hours=1)}),
        # Signed with the real key but valid for ever: a token must carry its end.
        "no_expiry": _token({"sub": str(user_id), "iat": now}),
    }[case]
    response = client.get(f"{API}/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/auth/me"),
    ("GET", "/organisations"),
    ("POST", "/organisations"),
    ("GET", "/organisations/1"),
    ("GET", "/contracts"),
    ("POST", "/contracts"),
    ("GET", "/contracts/1"),
    ("PATCH", "/contracts/1"),
    ("GET", "/contracts/1/members"),
    ("POST", "/contracts/1/members"),
    ("GET", "/contracts/1/members/2"),
    ("POST", "/contracts/1/members/2/status"),
    ("GET", "/contracts/1/payments"),
    ("POST", "/contracts/1/payments"),
    ("POST", "/contracts/1/payments/1/paid"),
    ("POST", "/users"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/1"),
])
def test_every_set_up_endpoint_answers_401_without_credentials(client, method, path):
    # Authentication comes before body validation: an anonymous caller learns nothing.
    response = client.request(method, f"{API}{path}", json={})
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}
