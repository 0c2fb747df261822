"""CSV uploads: one event per row, columns named as the JSON fields (API.md); a referral's
characteristics are columns of their own, named as the keys of its `characteristics` object;
an assessment's `scores` is one cell holding its JSON object (`{"confidence": 4}`)."""

import csv
import io
import json
from typing import Any

from app.core.errors import Invalid
from app.ingest.schemas import EventIn
from app.models.participants import CHARACTERISTICS

REQUIRED_COLUMNS = ("event_id", "contract_id", "participant_ref", "type", "event_date")
JSON_CELLS = ("scores",)
KNOWN_COLUMNS = (*(name for name in EventIn.model_fields if name != "characteristics"),
                 *CHARACTERISTICS)


def _event_of(cells: dict[str, str]) -> dict[str, Any]:
    """A row's non-empty cells as the JSON event: characteristics gathered into their object
    (an empty cell is an absent key, the level unknown)."""
    event: dict[str, Any] = {}
    characteristics = {}
    for name, value in cells.items():
        if name in CHARACTERISTICS:
            characteristics[name] = value
        elif name in JSON_CELLS:
            try:
                event[name] = json.loads(value)
            except ValueError:
                event[name] = value  # refused by validation, naming the field and the line
        else:
            event[name] = value
    if characteristics:
        event["characteristics"] = characteristics
    return event


def parse_events_csv(content: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows as event dicts (empty cells dropped) and each row's 1-based line number.
    A file that is not a readable CSV of events is refused whole, naming the problem."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise Invalid(f"file: line {line} is not UTF-8 text (byte {exc.start}); save the CSV "
                      "as UTF-8") from exc
    if "\x00" in text:
        raise Invalid("file: contains NUL bytes; is it a CSV file?")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="__extra__")
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise Invalid("file: empty; the first line must name the columns")
    reader.fieldnames = header
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        raise Invalid(f"columns: unknown column(s) {', '.join(map(repr, unknown))}; known "
                      f"columns are {', '.join(KNOWN_COLUMNS)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise Invalid(f"columns: missing required column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise Invalid("columns: a column is named twice")
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    line = 1
    try:
        for row in reader:
            line_start = line + 1
            line = reader.line_num
            if row.get("__extra__"):
                raise Invalid(f"line {line_start}: more cells than columns")
            rows.append(_event_of({k: v.strip() for k, v in row.items()
                                   if v is not None and v.strip()}))
            lines.append(line_start)
    except csv.Error as exc:
        raise Invalid(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    return rows, lines
