from dataclasses import fields
from datetime import date
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


class LeagueTableOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    contract_id: int
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    as_of: date
    horizon_months: int
    min_n: int
    pooled_rate: float | None
    rows: list[LeagueRowOut]


# -- cohorts -------------------------------------------------------------------------------------
class CurvePointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month_since_referral: int
    eligible: int = Field(description="referred at least this many months before as_of")
    outcomes: int = Field(description="eligible, with a job outcome within this many months")
    rate: float | None = Field(description="outcomes / eligible; null when nobody is eligible")


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
