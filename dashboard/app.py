"""The Dash front end, served by the same process at /dashboard/."""

import dash
import dash_bootstrap_components as dbc
from a2wsgi import WSGIMiddleware
from dash import html
from fastapi import FastAPI

PREFIX = "/dashboard/"


def create_dash() -> dash.Dash:
    app = dash.Dash(__name__, requests_pathname_prefix=PREFIX, routes_pathname_prefix="/",
                    external_stylesheets=[dbc.themes.BOOTSTRAP], title="chainboard",
                    serve_locally=True)
    app.layout = dbc.Container([
        html.H1("chainboard", className="mt-4"),
        html.P("Supply-chain performance for payment-by-results employment programmes."),
        html.P(["The league tables, milestones, compliance and complaint pages are being built. "
                "Meanwhile the API and its documentation are at ",
                html.A("/docs", href="/docs"), "."]),
    ])
    return app


def mount_dashboard(api: FastAPI) -> None:
    api.mount(PREFIX.rstrip("/"), WSGIMiddleware(create_dash().server))  # type: ignore[arg-type]
