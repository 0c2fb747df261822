"""dash-ag-grid tables: sortable, filterable, keyboard navigable, with readable formats."""

import math
import re
from typing import Any

import dash_ag_grid as dag

from app.core.glossary import term
from dashboard.components.formatting import DASH

NULL_SAFE = "params.value == null ? '" + DASH + "' : "
PERCENT = {"function": NULL_SAFE + "d3.format('.1%')(params.value)"}
MONEY = {"function": NULL_SAFE + "'\u00a3' + d3.format(',.0f')(params.value)"}
COUNT = {"function": NULL_SAFE + "d3.format(',')(params.value)"}
# A grid draws every row of its page (autoHeight: no virtual rows, so the page grows with the
# table and the DOM keeps reading order), and drawing is what a long table costs the browser:
# 25 rows a page keep the payments page's three tables under the 1.5 s goal
# (bench/dashboard.py; 100 a page took 2.2 s). The reader may choose 50 or 100.
PAGE_SIZE = 25


def number(field: str, header: str, formatter: dict[str, str] | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"field": field, "headerName": header, "filter": "agNumberColumnFilter",
            "type": "numericColumn", "valueFormatter": formatter or COUNT, **extra}


def metric(field: str, slug: str, formatter: dict[str, str] | None = None,
           header: str | None = None, **extra: Any) -> dict[str, Any]:
    """A figure's column: its header (the term's title unless `header` words it for this
    table) and the header's tooltip come from the glossary, one source for both."""
    return number(field, header or term(slug).title, formatter, **explained(slug), **extra)


def explained(slug: str) -> dict[str, Any]:
    """A column's glossary tooltip, for columns that are not numbers (RAG, a state)."""
    return {"headerTooltip": term(slug).meaning}


def decimals(places: int) -> dict[str, str]:
    return {"function": NULL_SAFE + f"d3.format('.{places}f')(params.value)"}


# Column widths worked out here from the rows, not measured in the browser: AG Grid's
# autoSize measures every drawn cell with a forced layout of the whole page, which cost the
# payments page ~0.3 s of its 1.3 s drawing (docs/decisions.md, "Dashboard speed"). Pixels
# per character of the grid's 14 px font (a little over autoSize's own measures, so that
# nothing is cut), and the padding and icons around the text.
CHAR_PX = 7.8
CELL_PADDING_PX = 34
HEADER_EXTRA_PX = 46  # the header's padding, sort and filter icons
MIN_WIDTH_PX = 90
SIZED_ROWS = 1000  # enough to find the widest values of a table


def _shown(value: Any, column: dict[str, Any]) -> str:
    """About the text a cell shows: its value as the column's formatter writes it."""
    if value is None:
        return DASH
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        formatter = column.get("valueFormatter")
        if formatter == PERCENT:
            return f"{value:.1%}"
        if formatter == MONEY:
            return f"\u00a3{value:,.0f}"
        return f"{value:,}"
    text = str(value)
    if column.get("cellRenderer") == "markdown":  # "[name](link)": the name shows
        text = "".join(re.findall(r"\[([^\]]*)\]", text)) or text
    return text


def sized(columns: list[dict[str, Any]], rows: list[dict[str, Any]]
          ) -> list[dict[str, Any]]:
    """Each column as wide as its header on one line or its widest value (as AG Grid's
    autoSize would make it, over any width given), at least its minWidth; columns that wrap
    text or flex keep their own."""
    out = []
    for column in columns:
        field = column.get("field")
        if field is None or "flex" in column or column.get("wrapText"):
            out.append(column)
            continue
        widest = max((len(_shown(row.get(field), column)) for row in rows[:SIZED_ROWS]),
                     default=0)
        width = max(column.get("minWidth", MIN_WIDTH_PX),
                    len(str(column.get("headerName", field))) * CHAR_PX + HEADER_EXTRA_PX,
                    widest * CHAR_PX + CELL_PADDING_PX)
        out.append({**column, "width": math.ceil(width)})
    return out


def grid(grid_id: str, rows: list[dict[str, Any]], columns: list[dict[str, Any]],
         **options: Any) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id, rowData=rows, columnDefs=sized(columns, rows),
        defaultColDef={"sortable": True, "filter": True, "resizable": True,
                       "floatingFilter": True, "minWidth": 90, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        # One Tab stop (the WAI-ARIA grid pattern): arrow keys move between headers and cells,
        # Tab leaves the grid instead of visiting every header, filter and cell.
        dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True,
                         "tabToNextHeader": {"function": "false"},
                         "tabToNextCell": {"function": "false"},
                         # Header tooltips (the glossary's words): shown on focus as well as
                         # hover by assets/a11y.js, which AG Grid's option cannot do both.
                         "tooltipShowDelay": 300,
                         "enableCellTextSelection": True,
                         "pagination": len(rows) > PAGE_SIZE, "paginationPageSize": PAGE_SIZE,
                         "paginationPageSizeSelector": [PAGE_SIZE, 50, 100], **options},
        style={"width": "100%"},
    )
