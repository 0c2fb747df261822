"""The event as submitted (DOMAIN.md section 3): one flat shape for JSON and CSV alike."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.auth.principal import MAX_RECORD_ID
from app.core.dates import EARLIEST_DATE, in_range
from app.ingest.nino import contains_nino
from app.models.contracts import PaymentGroup
from app.models.participants import (
    AREA_PATTERN,
    CHARACTERISTIC_LEVELS,
    CHARACTERISTICS,
    AgeBand,
    CheckResult,
    ClaimDuration,
    EventType,
    ExitReason,
    HealthCondition,
    Qualification,
    SpecialistResult,
)

# The order in which one batch is applied (API.md), then by event_date. Specialist referrals
# and outcomes share a place, so that they apply by date (a participant may be referred again
# for an intervention once the last referral closed); on one day a referral comes before an
# outcome (SAME_DAY_ORDER).
TYPE_ORDER: dict[str, int] = {
    **{t: i for i, t in enumerate(
        ("referral", "attachment", "job_start", "job_end", "job_outcome", "sustainment",
         "in_work_check", "exit"))},
    "specialist_referral": 8, "specialist_outcome": 8, "assessment": 9}
SAME_DAY_ORDER: dict[str, int] = {"specialist_outcome": 1}

# Type-specific fields; a field outside its type's set must be empty.
TYPE_FIELDS: dict[str, dict[str, bool]] = {  # field -> required
    "referral": {"payment_group": True, "provider_id": True, "characteristics": False},
    "attachment": {},
    "job_start": {"hours_per_week": False},
    "job_end": {},
    "in_work_check": {"milestone": True, "result": True},
    "job_outcome": {},
    "sustainment": {"number": True},
    "exit": {"reason": True},
    "specialist_referral": {"specialist_id": True, "intervention": True, "fee": False},
    "specialist_outcome": {"specialist_id": True, "intervention": True, "result": True},
    "assessment": {"scores": True},
}
OPTIONAL_FIELDS = ("payment_group", "provider_id", "hours_per_week", "milestone", "result",
                   "number", "reason", "characteristics", "specialist_id", "intervention",
                   "fee", "scores")
# The fields EventIn had before DOMAIN.md section 12's (content_hash: see there).
SECTION_3_FIELD_COUNT = 14
# type -> (fields it requires, fields it must leave empty)
_FIELDS_BY_TYPE = {
    type_: (tuple(f for f, needed in fields.items() if needed),
            tuple(f for f in OPTIONAL_FIELDS if f not in fields))
    for type_, fields in TYPE_FIELDS.items()
}

# No formula-like first character (CSV exports stay safe), no control characters anywhere.
_EVENT_ID = r"^[^=+\-@\s\x00-\x1f][^\x00-\x1f\x7f]*$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO date YYYY-MM-DD")
    return value


def _participant_ref(value: Any) -> Any:
    if isinstance(value, str) and contains_nino(value):
        raise ValueError("looks like a National Insurance number; send a pseudonymous "
                         "reference, never a NINO")
    return value


def _level_of(name: str) -> BeforeValidator:
    """A banded characteristic's check, before Pydantic's own, so that the error names the
    levels allowed in the words of the API."""
    levels = CHARACTERISTIC_LEVELS[name]

    def check(value: Any) -> Any:
        if value is not None and value not in levels:
            raise ValueError(f"{value!r} is not one of {', '.join(levels)}")
        return value
    return BeforeValidator(check)


_AREA = re.compile(AREA_PATTERN)


def _area(value: Any) -> Any:
    # Refused rather than upper-cased: what is stored is what the provider sent.
    if value is not None and not (isinstance(value, str) and _AREA.match(value)):
        raise ValueError(f"{value!r} is not 1-16 upper-case letters and digits "
                         "(e.g. the local authority code E08000035)")
    return value


class Characteristics(BaseModel):
    """A referral's characteristics (DOMAIN.md section 10): any subset; a missing or null key
    is the level `unknown`. Bands only, never a birth date or a postcode."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    age_band: Annotated[AgeBand | None, _level_of("age_band")] = None
    health_condition: Annotated[HealthCondition | None, _level_of("health_condition")] = None
    claim_duration: Annotated[ClaimDuration | None, _level_of("claim_duration")] = None
    qualification: Annotated[Qualification | None, _level_of("qualification")] = None
    # The pattern is checked by _area (its message states the rule); here it documents it.
    area: Annotated[str | None, AfterValidator(_area)] = Field(
        default=None, json_schema_extra={"pattern": AREA_PATTERN})

    def columns(self) -> dict[str, str | None]:
        """The five columns of the event and participant rows (None: unknown)."""
        return {name: getattr(self, name) for name in CHARACTERISTICS}


# The floor every input date shares (app.core.dates); the contract's start is a rule
# (app.ingest.rules), and "not after today" too.
IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(in_range)]


_RESULTS: dict[str, tuple[str, ...]] = {
    "in_work_check": get_args(CheckResult), "specialist_outcome": get_args(SpecialistResult)}
_ALL_RESULTS = (*get_args(CheckResult), *get_args(SpecialistResult))

Score = Annotated[int, Field(strict=True, ge=1, le=10)]
AreaCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


def _sorted_scores(scores: dict[str, int] | None) -> dict[str, int] | None:
    # One order, so that the same scores in any key order are the same event (content_hash).
    return None if scores is None else dict(sorted(scores.items()))


def _fee(value: Decimal | None) -> Decimal | None:
    # 120 and 120.00 are one fee (content_hash compares the validated values).
    return None if value is None else value.quantize(Decimal("0.01"))


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [
            {"event_id": "nw-000123-ref", "contract_id": 1, "participant_ref": "NW-000123",
             "type": "referral", "event_date": "2026-03-02", "payment_group": "jsa_25_plus",
             "provider_id": 3, "characteristics": {
                 "age_band": "25-34", "health_condition": "no", "claim_duration": "6_12m",
                 "qualification": "level_1_2", "area": "E08000035"}},
            {"event_id": "nw-000123-check-d28", "contract_id": 1,
             "participant_ref": "NW-000123", "type": "in_work_check",
             "event_date": "2026-05-01", "milestone": "D28", "result": "in_work"},
            {"event_id": "nw-000123-mh", "contract_id": 1, "participant_ref": "NW-000123",
             "type": "specialist_referral", "event_date": "2026-03-16", "specialist_id": 5,
             "intervention": "mental_health", "fee": "350.00"},
            {"event_id": "mind-000123-mh-start", "contract_id": 1,
             "participant_ref": "NW-000123", "type": "specialist_outcome",
             "event_date": "2026-03-23", "specialist_id": 5, "intervention": "mental_health",
             "result": "started"},
            {"event_id": "nw-000123-assess-1", "contract_id": 1, "participant_ref": "NW-000123",
             "type": "assessment", "event_date": "2026-03-09",
             "scores": {"confidence": 3, "health": 4, "job_search": 2}},
        ]})

    event_id: str = Field(min_length=1, max_length=64, pattern=_EVENT_ID,
                          description="client-chosen idempotency key, unique per organisation;"
                                      " may not start with = + - @ or whitespace, nor hold "
                                      "control characters")
    # Ids beyond the key range are a field error, never a database error.
    contract_id: int = Field(ge=1, le=MAX_RECORD_ID)
    participant_ref: Annotated[str, BeforeValidator(_participant_ref)] = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="pseudonymous reference: no names, no National Insurance numbers")
    type: EventType
    event_date: IsoDate
    payment_group: PaymentGroup | None = None
    provider_id: int | None = Field(default=None, ge=1, le=MAX_RECORD_ID)
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    milestone: str | None = Field(default=None, pattern=r"^(D\d{1,4}|S\d{1,2})$")
    # Checked against the event's type (declared before it) by `_result`.
    result: str | None = Field(
        default=None, json_schema_extra={"enum": [*get_args(CheckResult),
                                                  *get_args(SpecialistResult)]},
        description="in_work_check: in_work, not_in_work, no_contact; specialist_outcome: "
                    "started, completed, declined, did_not_attend")
    number: int | None = Field(default=None, ge=1, le=99)
    reason: ExitReason | None = None
    reported_at: datetime | None = Field(
        default=None, description="admin backfills only: when the provider first reported it")
    # Last, and None when every level is unknown: content_hash leaves it out then, so that an
    # event stored before characteristics existed is still a duplicate of itself.
    characteristics: Characteristics | None = Field(
        default=None, description="referrals only, optional: any subset of age_band, "
                                  "health_condition, claim_duration, qualification, area")
    # DOMAIN.md section 12, after characteristics (content_hash leaves them out when all are
    # None, so that every earlier event keeps its digest).
    specialist_id: int | None = Field(
        default=None, ge=1, le=MAX_RECORD_ID,
        description="specialist_referral, specialist_outcome: the tier-2 member's id")
    intervention: AreaCode | None = Field(
        default=None, description="specialist_referral, specialist_outcome: one of the "
                                  "contract's interventions (e.g. mental_health)")
    fee: Annotated[Decimal | None, AfterValidator(_fee)] = Field(
        default=None, ge=0, le=1_000_000, max_digits=10, decimal_places=2,
        description="specialist_referral, optional: the agreed fee (GBP)")
    scores: Annotated[dict[AreaCode, Score] | None, AfterValidator(_sorted_scores)] = Field(
        default=None, min_length=1, max_length=20,
        description="assessment: {area: score 1..10} for any of the contract's areas")

    @field_validator("result", mode="before")
    @classmethod
    def _result(cls, value: Any, info: ValidationInfo) -> Any:
        allowed = _RESULTS.get(info.data.get("type", ""), _ALL_RESULTS)
        if value is not None and value not in allowed:
            raise ValueError("Input should be " + ", ".join(f"'{r}'" for r in allowed[:-1])
                             + f" or '{allowed[-1]}'")
        return value

    @model_validator(mode="after")
    def fields_fit_type(self) -> "EventIn":
        if self.characteristics is not None and not any(self.characteristics.columns().values()):
            self.characteristics = None  # {} and all-null say what an absent object says
        required, foreign = _FIELDS_BY_TYPE[self.type]
        values = self.__dict__  # the fields, read directly: this runs for every event
        problems = [f"{name}: required for {self.type} events"
                    for name in required if values[name] is None]
        problems += [f"{name}: not a field of {self.type} events"
                     for name in foreign if values[name] is not None]
        if problems:
            raise ValueError("; ".join(problems))
        if self.reported_at is not None:
            if self.reported_at.tzinfo is None:
                raise ValueError("reported_at: needs a timezone (e.g. 2026-01-31T09:00:00Z)")
            if self.reported_at.date() < EARLIEST_DATE:
                raise ValueError(f"reported_at: before {EARLIEST_DATE}, the earliest date "
                                 "chainboard takes")
        return self


class Rejection(BaseModel):
    index: int = Field(description="0-based position in the submitted array (or CSV row)")
    line: int | None = Field(default=None, description="1-based CSV line (CSV uploads only)")
    event_id: str | None
    errors: list[str] = Field(description="each 'field: reason'")


class IngestAnswer(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"accepted": 2, "duplicates": 1, "rejected": []},
        {"accepted": 0, "duplicates": 0, "rejected": [
            {"index": 1, "event_id": "nw-000123-att", "errors": [
                "event_date: before the participant's referral on 2026-03-02"]}],
         "detail": "1 event rejected; nothing was stored"},
    ]})

    accepted: int
    duplicates: int
    rejected: list[Rejection]
    # Only on a refused atomic batch (422), like every other error body.
    detail: str | None = None
