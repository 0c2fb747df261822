"""The Dash front end, served by the same process at /dashboard/.

Pages live in dashboard/pages/, one module each (dash.register_page). The navigation is built
from the page registry: a page that declares `nav_roles` appears, for those roles, in the
order of its `order`; adding a page to the menu is adding its module."""

from functools import cache
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
import flask_bootstrap
from a2wsgi import WSGIMiddleware
from dash import dcc, html
from fastapi import FastAPI

from app.auth.principal import Principal
from app.core.http import script_hashes
from dashboard import auth
from dashboard.components.formatting import ROLE_NAMES
from dashboard.components.page import aria_label, decorative
from dashboard.components.saved_views import save_view_control

PREFIX = auth.PREFIX
LOGIN = auth.LOGIN_PATH
# Bootstrap's CSS from a package (bootstrap-flask ships it), served by us: no CDN at run time.
BOOTSTRAP_CSS = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css"


SET_UP = "Set-up"  # the menu of the self-service pages (a page's `nav_group=True`)


def nav_links(principal: Principal) -> list[Any]:
    """The pages the principal's role may use; those of a `nav_group` in one drop-down menu
    each after the others (a named group, e.g. "Reviews", then the set-up pages: the bar
    stays one line)."""
    links: list[Any] = []
    groups: dict[str, list[Any]] = {}
    for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0):
        if principal.role not in page.get("nav_roles", ()) or page.get("nav_help"):
            continue
        href = page["relative_path"]
        if page.get("nav_own_provider"):
            if principal.organisation_id is None:
                continue
            href = f"{PREFIX}providers/{principal.organisation_id}"
        link_id = f"nav-{page['module'].split('.')[-1]}"
        group = page.get("nav_group")
        if group:
            groups.setdefault(SET_UP if group is True else group, []).append(
                dbc.DropdownMenuItem(page["name"], href=href, id=link_id))
        else:
            links.append(dbc.NavItem(dbc.NavLink(page["name"], href=href, active="exact",
                                                 id=link_id)))
    set_up = groups.pop(SET_UP, None)
    for label, items in [*groups.items(), *([(SET_UP, set_up)] if set_up else [])]:
        links.append(dbc.DropdownMenu(items, label=label, nav=True, in_navbar=True,
                                      align_end=True, id=f"nav-{label.lower()}"))
    return links


def help_links(principal: Principal) -> list[Any]:
    """The help pages (a page's `nav_help`: the glossary), on the right beside the user's
    name: they serve every page. A "?" named by the page (`nav_help` is its full name), so
    the main menu stays one line for the role with the most pages."""
    return [dbc.NavItem(html.A(html.Span("?", **decorative()),
                               href=page["relative_path"], className="nav-link what-is nav-help",
                               title=page["nav_help"], id=f"nav-{page['module'].split('.')[-1]}",
                               **aria_label(page["nav_help"])))
            for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
            if page.get("nav_help") and principal.role in page.get("nav_roles", ())]


def navbar(principal: Principal | None) -> dbc.Navbar:
    if principal is None:
        right: list[Any] = []
        links: list[Any] = []
    else:
        links = nav_links(principal)
        # The account's name opens a menu with the sign-out: the bar keeps one line at
        # 1400 px with every page a provider's staff may use.
        right = [
            html.Nav(dbc.Nav(help_links(principal), navbar=True, id="help-nav"),
                     className="me-2", **aria_label("Help")),
            # The role is in the account's menu, not a badge beside it: the bar keeps one
            # line at 1,400 px with every page of the prime's manager.
            dbc.Nav(dbc.DropdownMenu([
                dbc.DropdownMenuItem([f"Signed in as {principal.username or ''}", html.Br(),
                                      html.Span(ROLE_NAMES.get(principal.role, principal.role),
                                                id="nav-role")], header=True),
                html.Form(dbc.Button("Sign out", type="submit", color="link",
                                     className="dropdown-item", id="sign-out"),
                          method="POST", action=f"{PREFIX}auth/logout"),
            ], label=principal.username or "Account", nav=True, in_navbar=True,
                align_end=True, id="nav-user"), navbar=True),
        ]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("chainboard", href=PREFIX),
        html.Nav(dbc.Nav(links, navbar=True, id="main-nav"), className="me-auto",
                 **aria_label("Main")),
        html.Div(right, className="d-flex align-items-center flex-nowrap"),
    ], fluid=True), color="dark", dark=True, className="mb-2")


def shell() -> html.Div:
    """The frame around every page, built per request for the signed-in user's role."""
    return html.Div([
        html.A("Skip to content", href="#content",
               className="visually-hidden-focusable position-absolute top-0 start-0 p-2 "
                         "bg-body z-3"),
        navbar(auth.current_principal()),
        # Outside the navigation bar, which a prime manager's menu already fills.
        dbc.Container(save_view_control(), fluid=True,
                      className="d-flex justify-content-end d-print-none")
        if auth.current_principal() is not None else None,
        dbc.Container(
            html.Main(dcc.Loading(dash.page_container, type="default", delay_show=150,
                                  overlay_style={"visibility": "visible", "opacity": 0.5}),
                      id="content", tabIndex="-1"),
            fluid=True),
    ])


def refuse_unknown_callbacks(app: dash.Dash) -> None:
    """A callback request naming no server callback (a clientside one, none at all, or a body
    that is no callback request) is answered 400: Dash itself would raise, a 500."""

    def check() -> flask.Response | None:
        if flask.request.path != "/_dash-update-component":
            return None
        body = flask.request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        spec = app.callback_map.get(output) if isinstance(output, str) else None
        if spec is not None and "callback" in spec:
            return None
        return flask.Response('{"detail": "no such callback"}', status=400,
                              mimetype="application/json")

    app.server.before_request(check)


@cache
def create_dash() -> dash.Dash:
    """One Dash app per process: its pages register in Dash's process-wide registry."""
    app = dash.Dash(
        __name__, requests_pathname_prefix=PREFIX, routes_pathname_prefix="/",
        external_stylesheets=[f"{PREFIX}vendor/bootstrap.min.css"], title="chainboard",
        serve_locally=True,
        use_pages=True, pages_folder=str(Path(__file__).parent / "pages"),
        # Layouts depend on the signed-in user, so Dash must not call them at start-up to
        # validate callbacks; callbacks refer to ids of pages not yet shown.
        suppress_callback_exceptions=True,
        index_string=dash.dash._default_index.replace("<html>", '<html lang="en-GB">', 1),
    )
    app.layout = shell
    auth.install(app.server)
    refuse_unknown_callbacks(app)
    app.server.add_url_rule(
        "/vendor/bootstrap.min.css", "bootstrap_css",
        lambda: flask.send_from_directory(BOOTSTRAP_CSS, "bootstrap.min.css", max_age=86400))
    from dashboard.components import filters  # noqa: F401  (registers the URL callback)

    return app


@cache
def inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts Dash's page carries: its renderer's start-up and the
    clientside callbacks, its own pages' router among them. Dash registers that router at its
    first request, so the login page is rendered once here (no database needed) and its
    scripts hashed as served; every page shares that one index."""
    page = create_dash().server.test_client().get(LOGIN)
    assert page.status_code == 200, page.status_code
    return script_hashes(page.get_data(as_text=True))


def mount_dashboard(api: FastAPI) -> None:
    api.mount(PREFIX.rstrip("/"), WSGIMiddleware(create_dash().server))  # type: ignore[arg-type]
