"""HTTP for the performance engine."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.principal import PrincipalDep, SessionDep
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
