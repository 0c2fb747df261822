"""HTTP for the performance regime: improvement plans and reallocation."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep, public_id_path
from app.core.pagination import PageParams, page_params
from app.performance.schemas import QUARTER_PATTERN
from app.regime import plans, reallocation, schemas

router = APIRouter(tags=["performance regime"])
ContractId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
ProviderId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
PlanId = Annotated[str, public_id_path("plan_id", "improvement plan")]
_REFUSED = {"description": "refused: `detail` says why, `allowed` lists the moves you may "
                           "make now",
            "content": {"application/json": {"example": {
                "detail": "to: the remedy period runs to 2027-06-29; a plan cannot fail "
                          "before the member has had it",
                "allowed": ["met", "extended"]}}}}


@router.post("/contracts/{contract_id}/members/{provider_id}/improvement-plans",
             status_code=status.HTTP_201_CREATED, response_model=schemas.PlanOut)
def open_plan(contract_id: ContractId, provider_id: ProviderId, payload: schemas.PlanCreate,
              session: SessionDep, principal: PrincipalDep) -> object:
    """The prime proposes an improvement plan to a member: measurable targets, agreed
    actions, a review date and a remedy period (DOMAIN.md section 11). The member is told."""
    return plans.open_plan(session, principal, contract_id, provider_id, payload)


@router.get("/contracts/{contract_id}/improvement-plans", response_model=schemas.PlanPage)
def list_plans(contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
               page: Annotated[PageParams, Depends(page_params)],
               provider_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None
               ) -> object:
    """The contract's plans you may read (a member its own), oldest first."""
    return plans.list_plans(session, principal, contract_id, page, provider_id)


@router.get("/improvement-plans/{plan_id}", response_model=schemas.PlanOut)
def get_plan(plan_id: PlanId, session: SessionDep, principal: PrincipalDep) -> object:
    """A plan with each target's progress from the data, its history, and what you may do
    next."""
    return plans.get_plan(session, principal, plan_id)


@router.post("/improvement-plans/{plan_id}/transitions", response_model=schemas.PlanOut,
             responses={403: _REFUSED, 409: _REFUSED})
def transition(plan_id: PlanId, payload: schemas.TransitionIn, session: SessionDep,
               principal: PrincipalDep) -> object:
    """Move the plan: the member agrees; the prime reviews (not before the review date) and
    decides met, extended (with a new review date) or failed (not before the remedy period
    has run)."""
    return plans.transition(session, principal, plan_id, payload)


@router.post("/improvement-plans/{plan_id}/comments", response_model=schemas.PlanOut)
def add_comment(plan_id: PlanId, payload: schemas.CommentIn, session: SessionDep,
                principal: PrincipalDep) -> object:
    return plans.comment(session, principal, plan_id, payload)


@router.post("/improvement-plans/{plan_id}/contest", response_model=schemas.PlanOut)
def contest(plan_id: PlanId, payload: schemas.CommentIn, session: SessionDep,
            principal: PrincipalDep) -> object:
    """The member disputes its plan, with its reasons: on record for the reviewer, and the
    prime is told. To take it further, raise a complaint (POST /complaints)."""
    return plans.comment(session, principal, plan_id, payload, contest=True)


# -- reallocation -----------------------------------------------------------------------------
ReallocationId = Annotated[str, public_id_path("reallocation_id", "reallocation")]
_GUARD_RAIL_FAILS = {"description": "a guard-rail fails and no `override_reason` was given: "
                                    "`guard_rails` lists the failing ones"}


@router.post("/contracts/{contract_id}/reallocations/preview",
             response_model=schemas.ReallocationPreviewOut)
def preview_reallocation(contract_id: ContractId, payload: schemas.ReallocationIn,
                         session: SessionDep, principal: PrincipalDep) -> object:
    """Current and proposed shares, a year's projected referrals, outcomes and payments per
    member from its fair figures, each guard-rail's result, and when it would take effect
    (every cut is held for the reviewer)."""
    return reallocation.preview(session, principal, contract_id, payload)


@router.post("/contracts/{contract_id}/reallocations", status_code=status.HTTP_201_CREATED,
             response_model=schemas.ReallocationOut, responses={409: _GUARD_RAIL_FAILS})
def apply_reallocation(contract_id: ContractId, payload: schemas.ReallocationIn,
                       session: SessionDep, principal: PrincipalDep) -> object:
    """Apply new shares with a reason (and an override reason while a guard-rail fails, shown
    to the reviewer): at once without a cut, else when the reviewer's hold ends."""
    return reallocation.apply(session, principal, contract_id, payload)


@router.get("/reallocations", response_model=schemas.ReallocationPage)
def list_reallocations(
    session: SessionDep, principal: PrincipalDep,
    page: Annotated[PageParams, Depends(page_params)],
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None,
    state: Annotated[str | None, Query(pattern="^(held|effective|blocked)$")] = None,
) -> object:
    return reallocation.list_reallocations(session, principal, page, contract_id, state)


@router.get("/reallocations/{reallocation_id}", response_model=schemas.ReallocationOut)
def get_reallocation(reallocation_id: ReallocationId, session: SessionDep,
                     principal: PrincipalDep) -> object:
    return reallocation.get(session, principal, reallocation_id)


@router.post("/reallocations/{reallocation_id}/release", response_model=schemas.ReallocationOut)
def release_reallocation(reallocation_id: ReallocationId, payload: schemas.ReviewerDecisionIn,
                         session: SessionDep, principal: PrincipalDep) -> object:
    """The reviewer lets a held reallocation take effect now."""
    return reallocation.release(session, principal, reallocation_id, payload)


@router.post("/reallocations/{reallocation_id}/block", response_model=schemas.ReallocationOut)
def block_reallocation(reallocation_id: ReallocationId, payload: schemas.ReviewerDecisionIn,
                       session: SessionDep, principal: PrincipalDep) -> object:
    """The reviewer stops a held reallocation, with a reason the prime reads."""
    return reallocation.block(session, principal, reallocation_id, payload)


# -- review packs -----------------------------------------------------------------------------
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the pack, as a PDF"}}
_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "one PDF per member"}}
Quarter = Annotated[str, Query(pattern=QUARTER_PATTERN, examples=["2026Q3"])]


@router.get("/contracts/{contract_id}/review-pack", response_class=Response, responses=_PDF)
def review_pack(contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
                provider_id: Annotated[int, Query(ge=1, le=MAX_RECORD_ID)],
                quarter: Quarter) -> Response:
    """A member's pack for the quarter's performance review: its published rating (adjusted
    beside raw, explained), the funnel, the rating trend, the cohort curve, checks,
    timeliness, payments, flags and its improvement plan, as a PDF."""
    from app.regime import pack  # matplotlib and fpdf2: loaded by the first pack, not at start

    content = pack.review_pack(session, principal, contract_id, provider_id, quarter)
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition":
            f'attachment; filename="review-pack_contract-{contract_id}_provider-'
            f'{provider_id}_{quarter}.pdf"'})


@router.get("/contracts/{contract_id}/review-packs", response_class=Response, responses=_ZIP)
def review_packs(contract_id: ContractId, session: SessionDep, principal: PrincipalDep,
                 quarter: Quarter) -> Response:
    """Every member's pack for the quarter that you may read, in one zip."""
    from app.regime import pack  # as above

    content = pack.review_packs(session, principal, contract_id, quarter)
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition":
            f'attachment; filename="review-packs_contract-{contract_id}_{quarter}.zip"'})
