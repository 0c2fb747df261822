"""HTTP for the performance engine."""

from datetime import date
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, Depends, Path, Query, Request

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep
from app.core.export import MEDIA_TYPES, export_response, requested_format
from app.core.pagination import PageParams, page_params
from app.performance import exports, ratings, review, schemas, service
from app.supply_chain.schemas import Day

router = APIRouter(tags=["performance"])

# Ids beyond the key range answer 422 naming the parameter; dates (Day) stay where month and
# day arithmetic cannot leave Python's calendar.
ContractId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
FormatQuery = Annotated[str | None, Query(
    pattern="^(json|csv|xlsx)$", description="`csv` or `xlsx` for a file that states its "
                                             "filters (or `Accept: text/csv`)")]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in MEDIA_TYPES.values()}}}


def _provider_id(description: str) -> Any:
    return Query(ge=1, le=MAX_RECORD_ID, description=description)


class ComparisonWindow(TypedDict):
    """Which referrals a fair comparison counts, and by when: the league table's and the
    risk model's arguments, as the service functions take them."""

    period_from: date | None
    period_to: date | None
    as_of: date | None
    horizon_months: int | None


def comparison_window(
    period_from: Annotated[Day | None, Query(alias="from",
                                              description="first referral date; default: "
                                                          "the contract's start")] = None,
    period_to: Annotated[Day | None, Query(alias="to",
                                           description="last referral date; default as_of")
                         ] = None,
    as_of: Annotated[Day | None, Query(description="default today")] = None,
    horizon_months: Annotated[int | None, Query(ge=3, le=24)] = None,
) -> ComparisonWindow:
    return ComparisonWindow(period_from=period_from, period_to=period_to, as_of=as_of,
                            horizon_months=horizon_months)


WindowDep = Annotated[ComparisonWindow, Depends(comparison_window)]


@router.get("/contracts/{contract_id}/milestones", response_model=schemas.MilestonePage,
            responses=FILE_RESPONSES)
def milestones(
    contract_id: ContractId, request: Request, session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[schemas.MilestoneStatus | None, Query()] = None,
    as_of: Annotated[Day | None, Query(description="default today")] = None,
    provider_id: Annotated[int | None, _provider_id("one provider's checks")] = None,
    due_from: Annotated[Day | None, Query(description="checks due on or after this day")] = None,
    due_to: Annotated[Day | None, Query(description="checks due on or before this day")] = None,
    format: FormatQuery = None,
) -> object:
    """In-work checks by due date with their status on `as_of`; `status=overdue` is the list
    of participants a provider must call today, `due_from`/`due_to` a week's or a month's
    checks (the dashboard's milestones page uses the same filters). Providers see their own
    participants only. `?format=csv|xlsx` or `Accept: text/csv`: every check the filters
    select, as a file."""
    file_format = requested_format(format, request.headers.get("accept", ""))
    if file_format:
        return export_response(exports.milestones_export(
            session, principal, contract_id, status=status, as_of=as_of,
            provider_id=provider_id, due_from=due_from, due_to=due_to), file_format)
    return service.milestones(session, principal, contract_id, page, status=status,
                              as_of=as_of, provider_id=provider_id, due_from=due_from,
                              due_to=due_to)


@router.get("/contracts/{contract_id}/league-table", response_model=schemas.LeagueTableOut,
            responses=FILE_RESPONSES)
def league_table(
    contract_id: ContractId, request: Request, session: SessionDep, principal: PrincipalDep,
    window: WindowDep,
    min_n: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    format: FormatQuery = None,
) -> object:
    """Providers ranked fairly: case-mix adjusted rank beside the raw rank, with Wilson
    intervals, funnel limits and RAG (DOMAIN.md section 5). `?format=csv|xlsx` or
    `Accept: text/csv` for a file. Subcontractors see other providers anonymised unless the
    contract shows the table named."""
    file_format = requested_format(format, request.headers.get("accept", ""))
    if file_format:
        return export_response(exports.league_export(session, principal, contract_id,
                                                     **window, min_n=min_n), file_format)
    return service.league_table(session, principal, contract_id, **window, min_n=min_n)


@router.get("/contracts/{contract_id}/risk-model", response_model=schemas.RiskModelOut)
def risk_model(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep, window: WindowDep,
) -> object:
    """How the league table's expected outcomes are worked out (DOMAIN.md section 10): the
    logistic regression on payment group and the contract's `risk_covariates`, fitted on the
    league table's eligible participants; merged levels, coefficients (log odds) with 95%
    Wald intervals, deviance, c-statistic, calibration in ten groups, and per provider the
    raw rank, adjusted rank and shrunk performance index. Subcontractors see the other
    providers anonymised as in their league table."""
    return service.risk_model_report(session, principal, contract_id, **window)


@router.get("/contracts/{contract_id}/cohorts", response_model=schemas.CohortsOut)
def cohorts(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    provider_id: Annotated[int | None, _provider_id("a provider's cohorts, drawn against "
                                                    "the contract's")] = None,
    horizon_months: Annotated[int | None, Query(ge=1, le=24, description="default 24")] = None,
    as_of: Annotated[Day | None, Query(description="default today")] = None,
) -> object:
    """Monthly referral cohorts with the cumulative job-outcome rate at each month since
    referral (eligible once the months have passed by as_of). Providers may ask for their
    own provider_id; the contract-wide curve is open to every viewer of the contract."""
    return service.cohorts(session, principal, contract_id, provider_id=provider_id,
                           horizon_months=horizon_months, as_of=as_of)


@router.get("/contracts/{contract_id}/payments-earned", response_model=schemas.PaymentsOut,
            responses=FILE_RESPONSES)
def payments_earned(
    contract_id: ContractId, request: Request, session: SessionDep, principal: PrincipalDep,
    period_from: Annotated[Day | None, Query(alias="from", description="first event date; "
                                             "default: the contract's start")] = None,
    period_to: Annotated[Day | None, Query(alias="to", description="last event date; "
                                           "default as_of")] = None,
    as_of: Annotated[Day | None, Query(description="default today")] = None,
    provider_id: Annotated[int | None, _provider_id("one provider's rows")] = None,
    format: FormatQuery = None,
) -> object:
    """Attachment, outcome and sustainment fees earned per provider and month (by event date,
    from the tariff row in force), with running totals, and the forecast of fees still
    expected from participants in work on as_of. Providers see their own rows only.
    `?format=csv|xlsx` or `Accept: text/csv`: the monthly rows as a file."""
    arguments: dict[str, Any] = {"period_from": period_from, "period_to": period_to,
                                 "as_of": as_of, "provider_id": provider_id}
    file_format = requested_format(format, request.headers.get("accept", ""))
    if file_format:
        return export_response(exports.payments_export(session, principal, contract_id,
                                                       **arguments), file_format)
    return service.payments_earned(session, principal, contract_id, **arguments)


# -- the performance regime (DOMAIN.md section 11) -----------------------------------------------
@router.post("/contracts/{contract_id}/ratings", response_model=schemas.RatingOut,
             status_code=201)
def publish_rating(contract_id: ContractId, body: schemas.RatingIn, session: SessionDep,
                   principal: PrincipalDep) -> object:
    """Publish a quarter's rating: its league table frozen, append-only (docs/decisions.md:
    the quarter rates the referrals of the quarter `horizon` months earlier, as of its last
    day). The same quarter again is 409 unless `supersedes` names its current publication,
    with a `reason`: the correction replaces it, and both stay on record."""
    return ratings.publish(session, principal, contract_id, body)


@router.get("/contracts/{contract_id}/ratings", response_model=schemas.RatingPage)
def list_ratings(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    provider_id: Annotated[int | None, _provider_id("one provider's rating history")] = None,
) -> object:
    """The contract's publications, oldest first, corrections included (`superseded_by` says
    which are no longer in force). A subcontractor's users see their own row named and the
    others anonymised, as in the live league table."""
    return ratings.list_ratings(session, principal, contract_id, page, provider_id)


@router.get("/contracts/{contract_id}/review-status", response_model=schemas.ReviewStatusOut)
def review_status(
    contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
    quarter: Annotated[str, Query(pattern=schemas.QUARTER_PATTERN, examples=["2026Q3"])],
) -> object:
    """Each member's status for the quarter's published rating: `meets`,
    `below_not_significant` (below its minimum by no more than chance) or
    `below_expectation` (a significant shortfall, or below two published quarters running),
    with the reason in words. A subcontractor's users read their own."""
    return review.review_status(session, principal, contract_id, quarter)
