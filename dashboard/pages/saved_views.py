"""The signed-in user's saved views: each a link to the page as it was saved, and deletable.
Through app.auth.saved_views, which shows a user only their own."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, ctx, html
from sqlalchemy.orm import Session

from app.auth import saved_views
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.models import SavedView
from dashboard.auth import PREFIX, db_session
from dashboard.components.callbacks import callback
from dashboard.components.forms import ARIA_LIVE, REFUSALS, done, refused, signed_in
from dashboard.components.page import aria_label, empty_state, guarded, page_header

# Not in the menu (a prime manager's is full): the "Saved views" link above every page.
dash.register_page(__name__, path="/views", name="Saved views", title="Saved views - chainboard")


def page_name(url: str) -> str:
    """The page a view opens, in the menu's words ("League table")."""
    path = url.split("?", 1)[0].removeprefix(PREFIX.rstrip("/")) or "/"
    for page in dash.page_registry.values():
        if page["path"] == path:
            return str(page["name"])
    return path


def views_table(views: list[SavedView]) -> Any:
    if not views:
        return empty_state("No saved views yet",
                           "Open a page, set its filters and sort its table, then choose "
                           "\u201cSave this view\u201d at the top of the page.")
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("View", "Page", "Saved",
                                                                  "")]))
    body = html.Tbody([html.Tr([
        html.Td(html.A(v.name, href=v.url)), html.Td(page_name(v.url)),
        html.Td(v.created_at.strftime("%Y-%m-%d %H:%M")),
        # A plain button: dbc.Button takes no aria-label, and "Delete" alone names no view.
        html.Td(html.Button("Delete", id={"type": "saved-view-delete", "view": v.public_id},
                            className="btn btn-outline-danger btn-sm", type="button",
                            **aria_label(f"Delete the view {v.name}"))),
    ]) for v in views])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="saved-views-table")


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    views = saved_views.list_views(session, principal)
    return html.Div([
        page_header("Saved views", "Pages you saved with their filters and their tables' "
                                   "sort and filters. Only you see them."),
        html.Div(id="saved-views-result", role="status", **ARIA_LIVE),
        html.Div(views_table(views), id="saved-views-list"),
    ])


layout = guarded(render, "views")


@callback(Output("saved-views-result", "children"), Output("saved-views-list", "children"),
          Input({"type": "saved-view-delete", "view": ALL}, "n_clicks"),
          prevent_initial_call=True)
def delete(clicks: list[int | None]) -> Any:
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        raise dash.exceptions.PreventUpdate  # the list drawn, nothing clicked
    principal = signed_in()
    with db_session(write=True) as session:
        try:
            saved_views.delete_view(session, principal, str(ctx.triggered_id["view"])[:64])
        except (*REFUSALS, NotFound) as exc:  # NotFound: deleted meanwhile (another tab)
            return refused("Not deleted", exc, "saved-views-error"), dash.no_update
        return (done("View deleted.", "saved-views-done"),
                views_table(saved_views.list_views(session, principal)))
