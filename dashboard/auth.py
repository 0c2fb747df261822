"""Signing in to the dashboard: a session cookie carrying the API's own access token.

The login form posts to a plain Flask route, which signs in through the auth service's
`sign_in`, the API's own path with the same rate limits and client address, and sets the
token (app.core.security) in an HttpOnly, SameSite=Lax cookie, Secure whenever the request
came over HTTPS or the service runs in production. Every request then resolves the cookie to
a Principal the same way the API resolves a bearer token (its session live, its user active),
so the dashboard's callbacks read through the same scoped services with the same rights.
Signing out revokes the cookie's session, not only the cookie.

Unauthenticated requests: a page is redirected to the login page; a callback answers 401.
The pages router's callback is let through so that a page opened after the session ended
renders the redirect to the login page (see dashboard.layout.page).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import flask
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.auth.principal import Principal, resolve_principal
from app.auth.service import sign_in, sign_out
from app.core.config import get_settings
from app.core.db import get_sessionmaker, get_write_sessionmaker
from app.core.http import client_address
from app.core.ratelimit import RateLimited
from app.core.security import token_claims

COOKIE = "chainboard_session"
PREFIX = "/dashboard/"
LOGIN_PATH = "/login"
# Paths (inside the mount) served to anyone: the login page and Dash's own scripts.
PUBLIC_PREFIXES = ("/_dash-component-suites/", "/_dash-layout", "/_dash-dependencies",
                   "/_reload-hash", "/_favicon.ico", "/assets/", "/auth/", "/vendor/")


@contextmanager
def db_session(write: bool = False) -> Iterator[Session]:
    """`write`: for an action that changes data (a write session: see app.core.db)."""
    with (get_write_sessionmaker() if write else get_sessionmaker())() as session:
        yield session


def current_principal() -> Principal | None:
    """Who the request's session cookie belongs to (once per request), or None."""
    if "principal" not in flask.g:
        token = flask.request.cookies.get(COOKIE)
        principal = None
        if token:
            with db_session() as session:
                principal = resolve_principal(session, token, None)
        flask.g.principal = principal
    principal_or_none: Principal | None = flask.g.principal
    return principal_or_none


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path only, never another site."""
    if not target:
        return PREFIX
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX) or "\\" in target:
        return PREFIX
    return target


def _same_origin() -> bool:
    """A login form posted from another site is refused (login CSRF)."""
    origin = flask.request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == flask.request.host


def _secure() -> bool:
    return flask.request.is_secure or get_settings().environment == "production"


def _login() -> Response:
    form = flask.request.form
    target = safe_next(form.get("next"))
    failed = flask.redirect(f"{PREFIX}login?error=1&next={quote(target)}", code=303)
    if not _same_origin():
        return failed
    address = client_address(flask.request.remote_addr,
                             flask.request.headers.getlist("X-Forwarded-For"))
    try:
        with db_session(write=True) as session:
            signed_in = sign_in(session, form.get("username", ""), form.get("password", ""),
                                address)
    except RateLimited as limited:  # the page says so; the right password does not sign in
        return flask.redirect(
            f"{PREFIX}login?limited={limited.retry_after}&next={quote(target)}", code=303)
    if signed_in is None:
        return failed
    response = flask.redirect(target, code=303)
    response.set_cookie(COOKIE, signed_in[1], httponly=True, samesite="Lax",
                        secure=_secure(), path=PREFIX,
                        max_age=get_settings().access_token_minutes * 60)
    return response


def _logout() -> Response:
    claims = token_claims(flask.request.cookies.get(COOKIE, ""))
    if claims is not None:  # the session ends, so a copy of the cookie is worth nothing
        with db_session(write=True) as session:
            sign_out(session, claims.session_id)
    response = flask.redirect(f"{PREFIX}login?signed_out=1", code=303)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="Lax", secure=_secure())
    return response


def _is_pages_router() -> bool:
    body = flask.request.get_json(silent=True) or {}
    return "_pages_content.children" in str(body.get("output", ""))


def _gate() -> Response | None:
    path = flask.request.path
    if path.startswith(PUBLIC_PREFIXES) or path == LOGIN_PATH:
        return None
    if current_principal() is not None:
        return None
    if path == "/_dash-update-component":
        if _is_pages_router():
            return None
        return flask.Response('{"detail": "not signed in"}', status=401,
                              mimetype="application/json")
    query = flask.request.query_string.decode()
    here = PREFIX + path.lstrip("/") + (f"?{query}" if query else "")
    return flask.redirect(f"{PREFIX}login?next={quote(here)}", code=302)


def install(server: flask.Flask) -> None:
    server.add_url_rule("/auth/login", "chainboard_login", _login, methods=["POST"])
    server.add_url_rule("/auth/logout", "chainboard_logout", _logout, methods=["POST"])
    server.before_request(_gate)
