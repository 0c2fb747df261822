"""Domain errors that routers turn into HTTP answers (see app.main's handlers)."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    """Also used for records outside the principal's scope: they answer as if absent."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: `detail` names the field and the reason (a list of such issues for
    a malformed request); some answers add fields (a 409's `allowed` transitions)."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[ValidationIssue]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Declared on every /api/v1 operation, so the OpenAPI document says what each error looks like.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("the body cannot be read (not UTF-8, or not the declared content type)"),
    401: _error("no valid credentials"),
    403: _error("the role may never do this"),
    404: _error("not found, or outside the caller's scope"),
    409: _error("conflicts with the record's current state"),
    413: _error("request body too large"),
    422: _error("invalid request: the detail names the field"),
    429: _error("rate limit reached: see Retry-After"),
    503: _error("database busy or too slow: nothing was changed, try again"),
}
