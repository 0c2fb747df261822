from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, BigIntPK, UTCDateTime
from app.models.contracts import PaymentGroup

EventType = Literal["referral", "attachment", "job_start", "job_end", "in_work_check",
                    "job_outcome", "sustainment", "exit", "specialist_referral",
                    "specialist_outcome", "assessment"]
# DOMAIN.md section 12: the events of the specialist half of the supply chain, and progress.
SPECIALIST_EVENT_TYPES = ("specialist_referral", "specialist_outcome")
SECTION_12_EVENT_TYPES = (*SPECIALIST_EVENT_TYPES, "assessment")
CheckResult = Literal["in_work", "not_in_work", "no_contact"]
SpecialistResult = Literal["started", "completed", "declined", "did_not_attend"]
# Results that close a specialist referral (`started` leaves it open).
CLOSING_RESULTS: tuple[str, ...] = ("completed", "declined", "did_not_attend")
ExitReason = Literal["completed", "left_early", "moved_area", "deceased", "other"]
# Where an in-work check fell against its due date.
CheckTiming = Literal["early", "on_time", "late"]

# Participant characteristics (DOMAIN.md section 10): bands only, never a birth date or a
# postcode. Each is optional; null means the level `unknown`.
AgeBand = Literal["18-24", "25-34", "35-49", "50+"]
HealthCondition = Literal["yes", "no"]
ClaimDuration = Literal["under_6m", "6_12m", "12_24m", "over_24m"]
Qualification = Literal["none", "level_1_2", "level_3_plus"]
CharacteristicName = Literal["age_band", "health_condition", "claim_duration", "qualification",
                             "area"]
CHARACTERISTICS: tuple[CharacteristicName, ...] = get_args(CharacteristicName)
# The banded characteristics' levels, in their natural order; `area` is a code instead.
CHARACTERISTIC_LEVELS: dict[str, tuple[str, ...]] = {
    "age_band": get_args(AgeBand), "health_condition": get_args(HealthCondition),
    "claim_duration": get_args(ClaimDuration), "qualification": get_args(Qualification)}
AREA_PATTERN = r"^[A-Z0-9]{1,16}$"  # e.g. the ONS local authority code E08000035
BANDED: tuple[str, ...] = tuple(CHARACTERISTIC_LEVELS)


def _key_sql(levels: dict[str, tuple[str, ...]]) -> str:
    """SQL for the banded characteristics as one number: each one's level position (1 for
    its first level, 0 for unknown or anything else) in mixed radix, the first fastest."""
    terms, radix = [], 1
    for name, names in levels.items():
        whens = " ".join(f"WHEN '{level}' THEN {i}" for i, level in enumerate(names, start=1))
        terms.append(f"{radix} * (CASE {name} {whens} ELSE 0 END)")
        radix *= len(names) + 1
    return " + ".join(terms)


CHARACTERISTICS_KEY_SQL = _key_sql(CHARACTERISTIC_LEVELS)


@cache  # a few hundred keys, decoded for every cell of every league table
def decode_characteristics_key(key: int) -> tuple[str | None, ...]:
    """The banded characteristics' levels (None: unknown) of a characteristics_key, in
    BANDED's order."""
    levels = []
    for names in CHARACTERISTIC_LEVELS.values():
        key, position = divmod(key, len(names) + 1)
        levels.append(names[position - 1] if position else None)
    return tuple(levels)


# The league table's covering index: the risk model's cells are provider, payment group, the
# banded characteristics as one small number, and `area` (last, since the default model
# leaves it out and the default GROUP BY is then a prefix); then the dates it tests.
LEAGUE_INDEX_COLUMNS = ("contract_id", "provider_id", "payment_group", "characteristics_key",
                        "area", "referral_date", "outcome_date", "months_to_outcome",
                        "first_job_start_date")


class Participant(Base):
    """A referred person, by pseudonymous reference. The date columns summarise the accepted
    events so that league tables and cohorts aggregate one row per participant."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("contract_id", "participant_ref"),
        # Covers the league table's counts (provider, group, the characteristics the risk
        # model groups by, then the dates it tests), so that either backend reads the index
        # alone, in GROUP BY order (app.performance.queries.provider_group_counts).
        Index("ix_participants_league", *LEAGUE_INDEX_COLUMNS),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    participant_ref: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    payment_group: Mapped[PaymentGroup] = mapped_column(String(32))
    referral_date: Mapped[date] = mapped_column(Date)
    attachment_date: Mapped[date | None] = mapped_column(Date)
    first_job_start_date: Mapped[date | None] = mapped_column(Date)
    outcome_date: Mapped[date | None] = mapped_column(Date)
    # app.performance.cohorts.months_to_outcome(referral_date, outcome_date): the horizon test
    # becomes a comparison, without date arithmetic on every row of a league table.
    months_to_outcome: Mapped[int | None] = mapped_column(SmallInteger)
    sustainments: Mapped[int] = mapped_column(SmallInteger, default=0)
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[ExitReason | None] = mapped_column(String(16))
    # Characteristics as reported on the referral (null: unknown), so that the risk model's
    # covariate cells are one GROUP BY away.
    age_band: Mapped[AgeBand | None] = mapped_column(String(8))
    health_condition: Mapped[HealthCondition | None] = mapped_column(String(8))
    claim_duration: Mapped[ClaimDuration | None] = mapped_column(String(8))
    qualification: Mapped[Qualification | None] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(16))
    # The four banded characteristics as one number (CHARACTERISTICS_KEY_SQL), computed by the
    # database from the columns above, so that no way of writing a participant can leave it
    # behind: grouping by one small integer instead of four strings halves the risk model's
    # GROUP BY on both backends (docs/decisions.md). Stored on PostgreSQL, virtual on SQLite
    # (which cannot add a stored column to an existing table); indexed on both.
    characteristics_key: Mapped[int] = mapped_column(
        SmallInteger, Computed(CHARACTERISTICS_KEY_SQL, persisted=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Event(Base):
    """One accepted event, as reported. Type-specific fields are typed columns (null when the
    type has no such field) so that the engine can aggregate them in SQL."""

    __tablename__ = "events"
    __table_args__ = (
        # The idempotency key: an event_id is unique per submitting organisation.
        UniqueConstraint("submitted_by_org_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Events carry only their participant as a foreign key: the other ids copy what the
    # participant, principal and contract say, none of which is ever deleted, and a
    # foreign-key check per column per row would halve bulk ingestion on PostgreSQL.
    submitted_by_org_id: Mapped[int] = mapped_column(Integer)
    submitted_by_user_id: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    contract_id: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    type: Mapped[EventType] = mapped_column(String(24))
    event_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Days from the event to its reporting (received_at, or reported_at for a backfill), by
    # the programme's calendar: data timeliness is lag_days <= the contract's limit.
    lag_days: Mapped[int] = mapped_column(Integer)
    # The participant's payment group and allocated provider on every event (for a referral,
    # the fields as sent), so that payments and timeliness aggregate without a join.
    payment_group: Mapped[PaymentGroup] = mapped_column(String(32))
    provider_id: Mapped[int] = mapped_column(Integer)
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    milestone: Mapped[str | None] = mapped_column(String(8))
    # An in-work check's result, or a specialist outcome's (SpecialistResult).
    result: Mapped[str | None] = mapped_column(String(16))
    number: Mapped[int | None] = mapped_column(SmallInteger)
    reason: Mapped[ExitReason | None] = mapped_column(String(16))
    # DOMAIN.md section 12: a specialist referral's or outcome's specialist and intervention,
    # a referral's agreed fee, an assessment's scores ({area: 1..10}).
    specialist_id: Mapped[int | None] = mapped_column(Integer)
    intervention: Mapped[str | None] = mapped_column(String(32))
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    scores: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # A referral's characteristics as sent (null on other events, and for a level not sent);
    # the participant row holds the same.
    age_band: Mapped[AgeBand | None] = mapped_column(String(8))
    health_condition: Mapped[HealthCondition | None] = mapped_column(String(8))
    claim_duration: Mapped[ClaimDuration | None] = mapped_column(String(8))
    qualification: Mapped[Qualification | None] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(16))


class Milestone(Base):
    """A scheduled in-work check (DOMAIN.md section 4), kept in step with the participant's
    events at ingestion so that statuses for any `as_of` are one SQL query away."""

    __tablename__ = "milestones"
    __table_args__ = (
        # By due date for the morning lists, with what a check's status and check compliance
        # read, so that neither visits the table.
        Index("ix_milestones_contract_due", "contract_id", "due_date", "provider_id",
              "cancelled_on", "checked_on", "check_timing"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    contract_id: Mapped[int] = mapped_column(Integer)  # the participant's (see Event)
    provider_id: Mapped[int] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(String(8))
    # The job spell's start for D checks, the job outcome's date for S checks.
    basis_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    checked_on: Mapped[date | None] = mapped_column(Date)
    # early / on_time / late: where the check fell against the due date (None: no check).
    check_timing: Mapped[CheckTiming | None] = mapped_column(String(8))
    result: Mapped[CheckResult | None] = mapped_column(String(16))
    # The job_end or exit that made the check unnecessary, when dated before the due date.
    cancelled_on: Mapped[date | None] = mapped_column(Date)


class PaidEventCount(Base):
    """Accepted paid events (attachments, job outcomes, sustainments) per contract, day,
    provider, payment group and type, kept in step at ingestion: what payments earned add up."""

    __tablename__ = "paid_event_counts"

    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_date: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_group: Mapped[PaymentGroup] = mapped_column(String(32), primary_key=True)
    type: Mapped[EventType] = mapped_column(String(16), primary_key=True)
    events: Mapped[int] = mapped_column(Integer)


class ProviderDailyTotal(Base):
    """Per contract, day and provider, the league table's three period measures, kept in step
    at ingestion so that it adds up a few thousand rows instead of every event and check:

    - events dated that day, and how many were reported within the contract's
      timeliness_days (data timeliness);
    - the fees they earned, in pence, at the tariff row in force that day (payments earned);
    - the scheduled checks due that day that no job end or exit cancelled, and how many were
      checked on time (check compliance).

    A check's cancellation always falls before its due date and an on-time check within 7 days
    after it, so for the checks that count on any as_of (due + 7 <= as_of) these two counts are
    the same whatever the as_of: one row per due day answers for every as_of. The timely
    events and the fees follow the contract's settings and tariff: changing either rebuilds
    the contract's rows (app.performance.daily_totals.rebuild)."""

    __tablename__ = "provider_daily_totals"

    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    timely_events: Mapped[int] = mapped_column(Integer, default=0)
    earned_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    live_checks_due: Mapped[int] = mapped_column(Integer, default=0)
    checks_on_time: Mapped[int] = mapped_column(Integer, default=0)


class ParticipantDataVersion(Base):
    """A token that changes whenever a contract's participants change (a batch of events
    stored: app.performance.fit_cache), so that every process can tell whether what it
    cached from them (the risk model's cells and fit) is still current. Random, not a
    counter: a counter restarts at 1 in another database, and a cache keyed by it could
    serve one database's fit for another's. No row: never changed through ingestion (a
    bulk-loaded database); nothing is cached then."""

    __tablename__ = "participant_data_versions"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class SpecialistReferral(Base):
    """One specialist referral (DOMAIN.md section 12) with what its outcomes said, kept in step
    with the participant's specialist events at ingestion (as participants summarise theirs),
    so that usage, fees and SCD-2 aggregate one row per referral, and so that the specialist's
    scope is one subquery (app.auth.scope)."""

    __tablename__ = "specialist_referrals"
    __table_args__ = (
        Index("ix_specialist_referrals_contract", "contract_id", "referral_date",
              "specialist_id", "provider_id"),
        Index("ix_specialist_referrals_specialist", "specialist_id", "contract_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    contract_id: Mapped[int] = mapped_column(Integer)  # the participant's (see Event)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    # The participant's allocated provider, who bought the help (or the prime for it).
    provider_id: Mapped[int] = mapped_column(Integer)
    specialist_id: Mapped[int] = mapped_column(Integer)
    intervention: Mapped[str] = mapped_column(String(32))
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    referral_date: Mapped[date] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    # The closing outcome (completed, declined, did_not_attend) and its date; null while open.
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_result: Mapped[str | None] = mapped_column(String(16))
