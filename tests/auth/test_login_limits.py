"""Sign-in limits, the same for the API's token and the dashboard's form (issue 13, findings 3
and 5): per username (every attempt), per client address (failed attempts) and across all
users (failed attempts), counted before the password is checked; the client address is the TCP
peer unless the peer is a trusted proxy (TRUSTED_PROXIES)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import API, PASSWORD, add_user, settings_env

LOGIN = "/dashboard/auth/login"
PROXY = ("10.0.0.2", 50000)  # the reverse proxy's address, as the app sees it


@pytest.fixture(scope="module")
def dashboard_app(engine: Any) -> Any:
    """The app with its dashboard (limits are read per request, so one app serves all)."""
    from app.main import create_app

    return create_app()


@pytest.fixture()
def limits() -> Iterator[None]:
    with settings_env(LOGIN_RATE_LIMIT="20/minute", LOGIN_GLOBAL_RATE_LIMIT="60/minute",
                      RATE_LIMIT=""):
        yield


def _client(app: Any, peer: tuple[str, int] = ("203.0.113.7", 50000)) -> TestClient:
    return TestClient(app, follow_redirects=False, client=peer)


def _token(client: TestClient, username: str, password: str, **headers: str) -> Any:
    return client.post(f"{API}/auth/token", data={"username": username, "password": password},
                       headers=headers)


def _form(client: TestClient, username: str, password: str, **headers: str) -> Any:
    return client.post(LOGIN, data={"username": username, "password": password},
                       headers=headers)


def test_forty_wrong_passwords_at_the_dashboard_then_the_right_one_is_refused(
        db, dashboard_app, limits):
    add_user(db, "asha.patel", "admin")
    with _client(dashboard_app) as client:
        wrong = [_form(client, "asha.patel", f"guess number {n}") for n in range(40)]
        right = _form(client, "asha.patel", PASSWORD)
        api = _token(client, "asha.patel", PASSWORD)  # the same counter
    assert all(w.status_code == 303 for w in wrong)
    assert all("set-cookie" not in w.headers for w in wrong)
    assert wrong[0].headers["location"].startswith("/dashboard/login?error=1")
    assert wrong[-1].headers["location"].startswith("/dashboard/login?limited=")
    assert right.status_code == 303 and "set-cookie" not in right.headers
    seconds = right.headers["location"].split("limited=")[1].split("&")[0]
    assert 0 < int(seconds) <= 60
    assert api.status_code == 429
    assert 0 < int(api.headers["Retry-After"]) <= 60
    assert api.json()["detail"].startswith("rate limit: at most 20 per 1 minute for this ")


def test_the_api_and_the_dashboard_share_the_username_counter(db, dashboard_app, limits):
    add_user(db, "asha.patel", "admin")
    with _client(dashboard_app) as client:
        for n in range(20):
            assert _token(client, "asha.patel", f"guess {n}").status_code == 401
        refused = _form(client, "asha.patel", PASSWORD)
    assert refused.headers["location"].startswith("/dashboard/login?limited=")
    assert "set-cookie" not in refused.headers


def test_the_login_page_says_how_long_to_wait(dashboard_app):
    """Through the pages router, as the browser asks for it (importing the page module
    directly would register the page a second time, without its layout)."""
    location = [{"id": "_pages_location", "property": "pathname", "value": "/dashboard/login"},
                {"id": "_pages_location", "property": "search", "value": "?limited=42"}]
    outputs = [{"id": "_pages_content", "property": "children"},
               {"id": "_pages_store", "property": "data"}]
    with _client(dashboard_app) as client:
        rendered = client.post("/dashboard/_dash-update-component", json={
            "output": ".._pages_content.children..._pages_store.data..", "outputs": outputs,
            "inputs": location, "state": [], "changedPropIds": ["_pages_location.pathname"]})
    assert rendered.status_code == 200, rendered.text[:300]
    assert "Too many sign-in attempts; try again in 42 s." in rendered.text


def test_a_changed_x_forwarded_for_from_an_untrusted_peer_is_ignored(db, dashboard_app, limits):
    """Finding 5: the per-address limit is not dodged by writing another address."""
    with _client(dashboard_app) as client:
        answers = [_token(client, f"user{n}", "wrong", **{"X-Forwarded-For": f"198.51.100.{n}"})
                   for n in range(21)]
    assert [a.status_code for a in answers] == [401] * 20 + [429]
    assert "for this client address" in answers[-1].json()["detail"]


def test_a_spray_over_25_usernames_from_one_address_meets_the_address_limit(
        db, dashboard_app, limits):
    for n in range(25):
        add_user(db, f"staff{n}", "provider_user" if n else "admin")
    with _client(dashboard_app) as client:
        sprayed = [_token(client, f"staff{n}", "Summer2026!") for n in range(25)]
        dashboard = _form(client, "staff0", PASSWORD)
    assert [a.status_code for a in sprayed] == [401] * 20 + [429] * 5
    assert dashboard.headers["location"].startswith("/dashboard/login?limited=")


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(db, dashboard_app, limits):
    add_user(db, "asha.patel", "admin")
    with settings_env(TRUSTED_PROXIES="10.0.0.0/24"), _client(dashboard_app, PROXY) as client:
        # One client behind the proxy spends its address's allowance...
        spent = [_token(client, f"user{n}", "wrong", **{"X-Forwarded-For": "198.51.100.9"})
                 for n in range(21)]
        # ... a client at another address (an earlier hop written by the client is ignored)
        # is not held back by it.
        other = _token(client, "asha.patel", PASSWORD,
                       **{"X-Forwarded-For": "198.51.100.9, 198.51.100.10"})
        form = _form(client, "asha.patel", PASSWORD, **{"X-Forwarded-For": "198.51.100.11"})
    assert [a.status_code for a in spent] == [401] * 20 + [429]
    assert other.status_code == 200, other.text
    assert form.status_code == 303 and "set-cookie" in form.headers


def test_a_spray_from_many_addresses_meets_the_global_cap(db, dashboard_app, limits):
    add_user(db, "asha.patel", "admin")
    with settings_env(TRUSTED_PROXIES="10.0.0.2"), _client(dashboard_app, PROXY) as client:
        sprayed = [_token(client, f"name{n}", "Summer2026!",
                          **{"X-Forwarded-For": f"198.51.{n // 200}.{n % 200}"})
                   for n in range(61)]
        honest = _token(client, "asha.patel", PASSWORD, **{"X-Forwarded-For": "192.0.2.1"})
    assert [a.status_code for a in sprayed] == [401] * 60 + [429]
    assert sprayed[-1].json()["detail"].startswith(
        "rate limit: at most 60 per 1 minute failed sign-ins across all users; try again")
    # While the cap is spent, nobody signs in: the spray is stopped at the price of a pause.
    assert honest.status_code == 429
