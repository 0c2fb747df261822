"""Sign in: a plain form posted to dashboard.auth's login route (no script needed)."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import PREFIX, current_principal, safe_next

dash.register_page(__name__, path="/login", name="Sign in", title="Sign in - chainboard")


def layout(next: str | None = None, error: str | None = None,  # noqa: A002  (the URL's name)
           signed_out: str | None = None, limited: str | None = None,
           **_ignored: Any) -> Any:
    principal = current_principal()
    notes = []
    if limited:
        seconds = limited if limited.isdigit() else "a few"
        notes.append(dbc.Alert(f"Too many sign-in attempts; try again in {seconds} s.",
                               color="danger", id="login-limited"))
    if error:
        notes.append(dbc.Alert("Username or password is wrong.", color="danger",
                               id="login-error"))
    if signed_out:
        notes.append(dbc.Alert("You have signed out.", color="info"))
    if principal is not None and not error:
        notes.append(dbc.Alert([f"You are signed in as {principal.username}. ",
                                html.A("Go to the overview", href=PREFIX)], color="info"))
    return dbc.Row(dbc.Col([
        html.H1("Sign in", className="h3 mt-4"),
        *notes,
        html.Form([
            dcc.Input(type="hidden", name="next", value=safe_next(next), id="login-next"),
            dbc.Label("Username", html_for="login-username"),
            dbc.Input(id="login-username", name="username", type="text", required=True,
                      autoComplete="username", autoFocus=True, className="mb-3"),
            dbc.Label("Password", html_for="login-password"),
            dbc.Input(id="login-password", name="password", type="password", required=True,
                      autoComplete="current-password", className="mb-3"),
            dbc.Button("Sign in", id="login-submit", type="submit", color="primary"),
        ], method="POST", action=f"{PREFIX}auth/login"),
    ], md=4), justify="center")
