"""The performance regime's records (DOMAIN.md section 11): published quarterly ratings and
improvement plans."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, PublicId, UTCDateTime

QUARTER_LENGTH = 6  # "2026Q3"


class RatingPublication(PublicId, Base):
    """A quarter's league table as published: frozen, never changed or deleted. A correction
    is a new publication naming the one it supersedes (each is superseded at most once, so a
    quarter's publications form one chain, whose last link is the quarter's rating)."""

    __tablename__ = "rating_publications"
    __table_args__ = (
        # One first publication per contract and quarter; the rest are corrections.
        Index("ux_rating_publications_first", "contract_id", "quarter", unique=True,
              sqlite_where=text("supersedes_id IS NULL"),
              postgresql_where=text("supersedes_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(QUARTER_LENGTH))
    # The league table's request (docs/decisions.md: which referrals a quarter rates).
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    horizon_months: Mapped[int] = mapped_column(SmallInteger)
    # schemas.LeagueTableOut as JSON, every row named: anonymised when read, for whoever reads.
    table: Mapped[dict[str, Any]] = mapped_column(JSON)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("rating_publications.id"), unique=True)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(RatingPublication, "before_update")
@event.listens_for(RatingPublication, "before_delete")
def _published_is_final(_mapper: Any, _connection: Any, target: RatingPublication) -> None:
    raise ValueError(f"rating publication {target.public_id} is published: it is never "
                     "changed or deleted; publish a correction that supersedes it")


class ImprovementPlan(PublicId, Base):
    """A prime's improvement plan for a member (DOMAIN.md section 11): measurable targets,
    agreed actions, a review date and a remedy period, through proposed -> agreed ->
    in_review -> met | extended | failed (app.regime.plans)."""

    __tablename__ = "improvement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    # [{"metric", "threshold", "by_date"}] and [action, ...] (app.regime.schemas)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actions: Mapped[list[str]] = mapped_column(JSON)
    review_date: Mapped[date] = mapped_column(Date)
    remedy_days: Mapped[int] = mapped_column(SmallInteger)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agreed_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)  # met or failed
    contested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImprovementPlanEntry(Base):
    """A plan's history, append-only: each transition, comment and contest, by whom."""

    __tablename__ = "improvement_plan_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("improvement_plans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # transition | comment | contest
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reallocation(PublicId, Base):
    """New contracted shares applied by the prime (DOMAIN.md section 11), with the guard-rails
    as the prime saw them and any override reason. A reallocation with a cut is `held` until
    `effective_on` (the reviewer's hold) unless the reviewer releases it earlier or `blocked`
    it; one without takes effect at once."""

    __tablename__ = "reallocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # held | effective | blocked
    reason: Mapped[str] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    guard_rails: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applied_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    reviewer_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ReallocationChange(Base):
    """One member's share before and after a reallocation: the members' share history."""

    __tablename__ = "reallocation_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    reallocation_id: Mapped[int] = mapped_column(ForeignKey("reallocations.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    from_share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    to_share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
