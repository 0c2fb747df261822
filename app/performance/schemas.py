from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import pydantic.dataclasses
from pydantic import BaseModel, ConfigDict, Field

from app.performance.league import LeagueRow

MilestoneStatus = Literal["on_time", "late", "early", "overdue", "pending", "cancelled"]


class MilestoneRow(BaseModel):
    participant_ref: str
    provider_id: int
    milestone: str
    due_date: date
    status: MilestoneStatus
    checked_on: date | None
    result: str | None


class ComplianceMonthOut(BaseModel):
    month: str = Field(description="YYYY-MM of the checks' due dates")
    checks_due: int = Field(description="due, grace ended by as_of, not cancelled")
    on_time: int
    check_compliance: float | None


class MilestonePage(BaseModel):
    contract_id: int
    as_of: date
    counts: dict[str, int] | None = Field(
        description="checks per status on as_of (first page only; null on later pages)")
    rows: list[MilestoneRow]
    next_cursor: str | None


# The rows of app.performance.league as the API serves them: the fields, their order and
# their descriptions are LeagueRow's, validated and serialised by pydantic.
@pydantic.dataclasses.dataclass(frozen=True)
class LeagueRowOut(LeagueRow):
    pass


LEAGUE_COLUMNS = tuple(f.name for f in fields(LeagueRowOut))


class OverdispersionOut(BaseModel):
    units: int = Field(description="providers with E >= min_n, O > 0, X > 0 and V > 0")
    phi: float | None = Field(description="winsorised dispersion of the PI's z-scores; null "
                                          "with fewer than od_min_units units")
    tau2: float | None = Field(description="between-provider variance of ln PI; null when phi "
                                           "is (the limits then use 0)")


class RiskModelSummaryOut(BaseModel):
    covariates: list[str] = Field(description="used: payment_group, then the characteristics "
                                              "kept after merging sparse levels")
    n: int = Field(description="eligible participants the model was fitted on")
    c_statistic: float | None


class LeagueTableOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    contract_id: int
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    as_of: date
    horizon_months: int
    min_n: int
    pooled_rate: float | None = Field(description="outcomes / eligible: every provider's")
    eligible: int = Field(description="every provider's eligible participants (E summed)")
    outcomes: int = Field(description="every provider's outcomes (O summed)")
    overdispersion: OverdispersionOut
    risk_model: RiskModelSummaryOut = Field(description="expected = X_p of this model")
    rag_basis: Literal["overdispersed", "binomial"] = Field(
        description="the RAG the contract judges by (flags, dashboard): `overdispersed` "
                    "(rag_od) when its flag_rag_basis says so and phi was estimated, else "
                    "section 5's `rag`")
    rows: list[LeagueRowOut]


# -- the risk model's report (DOMAIN.md section 10) ---------------------------------------------
class MergedLevelOut(BaseModel):
    characteristic: str
    level: str
    merged_into: str = Field(description="`other`, or the most frequent level when `other` "
                                         "was sparse too")


class ReferenceLevelOut(BaseModel):
    covariate: str
    level: str = Field(description="the level without an indicator (odds ratio 1)")


class CalibrationGroupOut(BaseModel):
    decile: int = Field(description="0..9: participants ranked by p then participant_ref")
    n: int
    observed: int
    expected: float = Field(description="sum of the fitted probabilities")


class CoefficientOut(BaseModel):
    term: str = Field(description="`intercept` or `covariate=level` (log odds against the "
                                  "reference level)")
    estimate: float | None = Field(description="null when not estimable (separation, "
                                               "collinearity)")
    std_error: float | None
    ci_low: float | None = Field(description="95% Wald: estimate - 1.959964 SE")
    ci_high: float | None


class ProviderAdjustmentOut(BaseModel):
    """What the adjustment does for one provider, in the league table's terms (anonymised
    for a subcontractor exactly as its league table is)."""

    provider_id: int | None
    provider_name: str
    eligible: int
    outcomes: int
    expected: float
    performance_index: float | None
    raw_rank: int | None
    rank: int | None = Field(description="adjusted rank")
    shrunk_pi: float | None
    shrunk_pi_low: float | None
    shrunk_pi_high: float | None


class RiskModelOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, json_schema_extra={
        "example": {
            "contract_id": 1, "from": "2025-01-01", "to": "2026-06-30", "as_of": "2026-06-30",
            "horizon_months": 12, "covariates": ["payment_group", "health_condition"],
            "reference_levels": [{"covariate": "payment_group", "level": "esa_ex_ib"},
                                 {"covariate": "health_condition", "level": "no"}],
            "dropped_characteristics": [],
            "merged_levels": [{"characteristic": "health_condition", "level": "unknown",
                               "merged_into": "other"}],
            "n": 210, "outcomes": 78, "deviance": 263.8038, "c_statistic": 0.6379,
            "converged": True,
            "calibration": [{"decile": 0, "n": 21, "observed": 8, "expected": 4.2}],
            "coefficients": [{"term": "intercept", "estimate": -0.2877, "std_error": 0.18,
                              "ci_low": -0.64, "ci_high": 0.065},
                             {"term": "health_condition=yes", "estimate": -1.0986,
                              "std_error": 0.33, "ci_low": -1.75, "ci_high": -0.45}],
            "providers": [{"provider_id": 7, "provider_name": "Wharfedale Works",
                           "eligible": 80, "outcomes": 35, "expected": 31.79,
                           "performance_index": 1.101, "raw_rank": 2, "rank": 1,
                           "shrunk_pi": 1.04, "shrunk_pi_low": 0.9,
                           "shrunk_pi_high": 1.2}],
        }})

    contract_id: int
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    as_of: date
    horizon_months: int
    covariates: list[str]
    reference_levels: list[ReferenceLevelOut]
    dropped_characteristics: list[str] = Field(description="left with one level after merging")
    merged_levels: list[MergedLevelOut]
    n: int
    outcomes: int
    deviance: float
    c_statistic: float | None = Field(description="null without both an outcome and a "
                                                  "non-outcome")
    converged: bool
    overdispersion: OverdispersionOut = Field(description="as in the league table's header: "
                                                          "tau2 drives the shrinkage")
    calibration: list[CalibrationGroupOut]
    coefficients: list[CoefficientOut]
    providers: list[ProviderAdjustmentOut] = Field(
        description="per provider as in the league table (default min_n): raw and adjusted "
                    "rank and shrunk PI; anonymised for a subcontractor as its league table")


# -- cohorts -------------------------------------------------------------------------------------
class CurvePointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month_since_referral: int
    eligible: int = Field(description="referred at least this many months before as_of")
    outcomes: int = Field(description="eligible, with a job outcome within this many months")
    rate: float | None = Field(description="outcomes / eligible; null when nobody is eligible")


class LifeTablePointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month_since_referral: int
    at_risk: int = Field(description="eligible at this month, without an outcome before it")
    new_outcomes: int = Field(description="of those, with their job outcome in this month")
    rate: float | None = Field(
        description="cumulative job-outcome rate, life table: 1 - product over the months "
                    "so far of (1 - new_outcomes / at_risk); never falls; null once nobody "
                    "is eligible")


class CohortOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: str = Field(description="YYYY-MM of the referrals")
    referrals: int
    points: list[CurvePointOut]


class CohortsOut(BaseModel):
    contract_id: int
    provider_id: int | None
    as_of: date
    horizon_months: int
    rows: list[CohortOut] = Field(description="the provider's cohorts, or the contract's when "
                                              "no provider_id is given; oldest first")
    next_cursor: str | None = Field(default=None, description="always null: one page")
    overall: list[CurvePointOut] = Field(description="the rows' cohorts pooled")
    contract_rows: list[CohortOut] | None = Field(
        description="with provider_id: the whole contract's cohorts, to draw against")
    contract_overall: list[CurvePointOut] | None = Field(
        description="with provider_id: the whole contract's pooled curve")
    life_table: list[LifeTablePointOut] = Field(
        description="the rows' cohorts as one life table: the curve to draw, since the "
                    "pooled rate at a long month counts only the oldest cohorts")
    contract_life_table: list[LifeTablePointOut] | None = Field(
        description="with provider_id: the whole contract's life table")


# -- payments earned and forecast ----------------------------------------------------------------
class EarnedRowOut(BaseModel):
    provider_id: int
    provider_name: str
    month: str = Field(description="YYYY-MM of the events")
    attachments: int
    outcomes: int
    sustainments: int
    attachment_fees: Decimal
    outcome_fees: Decimal
    sustainment_fees: Decimal
    total: Decimal
    cumulative_total: Decimal = Field(description="the provider's total from the first row on")


EARNED_COLUMNS = tuple(EarnedRowOut.model_fields)


class EarnedTotalOut(BaseModel):
    provider_id: int
    provider_name: str
    attachments: int
    outcomes: int
    sustainments: int
    attachment_fees: Decimal
    outcome_fees: Decimal
    sustainment_fees: Decimal
    total: Decimal


class ForecastRowOut(BaseModel):
    provider_id: int
    provider_name: str
    in_work_without_outcome: int
    with_outcome: int = Field(description="with a job outcome, not exited, next sustainment "
                                          "still open")
    expected_outcomes: float
    expected_sustainments: float
    expected_outcome_fees: Decimal
    expected_sustainment_fees: Decimal
    expected_total: Decimal


class GroupEstimateOut(BaseModel):
    payment_group: str
    outcome_weeks: int
    max_sustainments: int
    outcome_probability: list[float] = Field(
        description="P(job outcome | in work, w completed weeks, no outcome yet), w = 0..OW-1")
    sustainment_continuation: list[float] = Field(
        description="p_n: P(sustainment n | sustainment n-1), n = 1..max (n = 1: after the "
                    "outcome)")


class PaymentsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    contract_id: int
    provider_id: int | None
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    as_of: date
    rows: list[EarnedRowOut] = Field(description="fees earned per provider and month, by "
                                                 "event date")
    next_cursor: str | None = Field(default=None, description="always null: one page")
    totals: list[EarnedTotalOut] = Field(description="per provider over the period")
    forecast: list[ForecastRowOut] = Field(description="payments still expected from "
                                                       "participants in work on as_of")
    forecast_total: Decimal
    estimates: list[GroupEstimateOut] = Field(description="the contract's own history on "
                                                          "as_of, per payment group")


# -- the performance regime (DOMAIN.md section 11) -----------------------------------------------
QUARTER_PATTERN = r"^\d{4}Q[1-4]$"


class RatingIn(BaseModel):
    quarter: str = Field(pattern=QUARTER_PATTERN, examples=["2026Q3"],
                         description="the quarter rated, YYYYQn; it must have ended")
    supersedes: str | None = Field(
        default=None, max_length=22, description="a correction: the id of the quarter's current "
                                         "publication, which this one replaces")
    reason: str | None = Field(default=None, max_length=2000,
                               description="why the correction was needed (required with "
                                           "`supersedes`)")


class RatingOut(BaseModel):
    """A quarter's league table as published: frozen, anonymised for the reader as the live
    league table is."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    contract_id: int
    quarter: str
    period_from: date = Field(alias="from", description="first referral day rated")
    period_to: date = Field(alias="to", description="last referral day rated")
    as_of: date = Field(description="the quarter's last day: every rated referral's horizon "
                                    "had ended by then")
    horizon_months: int
    published_at: datetime
    supersedes: str | None = Field(description="the publication this one corrects")
    superseded_by: str | None = Field(description="the correction that replaced this one: "
                                                  "null for the quarter's rating in force")
    correction_reason: str | None
    table: LeagueTableOut


class RatingPage(BaseModel):
    rows: list[RatingOut]
    next_cursor: str | None = None


ReviewStatus = Literal["meets", "below_not_significant", "below_expectation"]


class MemberReviewOut(BaseModel):
    provider_id: int
    provider_name: str
    status: ReviewStatus | None = Field(description="null when the quarter could not rate the "
                                                    "member (no eligible participants)")
    performance_index: float | None
    minimum: float = Field(description="the performance index the member is expected to "
                                       "reach (its own expectation, else the contract's)")
    significance_limit: float | None = Field(
        description="minimum x exp(-1.959964 sqrt(s_p^2 + tau2)): below it the shortfall is "
                    "more than chance (DOMAIN.md section 11)")
    previous_quarter: str
    previous_performance_index: float | None
    check_compliance: float | None
    check_compliance_min: float
    data_timeliness: float | None
    data_timeliness_min: float
    reasons: list[str] = Field(description="the status, and any other shortfall, in words")


class ReviewStatusOut(BaseModel):
    contract_id: int
    quarter: str
    rating_id: str = Field(description="the quarter's publication in force, judged")
    rows: list[MemberReviewOut]
