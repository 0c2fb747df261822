"""The ASGI application: API at /api/v1, dashboard at /dashboard/, OpenAPI at /docs."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from secure.middleware import SecureASGIMiddleware
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import api_router
from app.core.config import DEV_SECRET_KEY, get_settings
from app.core.errors import DomainError
from app.core.http import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    script_hashes,
    security_headers,
)
from app.wiring import install_reactions

log = logging.getLogger("chainboard")

DESCRIPTION = """
Supply-chain performance management for payment-by-results employment programmes.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <token>`, or send a machine client's `X-API-Key: <key>`.
Records outside your organisation's scope answer 404.
"""

# Swagger UI's script, stylesheet and icon from a package (fastapi-offline ships them), served
# by us: /docs works without a CDN, and the CSP names no other origin. ReDoc is off.
DOCS_ASSETS = "/docs/assets"
DOCS_ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"


def settle_heap() -> None:
    """What every server process does once started (each uvicorn worker builds its own app),
    and what the benchmarks do before measuring in-process. One 5,000-event batch holds tens
    of thousands of objects until its answer (pydantic models, row dicts), a league table
    with characteristics about as many: at CPython's default threshold of 700 the collector
    ran over a hundred times per batch, its older generations walking the whole heap (a
    100 ms pause in every other league table), and freed next to nothing. Freezing what
    startup built (it lives as long as the process) takes it out of every collection;
    10,000 runs them a fourteenth as often. 100,000 was barely faster and kept request
    garbage for longer: peak memory rose by a half (docs/operations.md)."""
    gc.collect()  # startup's garbage is freed now, not frozen for good
    gc.freeze()
    gc.set_threshold(10_000)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    if get_settings().secret_key == DEV_SECRET_KEY:
        # Production refuses it (app.core.config); anywhere else, say so once at start-up.
        log.warning("SECRET_KEY is the development default: anyone who reads the source can "
                    "sign tokens and sessions; set SECRET_KEY to a private value of 32 or more "
                    "characters outside development")
    settle_heap()
    yield


def create_app(with_dashboard: bool = True) -> FastAPI:
    install_reactions()
    app = FastAPI(title="chainboard", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(api_router)
    inline_scripts = _mount_docs(app)
    if with_dashboard:
        from dashboard.app import inline_script_hashes

        # Dash's inline scripts (the renderer's start-up, clientside callbacks), by hash.
        inline_scripts += inline_script_hashes()
    # The last added is the outermost: every answer, a 413 too, carries the request id and
    # the security headers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=get_settings().max_body_bytes)
    app.add_middleware(SecureASGIMiddleware, secure=security_headers(inline_scripts))
    app.add_middleware(RequestContextMiddleware)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail,
                                                                  **exc.extra})

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the reason; never echo the input back (it may be a NaN that JSON
        # cannot carry, or personal data that should not travel twice).
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""),
             "type": error.get("type", "")} for error in exc.errors()]})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's words for a body that is not UTF-8: say which part and what to do.
            exc = StarletteHTTPException(400, "body: cannot be read; send UTF-8 JSON")
        return await http_exception_handler(request, exc)

    @app.exception_handler(DataError)
    async def value_the_database_refuses(request: Request, exc: DataError) -> JSONResponse:
        # The database's own check on a value the request carried (a NUL in a query string, a
        # number out of its range): the request is at fault, and nothing was stored.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "invalid value"
        return JSONResponse(status_code=422, content={
            "detail": f"request: a value the database cannot store ({reason})"})

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        # A statement over STATEMENT_TIMEOUT_MS, SQLite's lock wait over its busy timeout, or
        # the database gone: nothing was committed, and the same request may be sent again.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return JSONResponse(status_code=503, headers={"Retry-After": "5"}, content={
            "detail": "database: busy or too slow to answer in time; nothing was changed, "
                      "try again"})

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error; it is logged"})

    if with_dashboard:
        from dashboard.app import mount_dashboard

        mount_dashboard(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard/" if with_dashboard else "/docs")

    return app


def _mount_docs(app: FastAPI) -> list[str]:
    """/docs (Swagger UI) from the package's files; the hashes of its pages' inline scripts.
    The pages are fixed, so they are rendered once and their hashes known before serving."""
    assert app.openapi_url and app.swagger_ui_oauth2_redirect_url
    app.mount(DOCS_ASSETS, StaticFiles(directory=DOCS_ASSET_DIR), name="docs-assets")
    docs = bytes(get_swagger_ui_html(
        openapi_url=app.openapi_url, title=f"{app.title} - API docs",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters).body).decode()
    redirect = bytes(get_swagger_ui_oauth2_redirect_html().body).decode()

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(docs)

    @app.get(app.swagger_ui_oauth2_redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return HTMLResponse(redirect)

    return script_hashes(docs) + script_hashes(redirect)
