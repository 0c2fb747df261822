"""Merlin complaints (DOMAIN.md section 8) and their append-only history."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, UTCDateTime

COMPLAINT_PRINCIPLES = ("supply_chain_design", "commitment", "conduct", "review", "commercial")
COMPLAINT_STATUSES = (
    "submitted", "acknowledged", "investigating", "resolved", "escalated", "triaged",
    "independent_review", "decided", "closed", "withdrawn",
)
_STATUS_CHECK = "status IN ('" + "', '".join(COMPLAINT_STATUSES) + "')"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_contract_status", "contract_id", "status"),
        CheckConstraint(
            "principle IN ('supply_chain_design', 'commitment', 'conduct', 'review', 'commercial')",
            name="principle",
        ),
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint("triage IN ('merlin', 'commercial')", name="triage"),
        CheckConstraint("outcome IN ('upheld', 'partially_upheld', 'not_upheld')",
                        name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    # The member complaining. Hidden from the prime's users while `confidential` is set.
    complainant_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    raised_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    principle: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default="submitted")
    # prime_procedure -> merlin_triage -> independent_review (where the complaint now sits).
    stage: Mapped[str] = mapped_column(String(24), default="prime_procedure")
    triage: Mapped[str | None] = mapped_column(String(16))  # merlin | commercial
    outcome: Mapped[str | None] = mapped_column(String(24))  # upheld | partially_upheld | ...
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the complaint ended: closed, or withdrawn by the complainant.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When an SLA breach was first recorded (and notified): set once, so a breach is notified
    # once however often the sweep runs.
    acknowledgement_breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplaintEntry(Base):
    """One transition or message. Append-only: inserted, never updated or deleted."""

    __tablename__ = "complaint_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # transition | message | confidentiality
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    decision: Mapped[str | None] = mapped_column(String(24))  # the triage or the outcome given
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """Outbox: a message to send; the sender marks it sent (SMTP when configured, else logged)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    recipient_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationAddress(Base):
    """Where an organisation's notifications are e-mailed (set by the operator); without one
    they are only logged."""

    __tablename__ = "notification_addresses"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
