"""HTTP for compliance flags."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.auth.principal import PrincipalDep, SessionDep, public_id_path
from app.compliance import exports, schemas, service
from app.core.export import MEDIA_TYPES, export_response, requested_format
from app.core.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/compliance", tags=["compliance"])
FlagId = Annotated[str, public_id_path("flag_id", "compliance flag")]


@router.get("/flags", response_model=Page[schemas.FlagRead],
            responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}})
def list_flags(
    request: Request, session: SessionDep, principal: PrincipalDep,
    filters: Annotated[schemas.FlagFilters, Query()],
    page: Annotated[PageParams, Depends(page_params)],
    format: Annotated[str | None, Query(pattern="^(json|csv|xlsx)$")] = None,
) -> object:
    """Merlin Standard and contract-compliance flags in the principal's scope: an admin's
    and a reviewer's all, a prime manager's on its contracts, a provider's about itself.
    Contracts whose data changed are recomputed first. `?format=csv|xlsx` or
    `Accept: text/csv` for a file (this page's rows; `X-Next-Cursor` names the next)."""
    rows, cursor = service.list_flags(session, principal, filters, page)
    file_format = requested_format(format, request.headers.get("accept", ""))
    if file_format:
        table = exports.flags_export([exports.flag_cells(row) for row in rows], filters)
        return export_response(table, file_format,
                               {"X-Next-Cursor": cursor} if cursor else None)
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
