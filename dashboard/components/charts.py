"""One Plotly template for every chart: plotly_white with hover labels in black on white, and
the Okabe-Ito colours (told apart with the common colour-vision deficiencies) for its traces.

Plotly colours a hover label like its trace and picks white or black text by luminance; on the
RAG green (#009E73) that is white at 3.4:1, below WCAG AA's 4.5:1. Black on white is 21:1 for
every trace, and the label's border keeps the trace's colour as a cue."""

import plotly.graph_objects as go
import plotly.io as pio

from dashboard.components.formatting import OKABE_ITO

TEMPLATE = "chainboard"

_template = go.layout.Template(pio.templates["plotly_white"])
_template.layout.hoverlabel = {"bgcolor": "#ffffff", "font": {"color": "#000000"}}
_template.layout.colorway = [OKABE_ITO[name] for name in (
    "blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black",
    "grey")]
pio.templates[TEMPLATE] = _template
