"""What every page shares: the sign-in guard, the service errors shown as page states, and
the empty and not-found states."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import Forbidden, Invalid, NotFound
from dashboard.auth import PREFIX, current_principal, db_session

Render = Callable[[Session, Principal, dict[str, str]], Any]


def aria_label(label: str) -> dict[str, Any]:
    """Keyword arguments naming an element for assistive technology (on an element with a role:
    ARIA does not allow a name on a plain div, p or span)."""
    return {"aria-label": label}


def decorative() -> dict[str, Any]:
    """Keyword arguments hiding a glyph from assistive technology (the element around it
    carries the name)."""
    return {"aria-hidden": "true"}


def not_found(detail: str = "") -> html.Div:
    """A record outside the principal's scope looks exactly like one that does not exist."""
    return html.Div([
        html.H1("Not found", id="not-found"),
        html.P("There is no such page, or it is not one you may see."),
        html.P(detail, className="text-muted small") if detail else None,
        html.A("Back to the overview", href=PREFIX),
    ], className="py-4", role="alert")


def empty_state(title: str, hint: str) -> html.Div:
    return html.Div([html.H2(title, className="h5"), html.P(hint, className="mb-0")],
                    className="border rounded p-4 my-3 bg-body-tertiary empty-state")


def problem(detail: str) -> dbc.Alert:
    return dbc.Alert(detail, color="warning")


def guarded(render: Render, path: str) -> Callable[..., Any]:
    """A page layout from (session, principal, query arguments); signed-out visitors get a
    link to sign in, and the services' refusals become the page's state (out of scope: not
    found, as the API answers 404)."""
    @wraps(render)
    def layout(**query: Any) -> Any:
        principal = current_principal()
        if principal is None:
            return html.Div([html.H1("Signed out"), html.A(
                "Sign in to continue", href=f"{PREFIX}login?next={quote(PREFIX + path)}")],
                className="py-4")
        arguments = {k: str(v) for k, v in query.items()}
        with db_session() as session:
            try:
                return render(session, principal, arguments)
            except NotFound as exc:
                return not_found(exc.detail)
            except (Invalid, Forbidden) as exc:
                # e.g. "to: before from": say so, and offer the page with its defaults.
                return html.Div([problem(exc.detail),
                                 html.A("Show this page with its default filters",
                                        href=PREFIX + path)], className="py-3")
    return layout


def page_header(title: str, lead: str | None = None) -> html.Div:
    return html.Div([html.H1(title, className="h3 mt-3"),
                     html.P(lead, className="text-muted") if lead else None])
