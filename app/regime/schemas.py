"""Request and answer bodies of the performance regime."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.supply_chain.schemas import Day, InputModel

PlanState = Literal["proposed", "agreed", "in_review", "met", "extended", "failed"]
# What a target measures: the member's league-table figures (DOMAIN.md sections 5 and 10).
Metric = Literal["performance_index", "rate", "check_compliance", "data_timeliness"]
METRIC_NAMES: dict[str, str] = {
    "performance_index": "Performance index", "rate": "Outcome rate",
    "check_compliance": "Check compliance", "data_timeliness": "Data timeliness"}


def target_figure(metric: str, value: float | None, missing: str = "\u2014") -> str:
    """A target's figure as the league table shows it, wherever a plan is shown (its page,
    the review pack): rates as percentages, the index as a number."""
    if value is None:
        return missing
    return f"{value:.2f}" if metric == "performance_index" else f"{value:.1%}"


class TargetIn(InputModel):
    metric: Metric
    threshold: float = Field(ge=0, le=10, description="the value to reach (rates as fractions)")
    by_date: Day


class PlanCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "targets": [{"metric": "check_compliance", "threshold": 0.9,
                     "by_date": "2027-03-31"}],
        "actions": ["A named caseworker makes every day-28 call by the due date"],
        "review_date": "2027-03-31", "remedy_days": 90}]})

    targets: list[TargetIn] = Field(min_length=1, max_length=20)
    actions: list[str] = Field(min_length=1, max_length=20)
    review_date: Day
    remedy_days: int | None = Field(default=None, ge=1, le=3650, description=(
        "how long the member has to put things right from agreeing the plan; default: the "
        "contract's improvement_plan_min_days (90)"))


class TransitionIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"to": "agreed", "note": "We agree the actions"},
        {"to": "extended", "note": "Two of three targets met", "review_date": "2027-06-30"}]})

    to: PlanState
    note: str | None = Field(default=None, max_length=4000)
    review_date: Day | None = Field(default=None, description="required to extend: the new "
                                                               "review date")


class CommentIn(InputModel):
    body: str = Field(min_length=1, max_length=4000)


class TargetProgressOut(BaseModel):
    metric: Metric
    threshold: float
    by_date: date
    value: float | None = Field(description="the member's figure now (as of the by-date once "
                                            "it has passed), from the league table")
    as_of: date
    met: bool | None = Field(description="null while there is no figure")


class PlanEntryOut(BaseModel):
    kind: Literal["transition", "comment", "contest"]
    from_state: PlanState | None
    to_state: PlanState | None
    body: str | None
    by: Literal["prime", "member", "admin"]
    at: datetime


class PlanOut(BaseModel):
    id: str
    contract_id: int
    provider_id: int
    provider_name: str
    state: PlanState
    targets: list[TargetProgressOut]
    actions: list[str]
    review_date: date
    remedy_days: int
    remedy_ends: date | None = Field(description="agreed_on + remedy_days: before it, a plan "
                                                 "cannot fail")
    agreed_on: date | None
    decided_on: date | None
    contested: bool
    allowed_transitions: list[PlanState] = Field(description="what you may do next")
    history: list[PlanEntryOut]


class PlanPage(BaseModel):
    rows: list[PlanOut]
    next_cursor: str | None = None


# -- reallocation ---------------------------------------------------------------------------------
Share = Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]
GuardRailRule = Literal["significant_shortfall", "recent_complaint", "tier1_shares_sum"]


class ReallocationIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "shares": {"3": 0.3, "4": 0.1}, "reason": "Q3 review: Calder's share to Aire"}]})

    shares: dict[int, Share] = Field(min_length=1, max_length=500, description=(
        "provider_id -> its new contracted share (0 to 1); members left out keep theirs"))
    reason: str = Field(min_length=1, max_length=4000)
    override_reason: str | None = Field(default=None, max_length=4000, description=(
        "applying while a guard-rail fails: why (on record, shown to the reviewer)"))


class GuardRailOut(BaseModel):
    rule: GuardRailRule
    provider_id: int | None = Field(description="null for the contract-wide rule")
    passed: bool
    detail: str


class ProjectionOut(BaseModel):
    """A year ahead at the contract's last year's volume, from the member's fair figures."""

    referrals: float
    outcomes: float = Field(description="referrals x pooled rate x the member's shrunk "
                                        "performance index (the pooled rate when it has none)")
    payments: Decimal = Field(description="referrals x the contract's attachment fee per "
                                          "referral + outcomes x its outcome and sustainment "
                                          "fees per outcome, last year")


class ReallocationRowOut(BaseModel):
    provider_id: int
    provider_name: str
    tier: int
    current_share: Decimal
    proposed_share: Decimal
    current: ProjectionOut
    proposed: ProjectionOut


class ReallocationPreviewOut(BaseModel):
    contract_id: int
    reason: str
    rows: list[ReallocationRowOut]
    guard_rails: list[GuardRailOut]
    hold_working_days: int = Field(description="every cut is held this long for the reviewer")
    effective_on: date = Field(description="when it would take effect if applied today")


class ReallocationOut(ReallocationPreviewOut):
    id: str
    state: Literal["held", "effective", "blocked"]
    override_reason: str | None
    applied_on: date
    reviewer_note: str | None


class ReviewerDecisionIn(InputModel):
    note: str = Field(min_length=1, max_length=4000)


class ReallocationPage(BaseModel):
    rows: list[ReallocationOut]
    next_cursor: str | None = None
