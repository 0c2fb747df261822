"""The "i" beside a headline figure: the glossary's meaning of the figure on hover and on
focus, and a link to its entry on the glossary page. The words come from app/core/glossary.py,
as the grids' header tooltips do (components/grid.py `metric`)."""

from typing import Any

from dash import html

from app.core.glossary import term
from dashboard.auth import PREFIX
from dashboard.components.page import aria_label, decorative

GLOSSARY_PATH = f"{PREFIX}glossary"


def glossary_href(slug: str) -> str:
    return f"{GLOSSARY_PATH}#{slug}"


def what_is(slug: str, control_id: str) -> html.Span:
    """A link Tab reaches, named "What is <term>?" (the "i" is decoration) and described by
    the meaning, which shows beside it on hover and on focus. CSS alone shows it
    (chainboard.css): dbc.Tooltip's focus handling made the focus ring flicker away."""
    found = term(slug)
    tooltip_id = f"{control_id}-tooltip"
    named: dict[str, Any] = {**aria_label(f"What is {found.title}? Glossary"),
                             "aria-describedby": tooltip_id}
    return html.Span([
        html.A(html.Span("i", **decorative()), href=glossary_href(slug), id=control_id,
               className="what-is", **named),
        html.Span(found.meaning, id=tooltip_id, role="tooltip", className="what-is-tooltip"),
    ], className="what-is-frame ms-1 flex-shrink-0")


def explained_heading(heading: Any, slug: str, control_id: str) -> html.Div:
    """A figure's heading with its "i" beside it."""
    return html.Div([heading, what_is(slug, control_id)],
                    className="d-flex justify-content-between align-items-start")
