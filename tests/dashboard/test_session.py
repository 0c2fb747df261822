"""The dashboard's sign-in, session cookie and gate, over HTTP (no browser needed)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.helpers import PASSWORD, add_user
from tests.world import World

LOGIN = "/dashboard/auth/login"


@pytest.fixture()
def browser_like(db: Session, world: World) -> Iterator[TestClient]:
    from app.main import create_app

    add_user(db, "third.staff", "provider_user", world.s1)
    with TestClient(create_app(), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, **form: Any) -> Any:
    return client.post(LOGIN, data={"username": "third.staff", "password": PASSWORD, **form})


def test_a_page_without_a_session_redirects_to_login_with_the_way_back(
        browser_like: TestClient) -> None:
    response = browser_like.get("/dashboard/league?contract=1")
    assert response.status_code == 302
    assert response.headers["location"] == (
        "/dashboard/login?next=/dashboard/league%3Fcontract%3D1")
    assert browser_like.get("/dashboard/login").status_code == 200


def test_callbacks_without_a_session_are_refused(browser_like: TestClient) -> None:
    response = browser_like.post("/dashboard/_dash-update-component", json={
        "output": "league-download.data", "inputs": [], "state": []})
    assert response.status_code == 401


def test_sign_in_sets_an_http_only_cookie_and_opens_pages(browser_like: TestClient) -> None:
    response = sign_in(browser_like, next="/dashboard/league")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/league"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("chainboard_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard/" in cookie
    page = browser_like.get("/dashboard/league")
    assert page.status_code == 200 and "<html" in page.text


def test_wrong_password_and_foreign_forms_set_no_cookie(browser_like: TestClient) -> None:
    foreign = browser_like.post(LOGIN, data={"username": "third.staff", "password": PASSWORD},
                                headers={"Origin": "https://elsewhere.example"})
    for response in (sign_in(browser_like, password="not the password"), foreign):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dashboard/login?error=1")
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/x",
                                    "/api/v1/organisations", "/dashboard\\..\\x"])
def test_sign_in_never_sends_you_off_the_dashboard(browser_like: TestClient,
                                                   target: str) -> None:
    response = sign_in(browser_like, next=target)
    assert response.headers["location"] == "/dashboard/"


def test_a_forged_or_signed_out_session_is_no_session(browser_like: TestClient) -> None:
    browser_like.cookies.set("chainboard_session", "forged.token.value", path="/dashboard/")
    assert browser_like.get("/dashboard/league").status_code == 302
    browser_like.cookies.clear()
    sign_in(browser_like)
    assert browser_like.get("/dashboard/league").status_code == 200
    response = browser_like.post("/dashboard/auth/logout")
    assert response.status_code == 303
    assert "chainboard_session=;" in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    browser_like.cookies.clear()
    assert browser_like.get("/dashboard/league").status_code == 302
