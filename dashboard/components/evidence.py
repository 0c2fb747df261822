"""A compliance flag's evidence, readable: the JSON a rule stored, whatever its depth.

A record (dict) is a two-column table of its fields; a list of records (CON-2's status
history, CON-3's downgrades) is a table with a column per field; a list of plain values is
one line; codes ("on_improvement_plan") and field names read as words. Nothing here knows a
rule: a new rule's evidence shows without a change."""

import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.formatting import DASH, words

CODE = re.compile(r"[a-z]+(?:_[a-z]+)*")  # a status or other code, not free text or a date
HEADER = "fw-normal text-muted"


def _table(children: list[Any], nested: bool, table_id: str | None) -> dbc.Table:
    # Dash refuses id=None: a nested table has no id at all.
    ident = {"id": table_id} if table_id else {}
    return dbc.Table(children, bordered=True, size="sm", className="mb-0" if nested else "mb-3",
                     **ident)


def scalar_view(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, str) and CODE.fullmatch(value):
        return words(value)
    return str(value)


def records_table(records: list[dict[str, Any]]) -> dbc.Table:
    """A list of records: one row each, a column for every field any of them has."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    head = html.Thead(html.Tr([html.Th(words(c), scope="col", className=HEADER)
                               for c in columns]))
    body = html.Tbody([html.Tr([html.Td(value_view(record.get(c))) for c in columns])
                       for record in records])
    return _table([head, body], nested=True, table_id=None)


def value_view(value: Any) -> Any:
    """Any evidence value: nested records as their own tables, plain values as text."""
    if isinstance(value, dict):
        return evidence_table(value, nested=True) if value else DASH
    if isinstance(value, list):
        if not value:
            return DASH
        if all(isinstance(v, dict) for v in value):
            return records_table(value)
        if all(not isinstance(v, dict | list) for v in value):
            return ", ".join(scalar_view(v) for v in value)
        return html.Ul([html.Li(value_view(v)) for v in value], className="mb-0 ps-3")
    return scalar_view(value)


def evidence_table(evidence: dict[str, Any], nested: bool = False,
                   table_id: str | None = None) -> dbc.Table:
    """A record: a row per field, its name as words and its value as value_view shows it."""
    rows = [html.Tr([html.Th(words(key), scope="row", className=HEADER),
                     html.Td(value_view(value))]) for key, value in evidence.items()]
    return _table([html.Tbody(rows)], nested=nested, table_id=table_id)
