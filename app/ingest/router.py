"""HTTP for ingestion: JSON batches, CSV uploads, and reading events back."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, cast

import pydantic_core
from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep
from app.core.errors import ErrorBody, Invalid
from app.core.pagination import Page, PageParams, page_params
from app.ingest import service
from app.ingest.csv_upload import parse_events_csv
from app.ingest.schemas import EventIn, EventType, IngestAnswer
from app.models.participants import CHARACTERISTICS

router = APIRouter(tags=["ingestion"])


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its nested models written in place: the `#/$defs/...`
    references Pydantic makes would not resolve inside the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node
    return cast(dict[str, Any], resolve(schema))


# The batch is read raw (see json_body) so that each event is validated on its own; this schema
# documents it in OpenAPI.
_BATCH_SCHEMA = {"type": "array", "maxItems": 10_000,
                 "items": _inlined(EventIn.model_json_schema())}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": IngestAnswer, "description": "stored (partial: the valid ones)"},
    422: {"model": IngestAnswer | ErrorBody,
          "description": "atomic batch with a rejected event (nothing was stored), or a "
                         "malformed request"},
}


async def json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return pydantic_core.from_json(body)
    except ValueError as exc:
        raise Invalid(f"body: not valid JSON ({exc})") from exc


def _answer(result: service.IngestResult, partial: bool) -> JSONResponse:
    content: dict[str, Any] = {"accepted": result.accepted, "duplicates": result.duplicates,
                               "rejected": result.rejected}
    if result.rejected and not partial:
        # Every error body has a detail (API.md); the rejections say which events and why.
        count = len(result.rejected)
        content["detail"] = (f"{count} event{'s' if count != 1 else ''} rejected; nothing was "
                             "stored")
        return JSONResponse(status_code=422, content=content)
    return JSONResponse(status_code=200, content=content)


@router.post(
    "/events", responses=_ANSWERS, response_model=IngestAnswer,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": _BATCH_SCHEMA,
        "example": EventIn.model_config["json_schema_extra"]["examples"],  # type: ignore[index]
    }}}},
)
def submit_events(
    session: SessionDep, principal: PrincipalDep,
    body: Annotated[Any, Depends(json_body)],
    partial: Annotated[bool, Query(description="store the valid events, report the rest")] = False,
) -> JSONResponse:
    """Submit up to 10,000 events. Atomic by default: one invalid event and nothing is stored
    (422). Idempotent by `event_id` per organisation. Applied in the order referral,
    attachment, job_start, job_end, job_outcome, sustainment, in_work_check, exit, then
    specialist referrals and outcomes together, then assessments, each by event_date (a
    specialist referral before an outcome of the same day), so one batch may carry a
    participant's whole history. A specialist sends only `specialist_outcome` events, for the
    participants referred to it."""
    if not isinstance(body, list):
        raise Invalid("body: must be a JSON array of events")
    return _answer(service.ingest_events(session, principal, body, partial=partial), partial)


@router.post("/events/csv", responses=_ANSWERS, response_model=IngestAnswer)
def submit_events_csv(
    session: SessionDep, principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="UTF-8 CSV, one event per row; columns "
                                                 "named as the JSON fields")],
    partial: Annotated[bool, Query(description="store the valid rows, report the rest")] = False,
) -> JSONResponse:
    """The same as `POST /events`, from a CSV file; each rejection names its CSV `line`."""
    rows, lines = parse_events_csv(file.file.read())
    return _answer(service.ingest_events(session, principal, rows, partial=partial,
                                         lines=lines), partial)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    contract_id: int
    participant_ref: str
    type: str
    event_date: date
    received_at: datetime
    reported_at: datetime | None
    payment_group: str | None
    provider_id: int | None
    hours_per_week: float | None
    milestone: str | None
    result: str | None
    number: int | None
    reason: str | None
    characteristics: dict[str, str | None] | None = Field(
        description="referrals only: the five characteristics as sent (null: unknown)")
    specialist_id: int | None = None
    intervention: str | None = None
    fee: Decimal | None = None
    scores: dict[str, int] | None = None


@router.get("/events", response_model=Page[EventRead])
def list_events(
    session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    participant_ref: Annotated[str | None, Query(max_length=64,
                                                 pattern=r"^[A-Za-z0-9_-]+$")] = None,
    type: Annotated[EventType | None, Query()] = None,
    since: Annotated[datetime | date | None, Query(
        description="events received at or after this time (a date means its midnight UTC)"
    )] = None,
) -> object:
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime.combine(since, time.min, tzinfo=UTC)
    elif isinstance(since, datetime) and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows, cursor = service.list_events(session, principal, page, contract_id=contract_id,
                                       participant_ref=participant_ref, type_=type, since=since)
    return {"rows": [_event_read(e, ref, referral_only) for e, ref, referral_only in rows],
            "next_cursor": cursor}


def _event_read(event: Any, participant_ref: str, referral_only: bool) -> dict[str, Any]:
    fields = {name: getattr(event, name) for name in EventRead.model_fields
              if name not in ("participant_ref", "characteristics")}
    if referral_only:
        # A specialist sees the referral facts, not the participant's payment group.
        fields["payment_group"] = None
    characteristics = ({name: getattr(event, name) for name in CHARACTERISTICS}
                       if event.type == "referral" else None)
    return {**fields, "participant_ref": participant_ref, "characteristics": characteristics}

