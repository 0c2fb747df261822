from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.auth.schemas import PublicIdField, RecordId, StrictInput
from app.core.dates import Day
from app.models.contracts import InvitationStatus, MemberStatus, PaymentGroup
from app.models.organisations import OrgKind, Sector
from app.models.participants import CHARACTERISTICS, CharacteristicName
from app.supply_chain.defaults import (
    DEFAULT_ASSESSMENT_AREAS,
    DEFAULT_INTERVENTIONS,
    DEFAULT_MILESTONE_SCHEDULE,
    DEFAULT_RISK_COVARIATES,
    PAYMENT_GROUPS,
)

Fraction = Annotated[float, Field(ge=0, le=1)]
# An intervention or assessment area: a short lower-case code (it is a key in events and CSV
# cells, so no spaces or punctuation).
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


def _distinct_codes(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("a code is named twice")
    return codes


class InputModel(StrictInput):
    """Request bodies: unknown fields refused, strings trimmed, numbers finite (NaN is no number
    a rule can use, and PostgreSQL's JSON refuses it)."""


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- organisations -------------------------------------------------------------------------------
class OrganisationCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"name": "Northside Works CIC", "kind": "subcontractor", "sector": "third"}]})

    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    sector: Sector


class OrganisationRead(ReadModel):
    id: int
    name: str
    kind: str
    sector: str


# -- contracts -----------------------------------------------------------------------------------
class TariffRowIn(InputModel):
    payment_group: PaymentGroup
    valid_from: Day
    attachment_fee: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    outcome_fee: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    sustainment_fee: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    max_sustainments: int = Field(ge=0, le=52)
    outcome_weeks: int = Field(ge=1, le=104)


class TariffRowRead(ReadModel):
    payment_group: str
    valid_from: date
    attachment_fee: Decimal
    outcome_fee: Decimal
    sustainment_fee: Decimal
    max_sustainments: int
    outcome_weeks: int


class SpellCheck(InputModel):
    milestone: str = Field(pattern=r"^D[0-9]{1,4}$")
    days: int = Field(ge=1, le=3650)
    min_outcome_weeks: int | None = Field(default=None, ge=1)


class MilestoneSchedule(InputModel):
    spell_checks: list[SpellCheck]
    sustainment_interval_days: int = Field(default=28, ge=1, le=365)

    @field_validator("spell_checks")
    @classmethod
    def unique_codes(cls, checks: list[SpellCheck]) -> list[SpellCheck]:
        codes = [c.milestone for c in checks]
        if len(codes) != len(set(codes)):
            raise ValueError("milestone codes must be unique")
        return checks


def default_schedule() -> MilestoneSchedule:
    return MilestoneSchedule.model_validate(DEFAULT_MILESTONE_SCHEDULE)


def _national_rates() -> dict[PaymentGroup, float]:
    return cast(dict[PaymentGroup, float],
                {code: group.national_rate for code, group in PAYMENT_GROUPS.items()})


class ContractSettings(InputModel):
    """Per-contract configuration. Every threshold of DOMAIN.md sections 5 and 7 lives here."""

    league_visibility: Literal["named", "anonymised"] = "anonymised"
    # k-anonymity of anonymised league rows (docs/metrics.md, "Anonymisation")
    league_k_anonymity: int = Field(default=3, ge=2, le=1000)
    default_horizon_months: int = Field(default=12, ge=3, le=24)
    min_n: int = Field(default=30, ge=1, le=1_000_000)
    timeliness_days: int = Field(default=5, ge=0, le=365)
    national_rates: dict[PaymentGroup, Fraction] = Field(default_factory=_national_rates)
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    holidays: list[Day] = Field(default_factory=list, max_length=5000, description=(
        "days off besides the bank holidays of England and Wales, which always count "
        "(complaint SLA, CON-1)"))
    # Merlin rule thresholds (DOMAIN.md section 7)
    starvation_min_share: Fraction = 0.05
    starvation_ratio: Fraction = 0.5
    starvation_window_days: int = Field(default=90, ge=1, le=3650)
    complaint_ack_working_days: int = Field(default=5, ge=1, le=365)
    complaint_resolve_working_days: int = Field(default=20, ge=1, le=365)
    improvement_plan_min_days: int = Field(default=90, ge=0, le=3650)
    # Every cut of a reallocation is held this many working days for the reviewer, whoever
    # the member (DOMAIN.md section 11), unless the reviewer lets it through earlier.
    reallocation_hold_working_days: int = Field(default=10, ge=0, le=260)
    retaliation_window_days: int = Field(default=90, ge=1, le=3650)
    retaliation_share_drop: Fraction = 0.30
    check_compliance_min: Fraction = 0.90
    data_timeliness_min: Fraction = 0.80
    # The performance regime (DOMAIN.md section 11): the performance index a member is
    # expected to reach on its published rating, unless its own expectations say otherwise.
    min_performance_index: float = Field(default=0.85, gt=0, le=10)
    # Fair comparison (DOMAIN.md section 10): the risk model's characteristics (besides the
    # payment group), the smallest level it keeps apart, the fewest providers from which
    # overdispersion is estimated, and which RAG the RAG flag and REV-1 use.
    risk_covariates: list[CharacteristicName] = Field(
        default_factory=lambda: list(DEFAULT_RISK_COVARIATES), max_length=len(CHARACTERISTICS))
    risk_min_level_n: int = Field(default=30, ge=1, le=1_000_000)
    od_min_units: int = Field(default=8, ge=2, le=10_000)
    flag_rag_basis: Literal["overdispersed", "binomial"] = "overdispersed"
    # Specialists and progress (DOMAIN.md section 12): the interventions specialists are
    # referred for, the areas an assessment scores, and SCD-2's threshold and window.
    interventions: list[Code] = Field(
        default_factory=lambda: list(DEFAULT_INTERVENTIONS), min_length=1, max_length=50,
        description="intervention codes a specialist referral may name")
    assessment_areas: list[Code] = Field(
        default_factory=lambda: list(DEFAULT_ASSESSMENT_AREAS), min_length=1, max_length=20,
        description="areas a progress assessment scores 1..10")
    specialist_min_referrals: int = Field(default=5, ge=0, le=1_000_000)
    specialist_window_days: int = Field(default=180, ge=1, le=3650)

    @field_validator("interventions", "assessment_areas")
    @classmethod
    def distinct_codes(cls, codes: list[str]) -> list[str]:
        return _distinct_codes(codes)

    @field_validator("risk_covariates", mode="before")
    @classmethod
    def known_characteristics(cls, names: Any) -> Any:
        if isinstance(names, list):
            for name in names:
                if name not in CHARACTERISTICS:
                    raise ValueError(f"{name!r} is not a characteristic (the known ones: "
                                     f"{', '.join(CHARACTERISTICS)})")
            if len(set(names)) != len(names):
                raise ValueError("a characteristic is named twice")
        return names


class ContractCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "prime_id": 1, "cpa_code": "CPA18", "cpa_name": "West Yorkshire",
        "start_date": "2024-11-01", "end_date": "2029-10-31"}]})

    prime_id: RecordId
    cpa_code: str = Field(min_length=1, max_length=32)
    cpa_name: str = Field(min_length=1, max_length=200)
    start_date: Day
    end_date: Day
    tariff: list[TariffRowIn] | None = Field(
        default=None, min_length=1,
        description="tariff rows; the programme defaults (DOMAIN.md section 2) when omitted")
    milestone_schedule: MilestoneSchedule | None = None
    settings: ContractSettings | None = None

    @field_validator("end_date")
    @classmethod
    def ends_after_start(cls, end_date: date, info: ValidationInfo) -> date:
        start_date = info.data.get("start_date")
        if start_date is not None and end_date < start_date:
            raise ValueError(f"before start_date ({start_date})")
        return end_date


class ContractUpdate(InputModel):
    """Change the schedule or settings; tariff rows are appended (they are history). Only the
    settings named are changed; the others keep their values."""

    milestone_schedule: MilestoneSchedule | None = None
    settings: ContractSettings | None = None
    tariff: list[TariffRowIn] | None = None


class ContractRead(ReadModel):
    id: int
    prime_id: int
    cpa_code: str
    cpa_name: str
    start_date: date
    end_date: date
    milestone_schedule: MilestoneSchedule
    settings: ContractSettings
    tariff: list[TariffRowRead]


# -- memberships ---------------------------------------------------------------------------------
JoinCodeText = Annotated[str, Field(min_length=1, max_length=64)]


class MemberCreate(InputModel):
    """The organisation by `provider_id` or by the `join_code` it gave (exactly one)."""

    model_config = ConfigDict(json_schema_extra={
        "examples": [{"provider_id": 3, "tier": 1, "contracted_share": 0.15},
                     {"join_code": "cbj_...", "tier": 2, "contracted_share": 0.05}]})

    provider_id: RecordId | None = None
    join_code: JoinCodeText | None = Field(
        default=None, description="a code the organisation created (POST /join-codes) and gave")
    tier: Literal[1, 2]
    contracted_share: Decimal = Field(ge=0, le=1, max_digits=6, decimal_places=4)
    effective_date: Day | None = Field(
        default=None, description="admins only: when membership began; the contract's start "
                                  "when omitted (an invitation's membership begins when it is "
                                  "accepted)")

    @model_validator(mode="after")
    def one_way_to_name_the_organisation(self) -> "MemberCreate":
        if (self.provider_id is None) == (self.join_code is None):
            raise ValueError("provider_id, join_code: give exactly one of the two")
        return self


class MemberExpectations(InputModel):
    """A member's own expectations (DOMAIN.md section 11); a field left out or null follows
    the contract's (its settings' min_performance_index, check_compliance_min and
    data_timeliness_min)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"min_performance_index": 0.7, "reason": "A specialist for the furthest from work"}]})

    min_performance_index: float | None = Field(default=None, gt=0, le=10)
    check_compliance_min: Fraction | None = None
    data_timeliness_min: Fraction | None = None
    reason: str = Field(min_length=1, max_length=2000,
                        description="why this member's expectations differ (on record)")


class ExpectationsRead(ReadModel):
    """What a member is expected to reach: its own where set, else the contract's."""

    contract_id: int
    provider_id: int
    min_performance_index: float
    check_compliance_min: float
    data_timeliness_min: float
    overridden: list[str] = Field(description="the fields set for this member")


class StatusChangeIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "on_improvement_plan", "reason": "Check compliance below 90% for Q3"}]})

    status: MemberStatus
    reason: str = Field(min_length=1, max_length=2000)
    effective_date: Day | None = Field(default=None, description="today when omitted")


class StatusChangeRead(ReadModel):
    status: str
    effective_date: date
    reason: str
    changed_by_user_id: int | None
    recorded_at: datetime


class MemberRead(ReadModel):
    contract_id: int
    provider_id: int
    provider_name: str
    sector: str
    tier: int
    contracted_share: Decimal
    status: str
    history: list[StatusChangeRead]


class InvitationRead(BaseModel):
    """An offer of membership: the prime's terms, for the invited organisation to accept."""

    id: str = Field(description="opaque; not a number to count or guess")
    contract_id: int
    cpa_code: str
    cpa_name: str
    prime_id: int
    prime_name: str
    provider_id: int
    provider_name: str
    tier: int
    contracted_share: Decimal
    status: InvitationStatus = Field(description="`expired`: pending past expires_at")
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class JoinCodeCreate(InputModel):
    organisation_id: RecordId | None = Field(
        default=None, description="admins: the organisation (required); others: their own")


class JoinCodeRead(ReadModel):
    """A join code as listed: never the code itself, only its first characters."""

    organisation_id: int
    prefix: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class JoinCodeCreated(JoinCodeRead):
    code: str = Field(description="shown once; give it to the prime that will invite you")


# -- payments ------------------------------------------------------------------------------------
class PaymentCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "provider_id": 3, "invoice_date": "2026-09-30", "amount": "18450.00",
        "paid_date": None, "terms_days": 30}]})

    provider_id: RecordId
    invoice_date: Day
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    paid_date: Day | None = None
    terms_days: int | None = Field(default=None, ge=0, le=365,
                                   description="the contract's payment terms when omitted")

    @field_validator("paid_date")
    @classmethod
    def paid_after_invoice(cls, paid_date: date | None, info: ValidationInfo) -> date | None:
        invoice_date = info.data.get("invoice_date")
        if paid_date is not None and invoice_date is not None and paid_date < invoice_date:
            raise ValueError(f"before invoice_date ({invoice_date})")
        return paid_date


class PaymentPaid(InputModel):
    paid_date: Day


class PaymentRead(ReadModel):
    id: str = PublicIdField
    contract_id: int
    provider_id: int
    invoice_date: date
    amount: Decimal
    paid_date: date | None
    terms_days: int
