"""Every download button's answer: app.core.export's file as Dash's Download data."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, dcc, html

from app.core.export import Format, TableExport, export_file


def send_export(table: TableExport, file_format: Format = "csv") -> dict[str, Any]:
    exported = export_file(table, file_format)
    if file_format == "csv":  # as text, so the answer stays readable (and checkable) as such
        return dcc.send_string(exported.content.decode("utf-8"), exported.filename,
                               type=exported.media_type)
    return dcc.send_bytes(exported.content, exported.filename, type=exported.media_type)


def download_buttons(name: str) -> html.Div:
    """A table's CSV and Excel buttons (`<name>-export`, `<name>-export-xlsx`) and the
    download they answer into (`<name>-download`)."""
    return html.Div([
        dbc.Button("Download CSV", id=f"{name}-export", color="primary", size="sm",
                   className="me-2"),
        dbc.Button("Download Excel", id=f"{name}-export-xlsx", color="secondary", size="sm"),
        dcc.Download(id=f"{name}-download"),
    ], className="mb-2")


def download_inputs(name: str) -> list[Input]:
    return [Input(f"{name}-export", "n_clicks"), Input(f"{name}-export-xlsx", "n_clicks")]


def chosen_format() -> Format:
    """Which of the two buttons was pressed."""
    triggered = dash.ctx.triggered_id
    return "xlsx" if isinstance(triggered, str) and triggered.endswith("-xlsx") else "csv"
