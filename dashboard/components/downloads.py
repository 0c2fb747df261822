"""Every download button's answer: app.core.export's file as Dash's Download data."""

from typing import Any

from dash import dcc

from app.core.export import Format, TableExport, export_file


def send_export(table: TableExport, file_format: Format = "csv") -> dict[str, Any]:
    exported = export_file(table, file_format)
    if file_format == "csv":  # as text, so the answer stays readable (and checkable) as such
        return dcc.send_string(exported.content.decode("utf-8"), exported.filename,
                               type=exported.media_type)
    return dcc.send_bytes(exported.content, exported.filename, type=exported.media_type)
