"""Merlin complaints (DOMAIN.md section 8) and their append-only history."""

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.auth import Role
from app.models.base import Base, PublicId, UTCDateTime

ComplaintPrinciple = Literal["supply_chain_design", "commitment", "conduct", "review",
                             "commercial"]
ComplaintStatus = Literal[
    "submitted", "acknowledged", "investigating", "resolved", "escalated", "triaged",
    "independent_review", "decided", "closed", "withdrawn",
]
# Where the complaint sits in the Merlin route (app.complaints.workflow.STAGE_OF_STATUS).
ComplaintStage = Literal["prime_procedure", "merlin_triage", "independent_review"]
Triage = Literal["merlin", "commercial"]
Outcome = Literal["upheld", "partially_upheld", "not_upheld"]
EntryKind = Literal["transition", "message", "confidentiality"]

COMPLAINT_PRINCIPLES: tuple[ComplaintPrinciple, ...] = get_args(ComplaintPrinciple)
COMPLAINT_STATUSES: tuple[ComplaintStatus, ...] = get_args(ComplaintStatus)
_STATUS_CHECK = "status IN ('" + "', '".join(COMPLAINT_STATUSES) + "')"


class Complaint(PublicId, Base):
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
    principle: Mapped[ComplaintPrinciple] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ComplaintStatus] = mapped_column(String(24), default="submitted")
    # prime_procedure -> merlin_triage -> independent_review (where the complaint now sits).
    stage: Mapped[ComplaintStage] = mapped_column(String(24), default="prime_procedure")
    triage: Mapped[Triage | None] = mapped_column(String(16))
    outcome: Mapped[Outcome | None] = mapped_column(String(24))
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


class ComplaintEntry(PublicId, Base):
    """One transition or message. Append-only: inserted, never updated or deleted."""

    __tablename__ = "complaint_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(String(16))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(String(24))
    to_status: Mapped[ComplaintStatus | None] = mapped_column(String(24))
    # The triage or the outcome given.
    decision: Mapped[Triage | Outcome | None] = mapped_column(String(24))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_role: Mapped[Role] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(PublicId, Base):
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
