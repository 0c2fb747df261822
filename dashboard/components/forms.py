"""The self-service forms' shared pieces: labelled fields, the services' refusals as messages
naming the field, and a secret shown once.

A form's callback validates its input with the API's own request model and calls the same
service function as the API, with the signed-in principal: the service decides what the user
may do. A refusal (a field the model rejects, a conflict, an action the role may never do)
becomes a message beginning with the field it is about; NotFound is left to
dashboard.components.callbacks, so a record out of scope answers as one that does not exist."""

from collections.abc import Callable
from typing import Any, TypeVar

import dash_bootstrap_components as dbc
from dash import html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from app.auth.permissions import GRANTABLE_ROLES
from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.pagination import PageParams
from app.models.auth import ROLES
from dashboard.auth import current_principal

# What a form shows as a refusal; NotFound is not among them (see the module docstring).
REFUSALS = (ValidationError, Invalid, Conflict, Forbidden)
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}
Row = TypeVar("Row")


def every(list_page: Callable[[PageParams], tuple[list[Row], str | None]]) -> list[Row]:
    """Every row of a paginated service list (set-up lists are short)."""
    rows: list[Row] = []
    cursor = None
    while True:
        page, cursor = list_page(PageParams(limit=1000, cursor=cursor))
        rows += page
        if cursor is None:
            return rows


def signed_in() -> Principal:
    """The principal of a callback's request (a request without one is refused earlier, by
    dashboard.auth; this keeps a stray one from acting)."""
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    return principal


def field(label: str, control: Any, hint: str | None = None, md: int = 3) -> dbc.Col:
    """A control with its label (and a hint under it), in a column of a form row."""
    return dbc.Col([dbc.Label(label, html_for=control.id), control,
                    dbc.FormText(hint) if hint else None], md=md, className="mb-2")


def reasons(exc: Exception) -> list[str]:
    """The refusal as lines naming the field: "password: too easy to guess ..."."""
    if isinstance(exc, ValidationError):
        # A model's own check (no field in `loc`) names its fields in its message.
        return [": ".join([*(['.'.join(str(p) for p in e["loc"])] if e["loc"] else []),
                           e["msg"].removeprefix("Value error, ")]) for e in exc.errors()]
    return [str(getattr(exc, "detail", exc))]


def refused(what: str, exc: Exception, alert_id: str) -> dbc.Alert:
    lines = reasons(exc)
    return dbc.Alert([html.Strong(f"{what}: "), lines[0] if len(lines) == 1
                      else html.Ul([html.Li(line) for line in lines], className="mb-0")],
                     color="danger", id=alert_id)


def done(message: Any, alert_id: str) -> dbc.Alert:
    return dbc.Alert(message, color="success", id=alert_id)


def shown_once(title: str, secret: str, secret_id: str, use: str) -> dbc.Alert:
    """A new secret (an API key, a join code): only its hash is stored, so this is the one
    time anyone sees it."""
    return dbc.Alert([
        html.Strong(title), html.Br(),
        html.Code(secret, id=secret_id, className="user-select-all fs-6"),
        html.P(["Copy it now: it is shown only this once and cannot be shown again. ", use],
               className="mb-0 mt-2 small"),
    ], color="warning", id=f"{secret_id}-once")


def chosen_int(value: Any) -> int | None:
    """A dropdown's or box's value as a record id (None when empty or not a number)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) <= 10 else None


def options(pairs: list[tuple[Any, str]]) -> list[dict[str, str]]:
    return [{"label": label, "value": str(value)} for value, label in pairs]


def grantable_roles(principal: Principal) -> list[str]:
    """The roles the principal may give an account or a key (app.auth.permissions)."""
    return [role for role in ROLES if role in GRANTABLE_ROLES[principal.role]]


def default_role(roles: list[str]) -> str | None:
    """Staff, the account most often made; else the first the user may give."""
    return "provider_user" if "provider_user" in roles else (roles[0] if roles else None)
