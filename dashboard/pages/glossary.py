"""The glossary: every term of app/core/glossary.py, alphabetical, each at an anchor named
by its slug (the "i" beside a figure links there), with a find-as-you-type box
(assets/glossary.js: it filters in the browser, no callback)."""

from typing import Any

import dash
from dash import dcc, html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.glossary import TERMS, Term, alphabetical
from dashboard.components.page import guarded, page_header

ALL_ROLES = ("admin", "prime_manager", "provider_user", "reviewer")
dash.register_page(__name__, path="/glossary", name="Glossary", order=90,
                   title="Glossary - chainboard", nav_roles=ALL_ROLES,
                   nav_help="Glossary: what the figures mean")


def entry(term: Term) -> html.Div:
    return html.Div([
        html.Dt(html.H2(term.title, className="h6 mb-1", id=f"{term.slug}-title",
                        tabIndex="-1")),
        html.Dd(term.meaning, className="mb-1"),
        html.Dd(f"How it is worked out: {term.worked_out}", className="small text-muted mb-0")
        if term.worked_out else None,
    ], id=term.slug, className="glossary-entry border-bottom py-2")


def render(_session: Session, _principal: Principal, _query: dict[str, str]) -> Any:
    return html.Div([
        page_header("Glossary", "What each figure on the dashboard means, in plain English. "
                    "The \u201ci\u201d beside a figure, and a column heading's tooltip, show "
                    "the same words."),
        html.Div([
            html.Label("Find a term", htmlFor="glossary-search", className="form-label"),
            dcc.Input(id="glossary-search", type="search", className="form-control",
                      autoComplete="off", style={"maxWidth": "24rem"}),
            html.P(f"{len(TERMS)} terms", id="glossary-count", role="status",
                   className="small text-muted mt-1"),
        ], className="mb-2"),
        html.Dl([entry(t) for t in alphabetical()], id="glossary-list"),
    ])


layout = guarded(render, "glossary")
