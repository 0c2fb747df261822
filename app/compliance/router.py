"""HTTP for compliance flags."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.auth.principal import PrincipalDep, SessionDep, public_id_path
from app.compliance import schemas, service
from app.core.export import to_csv
from app.core.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/compliance", tags=["compliance"])
FlagId = Annotated[str, public_id_path("flag_id", "compliance flag")]


@router.get("/flags", response_model=Page[schemas.FlagRead],
            responses={200: {"content": {"text/csv": {}}}})
def list_flags(
    request: Request, session: SessionDep, principal: PrincipalDep,
    filters: Annotated[schemas.FlagFilters, Query()],
    page: Annotated[PageParams, Depends(page_params)],
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> object:
    """Merlin Standard and contract-compliance flags in the principal's scope: an admin's
    and a reviewer's all, a prime manager's on its contracts, a provider's about itself.
    Contracts whose data changed are recomputed first. `?format=csv` or `Accept: text/csv`
    for CSV (this page's rows)."""
    rows, cursor = service.list_flags(session, principal, filters, page)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        body = to_csv(schemas.FLAG_CSV_COLUMNS, (
            {**row.model_dump(mode="json"),
             "merlin_2018_principles": "; ".join(row.merlin_2018_principles),
             "evidence": json.dumps(row.evidence, sort_keys=True)} for row in rows))
        headers = {"Content-Disposition": 'attachment; filename="compliance-flags.csv"'}
        if cursor:
            headers["X-Next-Cursor"] = cursor
        return Response(body, media_type="text/csv", headers=headers)
    return Page[schemas.FlagRead](rows=rows, next_cursor=cursor)


@router.get("/flags/{flag_id}", response_model=schemas.FlagRead)
def get_flag(flag_id: FlagId, session: SessionDep, principal: PrincipalDep) -> object:
    return service.get_flag(session, principal, flag_id)


@router.post("/flags/{flag_id}/status", response_model=schemas.FlagRead,
             responses={409: {"description": "not a change the flag's status allows; "
                                             "`allowed` lists those it does"}})
def change_flag_status(flag_id: FlagId, payload: schemas.FlagStatusChange,
                       session: SessionDep, principal: PrincipalDep) -> object:
    """Acknowledge or resolve a flag (admin, or the contract's prime manager), with a note.
    open -> acknowledged -> resolved, or open -> resolved; anything else is 409."""
    return service.change_flag_status(session, principal, flag_id, payload)
