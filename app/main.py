"""The ASGI application: API at /api/v1, dashboard at /dashboard/, OpenAPI at /docs."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from app.api import api_router
from app.core.errors import DomainError

log = logging.getLogger("chainboard")

DESCRIPTION = """
Supply-chain performance management for payment-by-results employment programmes.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <token>`, or send a machine client's `X-API-Key: <key>`.
Records outside your organisation's scope answer 404.
"""


def create_app(with_dashboard: bool = True) -> FastAPI:
    app = FastAPI(title="chainboard", version="0.1.0", description=DESCRIPTION)
    app.include_router(api_router)

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
