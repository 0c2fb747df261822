"""What every chart shares: one Plotly template, and drill-down from a point to its page.

The template: plotly_white with hover labels in black on white, and the Okabe-Ito colours
(told apart with the common colour-vision deficiencies) for its traces.

Plotly colours a hover label like its trace and picks white or black text by luminance; on the
RAG green (#009E73) that is white at 3.4:1, below WCAG AA's 4.5:1. Black on white is 21:1 for
every trace, and the label's border keeps the trace's colour as a cue."""

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from dash import Input, Output, clientside_callback, dcc, html

from dashboard.auth import PREFIX
from dashboard.components.formatting import OKABE_ITO
from dashboard.components.page import aria_label

TEMPLATE = "chainboard"

_template = go.layout.Template(pio.templates["plotly_white"])
_template.layout.hoverlabel = {"bgcolor": "#ffffff", "font": {"color": "#000000"}}
_template.layout.colorway = [OKABE_ITO[name] for name in (
    "blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black",
    "grey")]
pio.templates[TEMPLATE] = _template


# -- drill-down ----------------------------------------------------------------------------------
# A chart point that stands for something with a page of its own (a provider, a month's checks,
# a principle's flags) carries that page's address in its customdata: the address itself, or
# the first item of a list (the rest is the hover's). A click goes there; a point whose address
# is None (an anonymised provider) goes nowhere. The same targets are drawn as plain links
# beside the chart (`drill_links`): a chart cannot be reached by keyboard.
_DRILL_DOWN = """
function(click) {
    const point = click && click.points && click.points[0];
    const data = point ? point.customdata : null;
    const target = Array.isArray(data) ? data[0] : data;
    if (typeof target !== "string" || !target.startsWith("%s")) {
        return dash_clientside.no_update;
    }
    return target;
}
"""


def drill_down(graph_id: str) -> None:
    """Make a click on `graph_id`'s points open the address in their customdata. Called once
    per chart, at import, beside the page that draws it. In the browser: it needs no server."""
    clientside_callback(_DRILL_DOWN % PREFIX,
                        Output("_pages_location", "href", allow_duplicate=True),
                        Input(graph_id, "clickData"), prevent_initial_call=True)


def drill_graph(graph_id: str, figure: go.Figure, **attributes: Any) -> dcc.Graph:
    """A chart whose points open their pages (its callback registered with `drill_down`)."""
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False},
                     className="drill-chart", **attributes)


def drill_links(title: str, links: list[tuple[str, str]], label: str) -> html.Nav | None:
    """A chart's drill-down targets as links, (text, address) each: reachable by Tab."""
    if not links:
        return None
    return html.Nav([html.H3(title, className="h6 mt-2"), html.Ul([
        html.Li(html.A(text, href=href), className="list-inline-item me-3")
        for text, href in links], className="list-inline small")], **aria_label(label))
