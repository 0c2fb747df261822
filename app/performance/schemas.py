from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MilestoneStatus = Literal["on_time", "late", "early", "overdue", "pending", "cancelled"]


class MilestoneRow(BaseModel):
    participant_ref: str
    provider_id: int
    milestone: str
    due_date: date
    status: MilestoneStatus
    checked_on: date | None
    result: str | None


class MilestonePage(BaseModel):
    contract_id: int
    as_of: date
    counts: dict[str, int]
    rows: list[MilestoneRow]
    next_cursor: str | None


class LeagueRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider_id: int | None = Field(description="null on anonymised rows")
    provider_name: str
    sector: str
    tier: int | None = Field(description="null for the prime's in-house delivery")
    referrals: int
    referral_share: float | None
    contracted_share: Decimal | None
    eligible: int
    outcomes: int
    rate: float | None
    expected: float
    performance_index: float | None
    adjusted_rate: float | None
    ci_low: float | None
    ci_high: float | None
    funnel_lower_95: float | None
    funnel_upper_95: float | None
    funnel_lower_998: float | None
    funnel_upper_998: float | None
    rag: Literal["red", "amber", "green"] | None
    high_outlier: bool | None
    rank: int | None
    raw_rank: int | None
    job_starts: int
    check_compliance: float | None
    data_timeliness: float | None
    payments_earned: Decimal | None


LEAGUE_COLUMNS = tuple(LeagueRowOut.model_fields)


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
