"""ASGI middleware for every request: a request id and an access log line, and a cap on the
size of request bodies, and the security headers (`secure`'s ASGI middleware). Pure ASGI (no
BaseHTTPMiddleware), so bodies stream through."""

import base64
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from secure import ContentSecurityPolicy, ReferrerPolicy, Secure, XContentTypeOptions, XFrameOptions
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.logs import request_context

access_log = logging.getLogger("chainboard.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is short and plain (a UUID, a trace id); anything else is
# replaced, so a log line can never be forged through the header.
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# -- who is asking, by address -------------------------------------------------------------------
@lru_cache
def _networks(trusted_proxies: str) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(entry.strip(), strict=False)
                 for entry in trusted_proxies.split(",") if entry.strip())


def _is_trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str]) -> str:
    """The address a request came from, for the API and the dashboard alike (sign-in limits,
    sessions, the access log): the TCP peer, unless the peer is one of TRUSTED_PROXIES; then
    X-Forwarded-For read from the right, skipping trusted proxies, since only the entries our
    own proxies appended are true (a client can write anything to the left of them). With no
    trusted proxies the header is ignored. uvicorn runs with proxy_headers=False (app.cli), so
    this is the one place that decides."""
    peer = (peer or "unknown")[:64]
    networks = _networks(get_settings().trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer  # every hop is ours: the first is the nearest we know


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", ())
            if key.lower() == name]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Takes X-Request-ID (or makes one), returns it on the answer, and logs one line per
    request with its status, duration and principal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _GOOD_REQUEST_ID.match(given) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
        token = request_context.set(context)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s", scope["method"], scope["path"], status,
                extra={"method": scope["method"], "path": scope["path"], "status": status,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                       "client": client_address((scope.get("client") or ("", 0))[0],
                                                _header_values(scope, b"x-forwarded-for")),
                       **{k: v for k, v in context.items() if k != "request_id"}})
            request_context.reset(token)


class BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"body: larger than the {max_bytes:,} bytes a request may carry; "
                              "send fewer events per batch")


class BodySizeLimitMiddleware:
    """413 for a body over `max_bytes`: at once when Content-Length says so, otherwise as soon
    as the streamed body passes the limit (before it is all read into memory)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() \
                and int(declared) > self.max_bytes:
            await _send_json(send, 413, {"detail": BodyTooLarge(self.max_bytes).detail})
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException: the app's handlers answer it as JSON {"detail": ...}.
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


async def _send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# -- security headers ---------------------------------------------------------------------------
class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and not found.get("src") and found.get("type", "text/javascript") in (
                "text/javascript", "application/javascript", "module"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._text is not None:
            self.scripts.append("".join(self._text))
            self._text = None


def script_hashes(html: str) -> list[str]:
    """CSP sources (`'sha256-...'`) allowing exactly the inline scripts of a fixed page."""
    parser = _InlineScripts()
    parser.feed(html)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
            for s in parser.scripts]


def security_headers(inline_scripts: Iterable[str] = ()) -> Secure:
    """The headers every answer carries (API, /docs and the dashboard alike).

    Everything is served from this origin: no CDN, no other host. Scripts run only from our
    files and, inline, only those whose hashes are given (Dash's renderer start-up and its
    clientside callbacks, Swagger UI's start-up): no 'unsafe-inline', no 'unsafe-eval'.
    Styles may be inline: plotly.js, AG Grid and Dash's components set them at run time.
    Images may be data: or blob: URLs (plotly's downloads, Swagger UI's icons). No page may
    be framed (clickjacking), no type sniffed, no address sent to another site."""
    csp = (ContentSecurityPolicy()
           .default_src("'self'")
           .script_src("'self'", *dict.fromkeys(inline_scripts))
           .style_src("'self'", "'unsafe-inline'")
           .img_src("'self'", "data:", "blob:")
           .font_src("'self'", "data:")
           .connect_src("'self'")
           .object_src("'none'")
           .base_uri("'self'")
           .form_action("'self'")
           .frame_ancestors("'none'"))
    return Secure(csp=csp, xfo=XFrameOptions().set("DENY"), xcto=XContentTypeOptions(),
                  referrer=ReferrerPolicy().strict_origin_when_cross_origin())

