"""The specialists and progress answers (API.md, "Specialists and progress")."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class SpecialistReferralRow(BaseModel):
    """A referral's facts: what its specialist sees of the participant (DOMAIN.md
    section 12)."""

    participant_ref: str
    provider_id: int = Field(description="the participant's provider, who referred it")
    specialist_id: int
    intervention: str
    fee: Decimal | None = Field(description="the agreed fee (GBP), if one was agreed")
    referral_date: date
    started_on: date | None
    closed_on: date | None = Field(description="the closing outcome's date; null while open")
    closing_result: str | None = Field(description="completed, declined or did_not_attend")


class SpecialistReferralPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rows": [{"participant_ref": "NW-000123", "provider_id": 3, "specialist_id": 5,
                  "intervention": "mental_health", "fee": "350.00",
                  "referral_date": "2026-03-16", "started_on": "2026-03-23",
                  "closed_on": None, "closing_result": None}],
        "next_cursor": None}]})

    rows: list[SpecialistReferralRow]
    next_cursor: str | None


_COUNTS = {
    "referrals": "specialist referrals made in the period",
    "started": "of them, started (or completed without a reported start)",
    "completed": "of them, completed",
    "declined": "of them, declined",
    "did_not_attend": "of them, closed as did not attend",
    "open": "of them, not closed yet",
}


class UsageFigures(BaseModel):
    referrals: int = Field(description=_COUNTS["referrals"])
    started: int = Field(description=_COUNTS["started"])
    completed: int = Field(description=_COUNTS["completed"])
    declined: int = Field(description=_COUNTS["declined"])
    did_not_attend: int = Field(description=_COUNTS["did_not_attend"])
    open: int = Field(description=_COUNTS["open"])
    completion_rate: float | None = Field(description="completed / started; null when none "
                                                      "started")
    fees_agreed: Decimal = Field(description="agreed fees of the period's referrals (GBP)")
    fees_owed: Decimal = Field(description="agreed fees of those completed: a fee is owed on "
                                           "completion")


class UsageRow(UsageFigures):
    """One tier-1 provider's (or the prime's) referrals to one specialist."""

    provider_id: int
    provider_name: str
    specialist_id: int
    specialist_name: str


class SpecialistTotal(UsageFigures):
    """One specialist's referrals in, from every provider the reader may see."""

    specialist_id: int
    specialist_name: str
    sector: str
    membership_status: str | None = Field(description="its membership of the contract now "
                                                      "(null: no longer a member)")
    providers: int = Field(description="providers that referred to it in the period")
    fees_paid: Decimal | None = Field(
        description="what the contract's payments ledger records as paid to the specialist "
                    "in the period (POST /contracts/{id}/payments); null for a reader who "
                    "may not see its payments")


class ProviderTotal(UsageFigures):
    """One provider's specialist purchases, to every specialist."""

    provider_id: int
    provider_name: str
    specialists: int = Field(description="specialists it referred to in the period")


class MonthRow(BaseModel):
    """One month's referrals from one provider to one specialist (months without any are left
    out)."""

    month: str = Field(description="YYYY-MM, of the referral date")
    provider_id: int
    specialist_id: int
    referrals: int


class SpecialistUsageOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True,
                              json_schema_extra={"examples": [{
                                  "contract_id": 1, "from": "2026-01-01", "to": "2026-06-30",
                                  "rows": [{"provider_id": 3, "provider_name": "Northside "
                                            "Works", "specialist_id": 5, "specialist_name":
                                            "Calder Mind", "referrals": 12, "started": 10,
                                            "completed": 7, "declined": 1,
                                            "did_not_attend": 1, "open": 3,
                                            "completion_rate": 0.7, "fees_agreed": "4200.00",
                                            "fees_owed": "2450.00"}],
                                  "specialists": [{"specialist_id": 5, "specialist_name":
                                                   "Calder Mind", "sector": "third",
                                                   "membership_status": "active",
                                                   "providers": 1, "referrals": 12,
                                                   "started": 10, "completed": 7,
                                                   "declined": 1, "did_not_attend": 1,
                                                   "open": 3, "completion_rate": 0.7,
                                                   "fees_agreed": "4200.00",
                                                   "fees_owed": "2450.00",
                                                   "fees_paid": "1750.00"}],
                                  "providers": [{"provider_id": 3, "provider_name":
                                                 "Northside Works", "specialists": 1,
                                                 "referrals": 12, "started": 10,
                                                 "completed": 7, "declined": 1,
                                                 "did_not_attend": 1, "open": 3,
                                                 "completion_rate": 0.7,
                                                 "fees_agreed": "4200.00",
                                                 "fees_owed": "2450.00"}]}]})

    contract_id: int
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    rows: list[UsageRow] = Field(description="per provider and specialist, with referrals")
    specialists: list[SpecialistTotal] = Field(
        description="per specialist; for the prime, every tier-2 member, used or not")
    providers: list[ProviderTotal] = Field(description="per referring provider")
    months: list[MonthRow] = Field(default_factory=list, description=(
        "referrals by month, provider and specialist: the same referrals as `rows`, over "
        "time"))


class ProgressRow(BaseModel):
    provider_id: int
    provider_name: str
    area: str
    participants: int = Field(description="participants with a first and a last score in the "
                                          "area at least min_gap_days apart")
    mean_first: float
    mean_last: float
    mean_change: float = Field(description="mean of last minus first score")
    ci_low: float | None = Field(description="95% t interval; null for one participant")
    ci_high: float | None


class ParticipantProgressRow(BaseModel):
    participant_ref: str
    provider_id: int
    area: str
    first_on: date
    first_score: int
    last_on: date
    last_score: int
    change: int = Field(description="last_score - first_score")


class ProgressOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "contract_id": 1, "provider_id": None, "min_gap_days": 56,
        "areas": ["job_search", "skills", "confidence", "health", "stability",
                  "work_experience", "aspiration"],
        "rows": [{"provider_id": 5, "provider_name": "Calder Mind", "area": "confidence",
                  "participants": 4, "mean_first": 3.25, "mean_last": 5.75,
                  "mean_change": 2.5, "ci_low": 0.9087, "ci_high": 4.0913}]}]})

    contract_id: int
    provider_id: int | None
    min_gap_days: int
    areas: list[str] = Field(description="the contract's assessment areas, in its order")
    rows: list[ProgressRow]
    participants: list[ParticipantProgressRow] | None = Field(
        default=None, description="with `participants=true`: each participant's change per "
                                  "area that counts (null for reviewers, who read aggregates "
                                  "only)")
