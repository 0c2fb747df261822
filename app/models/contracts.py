from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.models.base import Base, PublicId, UTCDateTime

PaymentGroup = Literal[
    "jsa_18_24", "jsa_25_plus", "jsa_early_access", "jsa_ex_ib", "esa_volunteers", "esa_new",
    "esa_ex_ib", "ib_is", "jsa_prison_leavers",
]
MemberStatus = Literal["active", "on_improvement_plan", "suspended", "terminated"]
MEMBER_STATUSES: tuple[MemberStatus, ...] = get_args(MemberStatus)


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prime_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cpa_code: Mapped[str] = mapped_column(String(32))
    cpa_name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    # Validated through app.supply_chain.schemas.MilestoneSchedule / ContractSettings.
    milestone_schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tariff_rows: Mapped[list["TariffRow"]] = relationship(
        back_populates="contract", order_by="(TariffRow.payment_group, TariffRow.valid_from)",
        cascade="all, delete-orphan",
    )


class TariffRow(Base):
    """A payment group's fees from `valid_from` on; the row in force on an event's date applies."""

    __tablename__ = "tariff_rows"
    __table_args__ = (UniqueConstraint("contract_id", "payment_group", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    payment_group: Mapped[PaymentGroup] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    attachment_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    outcome_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    sustainment_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_sustainments: Mapped[int] = mapped_column(Integer)
    outcome_weeks: Mapped[int] = mapped_column(Integer)

    contract: Mapped[Contract] = relationship(back_populates="tariff_rows")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("contract_id", "provider_id"),
        CheckConstraint("tier IN (1, 2)", name="tier"),
        CheckConstraint("contracted_share >= 0 AND contracted_share <= 1", name="share"),
        CheckConstraint(
            "status IN ('active', 'on_improvement_plan', 'suspended', 'terminated')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    contracted_share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    # The latest entry of the status history, kept here so queries need no subselect.
    status: Mapped[MemberStatus] = mapped_column(String(24), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The member's own expectations (schemas.MemberExpectations without the reason), over
    # the contract's settings; null: the contract's.
    expectations: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MembershipStatusChange(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "membership_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    status: Mapped[MemberStatus] = mapped_column(String(24))
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Payment(PublicId, Base):
    """A payment owed by the prime to a member against an invoice (Merlin COM-1 evidence)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_contract_provider", "contract_id", "provider_id"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("terms_days >= 0", name="terms_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    invoice_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_date: Mapped[date | None] = mapped_column(Date)
    terms_days: Mapped[int] = mapped_column(Integer, default=30)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


InvitationStatus = Literal["pending", "accepted", "declined", "withdrawn", "expired"]
# Stored: the decisions. `expired` is read from expires_at (a pending invitation past it), so
# no job has to run for an invitation to lapse.
STORED_INVITATION_STATUSES = ("pending", "accepted", "declined", "withdrawn")


class MembershipInvitation(PublicId, Base):
    """A prime's offer of membership, which the invited organisation accepts or declines.

    Named outside the database by its public id, like every record some reader may not see."""

    __tablename__ = "membership_invitations"
    __table_args__ = (
        CheckConstraint("tier IN (1, 2)", name="tier"),
        CheckConstraint("contracted_share >= 0 AND contracted_share <= 1", name="share"),
        CheckConstraint("status IN ('" + "', '".join(STORED_INVITATION_STATUSES) + "')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    contracted_share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # How the prime found the organisation: by a join code it was given, or by id (None).
    join_code_id: Mapped[int | None] = mapped_column(ForeignKey("join_codes.id"))
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
