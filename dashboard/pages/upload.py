"""Data upload: a provider's CSV of events through the same ingestion service as
POST /api/v1/events/csv; the answer shows what was accepted, the duplicates, and each
rejected line with its reasons."""

import base64
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.ingest.csv_upload import KNOWN_COLUMNS, REQUIRED_COLUMNS, parse_events_csv
from app.ingest.service import ingest_events
from dashboard.auth import current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.grid import grid, number
from dashboard.components.page import guarded, page_header

dash.register_page(__name__, path="/upload", name="Upload events", order=6,
                   title="Upload events - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))
MAX_BYTES = 20 * 2**20
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}  # the result is read out when it comes


def render(_session: Session, _principal: Principal, _query: dict[str, str]) -> Any:
    return html.Div([
        page_header("Upload events",
                    "A CSV file, one event per row, columns named as the API's fields. "
                    f"Required: {', '.join(REQUIRED_COLUMNS)}; also known: "
                    f"{', '.join(c for c in KNOWN_COLUMNS if c not in REQUIRED_COLUMNS)}."),
        dbc.Checkbox(id="upload-partial", value=False,
                     label="Store the valid rows even if some are rejected (otherwise one "
                           "rejected row stores nothing)", className="mb-2"),
        dcc.Upload(id="upload-file", accept=".csv,text/csv", max_size=MAX_BYTES,
                   children=html.Div(["Drop a CSV file here, or ",
                                      html.Span("choose a file", className="text-primary "
                                                "text-decoration-underline")]),
                   className="border border-2 rounded p-4 text-center mb-3 upload-drop",
                   style={"borderStyle": "dashed"}),
        dcc.Loading(html.Div(id="upload-result", role="status", **ARIA_LIVE)),
    ])


layout = guarded(render, "upload")


def result_view(filename: str, accepted: int, duplicates: int,
                rejected: list[dict[str, Any]], partial: bool) -> html.Div:
    stored = accepted if (partial or not rejected) else 0
    summary = dbc.Row([
        dbc.Col(dbc.Card(dbc.CardBody([html.H2("Accepted", className="h6 text-muted"),
                                       html.P(f"{stored:,}", className="h3 mb-0",
                                              id="upload-accepted")])), md=3),
        dbc.Col(dbc.Card(dbc.CardBody([html.H2("Duplicates", className="h6 text-muted"),
                                       html.P(f"{duplicates:,}", className="h3 mb-0",
                                              id="upload-duplicates")])), md=3),
        dbc.Col(dbc.Card(dbc.CardBody([html.H2("Rejected lines", className="h6 text-muted"),
                                       html.P(f"{len(rejected):,}", className="h3 mb-0",
                                              id="upload-rejected-count")])), md=3),
    ], className="mb-3")
    parts: list[Any] = [html.H2(f"Result for {filename}", className="h5"), summary]
    if rejected and not partial:
        parts.append(dbc.Alert("Nothing was stored: correct the lines below and upload the "
                               "file again (events already stored count as duplicates).",
                               color="warning"))
    if rejected:
        rows = [{"line": r.get("line"), "event_id": r.get("event_id"),
                 "reason": "; ".join(r["errors"])} for r in rejected]
        parts.append(grid("upload-rejected", rows, [
            number("line", "Line", width=90), {"field": "event_id", "headerName": "Event id"},
            {"field": "reason", "headerName": "Reason", "flex": 1, "wrapText": True,
             "autoHeight": True}]))
    else:
        parts.append(dbc.Alert("Every line was accepted.", color="success"))
    return html.Div(parts)


@callback(Output("upload-result", "children"), Input("upload-file", "contents"),
          State("upload-file", "filename"), State("upload-partial", "value"),
          prevent_initial_call=True)
def upload(contents: str | None, filename: str | None, partial: bool | None) -> Any:
    principal = current_principal()
    if principal is None or contents is None:
        raise PreventUpdate
    name = filename or "the file"
    try:
        content = base64.b64decode(contents.split(",", 1)[1])
        rows, lines = parse_events_csv(content)
        with db_session(write=True) as session:
            result = ingest_events(session, principal, rows, partial=bool(partial),
                                   lines=lines)
    except (IndexError, ValueError):
        return dbc.Alert(f"{name}: could not be read as a file", color="danger")
    except DomainError as exc:  # a file refused whole (not CSV, columns), or no right to
        return dbc.Alert(f"{name}: {exc.detail}", color="danger", id="upload-error")
    return result_view(name, result.accepted, result.duplicates, result.rejected,
                       bool(partial))
