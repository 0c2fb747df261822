"""HTTP for complaints: parse, call the service, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep, public_id_path
from app.complaints import exports, schemas, service
from app.core.export import MEDIA_TYPES, export_response, requested_format
from app.core.pagination import PageParams, page_params

router = APIRouter(tags=["complaints"])
PageDep = Annotated[PageParams, Depends(page_params)]
ComplaintId = Annotated[str, public_id_path("complaint_id", "complaint")]

_REFUSED = {"description": "refused: `detail` says why, `allowed` lists the transitions you "
                           "may make now",
            "content": {"application/json": {"example": {
                "detail": "to: a complaint cannot go from submitted to closed",
                "allowed": ["withdrawn"]}}}}


@router.post("/complaints", status_code=status.HTTP_201_CREATED,
             response_model=schemas.ComplaintDetail)
def raise_complaint(payload: schemas.ComplaintCreate, session: SessionDep,
                    principal: PrincipalDep) -> object:
    """A supply-chain member's complaint against its prime (DOMAIN.md section 8). With
    `confidential`, the prime's users never see who raised it."""
    return service.raise_complaint(session, principal, payload)


@router.get("/complaints", response_model=schemas.ComplaintPage,
            responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}})
def list_complaints(
    request: Request, session: SessionDep, principal: PrincipalDep, page: PageDep,
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    status: Annotated[schemas.Status | None, Query()] = None,
    complainant_org_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    format: Annotated[str | None, Query(pattern="^(json|csv|xlsx)$")] = None,
) -> object:
    """The complaints you may see, oldest first. `?format=csv|xlsx` or `Accept: text/csv` for
    a file (this page's rows, redacted the same way; `X-Next-Cursor` names the next).
    `complainant_org_id` never matches a confidential complaint whose complainant you may not
    see: the answer is the same as for none."""
    rows, cursor = service.list_complaints(session, principal, page, contract_id=contract_id,
                                           status=status, complainant_org_id=complainant_org_id)
    file_format = requested_format(format, request.headers.get("accept", ""))
    if file_format:
        table = exports.complaints_export(rows, {
            "contract_id": contract_id, "status": status,
            "complainant_org_id": complainant_org_id})
        return export_response(table, file_format,
                               {"X-Next-Cursor": cursor} if cursor else None)
    return {"rows": [row.model_dump(exclude={"history", "messages"}) for row in rows],
            "next_cursor": cursor}


@router.get("/complaints/{complaint_id}", response_model=schemas.ComplaintDetail)
def get_complaint(complaint_id: ComplaintId, session: SessionDep,
                  principal: PrincipalDep) -> object:
    """The complaint with its history, message thread and SLA clock."""
    return service.get_complaint(session, principal, complaint_id)


@router.post("/complaints/{complaint_id}/messages", status_code=status.HTTP_201_CREATED,
             response_model=schemas.EntryRead)
def post_message(complaint_id: ComplaintId, payload: schemas.MessageCreate,
                 session: SessionDep, principal: PrincipalDep) -> object:
    return service.post_message(session, principal, complaint_id, payload)


@router.post("/complaints/{complaint_id}/transitions", response_model=schemas.ComplaintDetail,
             responses={403: _REFUSED, 409: _REFUSED})
def make_transition(complaint_id: ComplaintId, payload: schemas.TransitionCreate,
                    session: SessionDep, principal: PrincipalDep) -> object:
    """Move the complaint on (DOMAIN.md section 8). 409 when the move does not exist from the
    current status or its condition does not hold; 403 when it is another party's move."""
    return service.transition(session, principal, complaint_id, payload)


@router.post("/complaints/{complaint_id}/confidentiality",
             response_model=schemas.ComplaintDetail)
def change_confidentiality(complaint_id: ComplaintId, payload: schemas.ConfidentialityChange,
                           session: SessionDep, principal: PrincipalDep) -> object:
    """The complainant lifts confidentiality with `{"confidential": false}`; it cannot be
    restored."""
    return service.set_confidentiality(session, principal, complaint_id, payload)
