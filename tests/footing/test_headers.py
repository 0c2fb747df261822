"""Security headers on every answer, a CSP that names no other origin, /docs served without a
CDN, the dashboard's inline scripts allowed by hash, and a warning when the development secret
is in use (issue 13, finding 12). No browser: the HTML is read and every script it runs is
checked against the policy the answer carries."""

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.config import get_settings

KEYWORDS = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(), follow_redirects=False) as client:
        yield client


class _Page(HTMLParser):
    """The URLs a page loads and the text of the scripts it runs inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(str(found["src"]))
            elif found.get("type", "text/javascript") in (
                    "text/javascript", "application/javascript", "module"):
                self._in_script, self._text = True, []
        elif tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script:
            self._in_script = False
            self.inline.append("".join(self._text))


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _policy(response) -> dict[str, list[str]]:
    csp = response.headers.get("content-security-policy")
    assert csp, f"{response.request.url}: no Content-Security-Policy"
    return {parts[0]: parts[1:] for parts in (d.split() for d in csp.split(";") if d.strip())}


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def _asset(served: TestClient) -> str:
    page = _read(served.get("/dashboard/login").text)
    return next(url for url in page.urls if "_dash-component-suites" in url)


@pytest.mark.parametrize("path", ["/api/v1/health", "/openapi.json", "/docs",
                                  "/dashboard/login", "dash-asset", "/api/v1/no-such-thing",
                                  "/dashboard/league"])
def test_every_answer_carries_the_security_headers(served, path):
    response = served.get(_asset(served) if path == "dash-asset" else path)
    assert response.status_code in (200, 302, 404), response.text
    policy = _policy(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin",
                                                   "strict-origin-when-cross-origin")
    assert len(response.headers.get_list("content-security-policy")) == 1


def test_the_policy_names_no_other_origin_and_no_eval(served):
    policy = _policy(served.get("/api/v1/health"))
    for directive, sources in policy.items():
        for source in sources:
            assert source in KEYWORDS or re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", source), (
                f"{directive} allows {source}")
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]


def _check_page(served: TestClient, path: str) -> None:
    response = served.get(path)
    assert response.status_code == 200, response.text
    page = _read(response.text)
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{path} loads {url}"
        assert served.get(url).status_code == 200, f"{path}: {url} is not served"
    allowed = _policy(response)["script-src"]
    for script in page.inline:
        assert _sha256(script) in allowed, f"{path}: inline script not allowed: {script[:80]}"


def test_the_docs_load_their_assets_from_this_server(served):
    response = served.get("/docs")
    assert "cdn" not in response.text.lower()
    _check_page(served, "/docs")
    assert len(_read(response.text).urls) >= 2, "Swagger UI's script and stylesheet"
    assert _read(response.text).inline, "Swagger UI's start-up script is inline"
    assert served.get("/docs/oauth2-redirect").status_code == 200
    _check_page(served, "/docs/oauth2-redirect")


def test_the_dashboard_runs_under_the_policy(served):
    """The login page carries Dash's renderer start-up and the clientside callbacks as inline
    scripts: each is allowed by its hash, and every script and stylesheet is ours."""
    _check_page(served, "/dashboard/login")
    assert any("DashRenderer" in script for script in _read(
        served.get("/dashboard/login").text).inline)


@pytest.fixture()
def settings_reset() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_start_up_warns_when_the_development_secret_is_in_use(
        engine, settings_reset, monkeypatch, caplog):
    from app.core.config import DEV_SECRET_KEY
    from app.main import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert get_settings().secret_key == DEV_SECRET_KEY
    with caplog.at_level(logging.WARNING, logger="chainboard"), \
            TestClient(create_app(with_dashboard=False)):
        pass
    assert any("SECRET_KEY" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records), caplog.text


def test_no_warning_with_a_private_secret(engine, settings_reset, monkeypatch, caplog):
    from app.main import create_app

    monkeypatch.setenv("SECRET_KEY", "a-private-secret-of-more-than-32-characters")
    with caplog.at_level(logging.WARNING, logger="chainboard"), \
            TestClient(create_app(with_dashboard=False)):
        pass
    assert not any("SECRET_KEY" in record.getMessage() for record in caplog.records)
