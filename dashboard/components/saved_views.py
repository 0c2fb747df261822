"""The "Save this view" control in the navigation bar: the page's address as it is now (its
filters and, written in place, its grids' sort and filters) saved under a name through
app.auth.saved_views. The list of saved views is its own page (pages/saved_views.py)."""

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, clientside_callback, dcc, html

from app.auth import saved_views
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.forms import ARIA_LIVE, REFUSALS, done, refused, signed_in


def save_view_control() -> html.Div:
    return html.Div([
        html.A("Saved views", href=f"{PREFIX}views", id="saved-views-link",
               className="btn btn-link btn-sm"),
        dbc.Button("Save this view", id="save-view-open", color="secondary", size="sm",
                   outline=True),
        dcc.Store(id="save-view-url"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Save this view")),
            dbc.ModalBody([
                html.P("The page as it is now, its filters and its table's sort and filters, "
                       "under a name only you see.", className="small"),
                dbc.Label("Name", html_for="save-view-name"),
                dbc.Input(id="save-view-name", maxLength=100, debounce=False),
                html.Div(id="save-view-result", role="status", className="mt-2",
                         **ARIA_LIVE),
            ]),
            dbc.ModalFooter([
                html.A("Your saved views", href=f"{PREFIX}views", className="me-auto"),
                dbc.Button("Save", id="save-view-submit", color="primary"),
            ]),
        ], id="save-view-modal", is_open=False),
    ], className="d-flex align-items-center gap-1")


# In the browser: the address as it is now, which the grids may have changed in place.
clientside_callback(
    """
    function(_clicks) {
        return [true, window.location.pathname + window.location.search, ""];
    }
    """,
    Output("save-view-modal", "is_open"), Output("save-view-url", "data"),
    Output("save-view-result", "children", allow_duplicate=True),
    Input("save-view-open", "n_clicks"), prevent_initial_call=True,
)


@callback(Output("save-view-result", "children"),
          Input("save-view-submit", "n_clicks"), Input("save-view-name", "n_submit"),
          State("save-view-name", "value"), State("save-view-url", "data"),
          prevent_initial_call=True)
def save(_clicks: Any, _submitted: Any, name: str | None, url: str | None) -> Any:
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            view = saved_views.save_view(session, principal, name or "", url or "", PREFIX)
        except REFUSALS as exc:
            return refused("Not saved", exc, "save-view-error")
        return done(["Saved as \u201c", view.name, "\u201d. Open it from ",
                     html.A("your saved views", href=f"{PREFIX}views"), "."], "save-view-done")
