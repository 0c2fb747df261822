"""Data upload: a provider's CSV of events through the same ingestion service as
POST /api/v1/events/csv; the answer shows what was accepted, the duplicates, and each
rejected line with its reasons. The page shows the template (columns, an example row, a file
to download) and sends the last chosen file again on request: a file input fires nothing when
the same file is chosen twice, so "store the valid rows" after a refusal needs the button."""

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.pagination import PageParams
from app.core.timeutil import today
from app.ingest.csv_upload import KNOWN_COLUMNS, REQUIRED_COLUMNS, parse_events_csv
from app.ingest.service import ingest_events
from app.supply_chain.service import list_contracts
from dashboard.auth import current_principal, db_session
from dashboard.components.callbacks import callback
from dashboard.components.grid import grid, number
from dashboard.components.page import guarded, page_header

dash.register_page(__name__, path="/upload", name="Upload", order=6,
                   title="Upload events - chainboard",
                   nav_roles=("admin", "prime_manager", "provider_user"))
MAX_BYTES = 20 * 2**20
ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}  # the result is read out when it comes


TEMPLATE_COLUMNS = (*REQUIRED_COLUMNS, "payment_group", "provider_id")
TEMPLATE_FILE = "chainboard-events-template.csv"


def example_row(session: Session, principal: Principal) -> dict[str, str]:
    """A referral to the user's own organisation in the first contract it may see (ids the
    user would really write; placeholders where it has none)."""
    contracts, _ = list_contracts(session, principal, PageParams(limit=1))
    return {"event_id": "ref-0001",
            "contract_id": str(contracts[0].id) if contracts else "<contract id>",
            "participant_ref": "P-0001", "type": "referral",
            "event_date": (today() - timedelta(days=1)).isoformat(),
            "payment_group": "jsa_25_plus",
            "provider_id": str(principal.organisation_id or "<organisation id>")}


def template_view(example: dict[str, str]) -> html.Details:
    text = ",".join(TEMPLATE_COLUMNS) + "\n" + ",".join(example[c] for c in TEMPLATE_COLUMNS) + "\n"
    optional = [c for c in KNOWN_COLUMNS if c not in TEMPLATE_COLUMNS]
    return html.Details([
        html.Summary("The CSV template: columns and an example row", className="mb-2"),
        html.P(["Required columns: ", html.Code(", ".join(REQUIRED_COLUMNS)),
                ". A referral also needs ", html.Code("payment_group"), " and ",
                html.Code("provider_id"), ". Other columns, used by other event types or "
                "optional: ", html.Code(", ".join(optional)), ". Dates are YYYY-MM-DD; "
                "empty cells are absent values."]),
        dbc.Table([html.Thead(html.Tr([html.Th(c) for c in TEMPLATE_COLUMNS])),
                   html.Tbody(html.Tr([html.Td(example[c]) for c in TEMPLATE_COLUMNS]))],
                  bordered=True, size="sm", responsive=True, id="upload-template-example"),
        html.A("Download the template", id="upload-template",
               href="data:text/csv;charset=utf-8," + quote(text), download=TEMPLATE_FILE,
               className="btn btn-outline-secondary btn-sm"),
    ], className="mb-3", open=True)


def render(session: Session, principal: Principal, _query: dict[str, str]) -> Any:
    return html.Div([
        page_header("Upload events",
                    "A CSV file, one event per row, columns named as the API's fields."),
        template_view(example_row(session, principal)),
        dbc.Checkbox(id="upload-partial", value=False,
                     label="Store the valid rows even if some are rejected (otherwise one "
                           "rejected row stores nothing)", className="mb-2"),
        dcc.Upload(id="upload-file", accept=".csv,text/csv", max_size=MAX_BYTES,
                   children=html.Div(["Drop a CSV file here, or ",
                                      html.Span("choose a file", className="text-primary "
                                                "text-decoration-underline")]),
                   className="border border-2 rounded p-4 text-center mb-2 upload-drop",
                   style={"borderStyle": "dashed"}),
        dbc.Button("Send the file again", id="upload-resend", color="secondary", outline=True,
                   size="sm", className="mb-3"),
        dcc.Store(id="upload-input-cleared"), dcc.Store(id="upload-last"),
        dcc.Loading(html.Div(id="upload-result", role="status", **ARIA_LIVE)),
    ])


layout = guarded(render, "upload")


def rejected_columns() -> list[dict[str, Any]]:
    return [number("line", "Line", width=90), {"field": "event_id", "headerName": "Event id"},
            {"field": "reason", "headerName": "Reason", "flex": 1, "wrapText": True,
             "autoHeight": True}]


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
        parts.append(dbc.Alert("Nothing was stored: correct the lines below and choose the "
                               "corrected file, or tick \"store the valid rows\" and press "
                               "\"Send the file again\" (events already stored count as "
                               "duplicates).", color="warning"))
    elif rejected:
        parts.append(dbc.Alert(f"{stored:,} valid row{'s' if stored != 1 else ''} stored; the "
                               "lines below were not.", color="info"))
    if rejected:
        rows = [{"line": r.get("line"), "event_id": r.get("event_id"),
                 "reason": "; ".join(r["errors"])} for r in rejected]
        parts.append(grid("upload-rejected", rows, rejected_columns()))
    else:
        parts.append(dbc.Alert("Every line was accepted.", color="success"))
    return html.Div(parts)


@callback(Output("upload-result", "children"), Output("upload-file", "contents"),
          Input("upload-file", "contents"), Input("upload-resend", "n_clicks"),
          State("upload-file", "filename"), State("upload-partial", "value"),
          State("upload-last", "data"), prevent_initial_call=True)
def upload(contents: str | None, _resend: int | None, filename: str | None,
           partial: bool | None, last: dict[str, str] | None) -> Any:
    """A newly chosen file, or the last one again ("Send the file again"). The browser keeps
    the file (`upload-last`, below) and this empties the Upload: Dash fires nothing when a
    property is set to the value it holds, so the same file chosen again would do nothing."""
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    if contents is None:  # the Upload emptied by this callback, or "send again"
        if ctx.triggered_id == "upload-file":
            raise PreventUpdate
        if not last:
            return (dbc.Alert("Choose a file first.", color="secondary", id="upload-error"),
                    dash.no_update)
        contents, filename = last["contents"], last["filename"]
    return send(principal, contents, filename or "the file", bool(partial)), None


def send(principal: Principal, contents: str, name: str, partial: bool) -> Any:
    try:
        content = base64.b64decode(contents.split(",", 1)[1])
        rows, lines = parse_events_csv(content)
        with db_session(write=True) as session:
            result = ingest_events(session, principal, rows, partial=partial, lines=lines)
    except (IndexError, ValueError):
        return dbc.Alert(f"{name}: could not be read as a file", color="danger")
    except DomainError as exc:  # a file refused whole (not CSV, columns), or no right to
        return dbc.Alert(f"{name}: {exc.detail}", color="danger", id="upload-error")
    return result_view(name, result.accepted, result.duplicates, result.rejected, partial)


# Once a file's answer is shown, the file input forgets the file: a browser fires no
# change for the file an input already holds, so the same file (or one corrected and saved
# under the same name) chosen again would not reach the Upload.
# The chosen file, kept in the browser for "Send the file again". Triggered by the file's
# time stamp: Dash runs a callback on `contents` only after the server callback that empties
# it has answered, when it is gone.
clientside_callback(
    """
    function(modified, contents, filename) {
        if (!contents) { return dash_clientside.no_update; }
        return {contents: contents, filename: filename || "the file"};
    }
    """,
    Output("upload-last", "data"),
    Input("upload-file", "last_modified"),
    State("upload-file", "contents"),
    State("upload-file", "filename"),
    prevent_initial_call=True,
)
clientside_callback(
    """
    function(result) {
        const input = document.querySelector("#upload-file input[type=file]");
        if (input) { input.value = ""; }
        return Date.now();
    }
    """,
    Output("upload-input-cleared", "data"),
    Input("upload-result", "children"),
    prevent_initial_call=True,
)
