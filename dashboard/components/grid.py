"""dash-ag-grid tables: sortable, filterable, keyboard navigable, with readable formats."""

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


def grid(grid_id: str, rows: list[dict[str, Any]], columns: list[dict[str, Any]],
         **options: Any) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id, rowData=rows, columnDefs=columns,
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
        columnSize="autoSize", style={"width": "100%"},
    )
