"""HTTP for specialists and progress (API.md, "Specialists and progress")."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep
from app.core.pagination import PageParams, page_params
from app.specialists import schemas, service
from app.supply_chain.schemas import Day

router = APIRouter(tags=["specialists"])

ContractId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
OrgId = Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)]


@router.get("/contracts/{contract_id}/specialists", response_model=schemas.SpecialistUsageOut)
def specialist_usage(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    period_from: Annotated[Day | None, Query(alias="from", description="first referral date; "
                                             "default the contract's start")] = None,
    period_to: Annotated[Day | None, Query(alias="to", description="last referral date; "
                                           "default today")] = None,
) -> object:
    """Specialist referrals made in the period, per provider and specialist, with started and
    completed counts, completion rate (completed / started) and fees (agreed; owed on
    completion; paid, from the payments ledger). The prime sees every tier-2 member, used or
    not; a tier-1 provider its own spot purchases; a specialist its referrals in, by
    provider."""
    return service.specialist_usage(session, principal, contract_id,
                                    period_from=period_from, period_to=period_to)


@router.get("/contracts/{contract_id}/specialist-referrals",
            response_model=schemas.SpecialistReferralPage)
def specialist_referrals(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    specialist_id: OrgId = None, provider_id: OrgId = None,
    open: Annotated[bool, Query(description="only referrals not closed yet")] = False,
) -> object:
    """The referral facts: participant reference, intervention, fee, dates and outcome. A
    specialist sees the referrals made to it (and nothing else of those participants); a
    provider those of its participants; the prime all of its contract's."""
    return service.referrals(session, principal, contract_id, page,
                             specialist_id=specialist_id, provider_id=provider_id,
                             open_only=open)


@router.get("/contracts/{contract_id}/progress", response_model=schemas.ProgressOut)
def progress(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    provider_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID,
                                             description="one provider's rows")] = None,
    participants: Annotated[bool, Query(description="each participant's change per area "
                                                    "as well")] = False,
) -> object:
    """Distance travelled (DOMAIN.md section 12): per provider and assessment area, the mean
    change from a participant's first score to its last, over participants whose two are 8
    or more weeks apart, with its 95% t interval. Providers see their own."""
    return service.progress(session, principal, contract_id, provider_id=provider_id,
                            with_participants=participants)
