"""HTTP for the performance engine."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.auth.principal import PrincipalDep, SessionDep
from app.core.export import to_csv
from app.core.pagination import PageParams, page_params
from app.performance import schemas, service

router = APIRouter(tags=["performance"])


@router.get("/contracts/{contract_id}/milestones", response_model=schemas.MilestonePage)
def milestones(
    contract_id: int, session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[schemas.MilestoneStatus | None, Query()] = None,
    as_of: Annotated[date | None, Query(description="default today")] = None,
    provider_id: int | None = None,
) -> object:
    """In-work checks by due date with their status on `as_of`; `status=overdue` is the list
    of participants a provider must call today. Providers see their own participants only."""
    return service.milestones(session, principal, contract_id, page, status=status,
                              as_of=as_of, provider_id=provider_id)


@router.get("/contracts/{contract_id}/league-table", response_model=schemas.LeagueTableOut,
            responses={200: {"content": {"text/csv": {}}}})
def league_table(
    contract_id: int, request: Request, session: SessionDep, principal: PrincipalDep,
    period_from: Annotated[date | None, Query(alias="from",
                                              description="first referral date; default: "
                                                          "the contract's start")] = None,
    period_to: Annotated[date | None, Query(alias="to",
                                            description="last referral date; default as_of")
                         ] = None,
    as_of: Annotated[date | None, Query(description="default today")] = None,
    horizon_months: Annotated[int | None, Query(ge=3, le=24)] = None,
    min_n: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> object:
    """Providers ranked fairly: case-mix adjusted rank beside the raw rank, with Wilson
    intervals, funnel limits and RAG (DOMAIN.md section 5). `?format=csv` or
    `Accept: text/csv` for CSV. Subcontractors see other providers anonymised unless the
    contract shows the table named."""
    table = service.league_table(session, principal, contract_id, period_from=period_from,
                                 period_to=period_to, as_of=as_of,
                                 horizon_months=horizon_months, min_n=min_n)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        body = to_csv(schemas.LEAGUE_COLUMNS, (row.model_dump() for row in table.rows))
        filename = f"league-table-contract-{contract_id}-{table.as_of}.csv"
        return Response(body, media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return table
