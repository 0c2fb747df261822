"""Complaints as a stand-alone file (app.core.export): the views the principal was given,
redacted as everywhere (a confidential complainant stays unnamed to the prime), the filters it
asked for echoed (ids as ids), nothing more."""

from collections.abc import Iterable, Mapping
from typing import Any

from app.complaints import schemas
from app.core.export import Column, TableExport, echoed_filters

_BOOLEAN = ("confidential", "acknowledgement_breached", "resolution_breached")
COMPLAINT_EXPORT_COLUMNS = tuple(
    Column(key, "datetime" if key.endswith("_at") else "date" if key.endswith("_by")
           else "boolean" if key in _BOOLEAN else "text",
           {"id": "Complaint ID", "complainant_org_id": "Complainant organisation ID",
            "complainant_name": "Complainant", "acknowledge_by": "Acknowledge by",
            "resolve_by": "Resolve by"}.get(key, ""))
    for key in schemas.CSV_COLUMNS)


def complaint_cells(complaint: schemas.ComplaintRead) -> dict[str, Any]:
    """One complaint as flat cells, its SLA clock beside it."""
    return {**complaint.model_dump(mode="json", exclude={"sla"}),
            **complaint.sla.model_dump(mode="json")}


def complaints_export(complaints: Iterable[schemas.ComplaintRead],
                      asked: Mapping[str, Any]) -> TableExport:
    return TableExport("complaints", "Complaints", COMPLAINT_EXPORT_COLUMNS,
                       [complaint_cells(c) for c in complaints], echoed_filters(asked))
