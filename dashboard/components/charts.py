"""One Plotly template for every chart: plotly_white with hover labels in black on white.

Plotly colours a hover label like its trace and picks white or black text by luminance; on the
RAG green (#009E73) that is white at 3.4:1, below WCAG AA's 4.5:1. Black on white is 21:1 for
every trace, and the label's border keeps the trace's colour as a cue."""

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "chainboard"

_template = go.layout.Template(pio.templates["plotly_white"])
_template.layout.hoverlabel = {"bgcolor": "#ffffff", "font": {"color": "#000000"}}
pio.templates[TEMPLATE] = _template
