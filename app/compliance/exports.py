"""Compliance flags as a stand-alone file (app.core.export): the rows the principal was given,
the filters it asked for echoed (ids as ids), nothing more."""

import json
from typing import Any

from app.compliance import schemas
from app.core.export import Column, TableExport, echoed_filters

FLAG_EXPORT_COLUMNS = tuple(
    Column(key, "datetime" if key.endswith("_at") else "text",
           {"id": "Flag ID", "merlin_2018_principles": "Merlin 2018 principles",
            "subject_org_id": "Subject organisation ID"}.get(key, ""))
    for key in schemas.FLAG_CSV_COLUMNS)


def flag_cells(flag: schemas.FlagRead) -> dict[str, Any]:
    """A flag as flat cells: principles joined, evidence as JSON."""
    return {**flag.model_dump(mode="json"),
            "merlin_2018_principles": "; ".join(flag.merlin_2018_principles),
            "evidence": json.dumps(flag.evidence, sort_keys=True)}


def flags_export(rows: list[dict[str, Any]], filters: schemas.FlagFilters,
                 columns: tuple[Column, ...] = FLAG_EXPORT_COLUMNS) -> TableExport:
    return TableExport("compliance-flags", "Compliance flags", columns, rows,
                       echoed_filters(filters.model_dump()))
