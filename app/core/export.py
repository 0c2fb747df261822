"""Table exports that stand alone: one function (`export_file`) writes every table the API and
the dashboard offer for download, as CSV or Excel, named after its filters and opening with a
block that states them and the time of export (docs/decisions.md, "Exports that stand alone").

Cells that a spreadsheet would run as a formula are neutralised.
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from starlette.responses import Response

from app.core.timeutil import utcnow

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Kind = Literal["text", "integer", "number", "percent", "money", "date", "datetime", "boolean"]
Format = Literal["csv", "xlsx"]
# Excel number formats by kind; text, integer and boolean cells keep Excel's General.
EXCEL_FORMATS: dict[str, str] = {
    "number": "0.00", "percent": "0.0%", "money": "£#,##0.00", "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Words a title keeps in capitals; the rest of a field name becomes a sentence.
_ACRONYMS = {"id": "ID", "ci": "CI", "pi": "PI", "rag": "RAG", "od": "(overdispersed)",
             "sla": "SLA", "95": "95%", "998": "99.8%"}


def safe_cell(value: Any) -> Any:
    """Prefix text that starts like a formula with an apostrophe (OWASP's advice); numbers,
    including negative ones, stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def human_title(key: str) -> str:
    """`referral_share` -> "Referral share", `ci_low` -> "CI low"."""
    words = [_ACRONYMS.get(word, word) for word in key.split("_")]
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


@dataclass(frozen=True)
class Column:
    key: str
    kind: Kind = "text"
    title: str = ""  # default: human_title(key)

    @property
    def heading(self) -> str:
        return self.title or human_title(self.key)


@dataclass(frozen=True)
class Filter:
    """One line of the header block, and (with `slug`) one part of the file name."""
    label: str
    value: str | int | date
    slug: str | None = None


def echoed_filters(asked: Mapping[str, Any]) -> list[Filter]:
    """The filters a request named, as given (ids stay ids: echoing what the caller sent
    reveals nothing it did not know); `contract_id=3` -> "Contract ID: 3", `contract-3`."""
    return [Filter(human_title(key), value if isinstance(value, int | date) else str(value),
                   f"{key.removesuffix('_id').replace('_', '-')}-{value}")
            for key, value in asked.items() if value is not None]


@dataclass(frozen=True)
class TableExport:
    name: str  # the file name's first part, e.g. "league-table"
    title: str  # the sheet's and the block's title, e.g. "League table"
    columns: Sequence[Column]
    rows: Iterable[Mapping[str, Any]]
    filters: Sequence[Filter] = ()
    exported_at: datetime = field(default_factory=utcnow)

    def filename(self, extension: str) -> str:
        """`league-table_contract-3_2025-04-01_to_2026-03-31_as-of_2026-12-06_horizon-6-months`
        + extension: the name, then each filter's slug, in the order given."""
        parts = [self.name, *(f.slug for f in self.filters if f.slug)]
        return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-") for part in parts) + \
            f".{extension}"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


def header_block(table: TableExport) -> list[tuple[str, Any]]:
    """The lines before the table: what it is, its filters, when it was exported."""
    return [("Table", table.title), *((f.label, f.value) for f in table.filters),
            ("Exported at (UTC)", table.exported_at.replace(microsecond=0))]


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def to_csv(table: TableExport) -> str:
    """The header block as `# label,value` lines, one blank line, then the table: its header row
    holds the field names (the API's, which scripts rely on) and values stay raw (fractions,
    ISO dates). The first line says on which line the table starts, for `skiprows`."""
    block = header_block(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    table_line = len(block) + 3  # the first line, the block, the blank line
    writer.writerow([f"# chainboard export: the table starts on line {table_line}"])
    for label, value in block:
        writer.writerow([f"# {label}", _text(value)])
    writer.writerow([])
    keys = [column.key for column in table.columns]
    writer.writerow(keys)
    for row in table.rows:
        writer.writerow([_text(row.get(key)) for key in keys])
    return out.getvalue()


def _excel_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the block says UTC
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None) if kind == "datetime" \
                else date.fromisoformat(value)
        except ValueError:
            return safe_cell(value)
    # Control characters have no place in an Excel cell (openpyxl refuses them): dropped.
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value)) if isinstance(value, str) else value


def to_xlsx(table: TableExport) -> bytes:
    """One sheet: the header block (label, value), a blank row, the table with human column
    names, its header row frozen and filterable, numbers formatted by their column's kind."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.title[:31]
    bold = Font(bold=True)
    for label, value in header_block(table):
        kind: Kind = "datetime" if isinstance(value, datetime) else \
            "date" if isinstance(value, date) else "text"
        sheet.append([label, _excel_value(value, kind)])
        sheet.cell(sheet.max_row, 1).font = bold
        if kind in EXCEL_FORMATS:
            sheet.cell(sheet.max_row, 2).number_format = EXCEL_FORMATS[kind]
    header_row = sheet.max_row + 2  # after one blank row
    for index, column in enumerate(table.columns, start=1):
        sheet.cell(header_row, index, column.heading).font = bold
    for offset, row in enumerate(table.rows, start=1):
        for index, column in enumerate(table.columns, start=1):
            sheet.cell(header_row + offset, index,
                       _excel_value(row.get(column.key), column.kind))
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(header_row, index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.heading) + 2))
        number_format = EXCEL_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=index,
                                           max_col=index):
                cell.number_format = number_format
    sheet.column_dimensions["A"].width = max(sheet.column_dimensions["A"].width or 0, 18)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    last = sheet.cell(max(sheet.max_row, header_row), len(table.columns)).coordinate
    sheet.auto_filter.ref = f"A{header_row}:{last}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_file(table: TableExport, format: Format) -> ExportFile:
    """The one function every download goes through."""
    if format == "xlsx":
        return ExportFile(table.filename("xlsx"), MEDIA_TYPES["xlsx"], to_xlsx(table))
    # A byte-order mark, so that Excel reads the file as UTF-8 (pandas and csv skip it with
    # encoding="utf-8-sig"; pandas' default reader does too).
    return ExportFile(table.filename("csv"), MEDIA_TYPES["csv"],
                      ("\ufeff" + to_csv(table)).encode("utf-8"))


def export_response(table: TableExport, format: Format,
                    headers: Mapping[str, str] | None = None) -> Response:
    exported = export_file(table, format)
    return Response(exported.content, media_type=exported.media_type, headers={
        "Content-Disposition": f'attachment; filename="{exported.filename}"', **(headers or {})})


def requested_format(format: str | None, accept: str) -> Format | None:
    """`?format=` first, else the Accept header; None for JSON."""
    if format in ("csv", "xlsx"):
        return format  # type: ignore[return-value]
    if format is None and "text/csv" in accept:
        return "csv"
    if format is None and MEDIA_TYPES["xlsx"] in accept:
        return "xlsx"
    return None
