"""Merlin Standard and contract-compliance flags (DOMAIN.md section 7)."""

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, PublicId, UTCDateTime
from app.models.complaints import Complaint

FlagStatus = Literal["open", "acknowledged", "resolved"]
Severity = Literal["low", "medium", "high"]
Standard = Literal["merlin-2012", "contract"]
# The 2012 principle for Merlin rules; the obligation for contract rules.
FlagPrinciple = Literal["supply_chain_design", "commitment", "conduct", "review",
                        "check_compliance", "data_timeliness", "performance"]
RuleCode = Literal["SCD-1", "SCD-2", "COM-1", "CON-1", "CON-2", "CON-3", "REV-1", "CC-CHECKS",
                   "CC-TIMELINESS", "CC-RAG"]

FLAG_STATUSES: tuple[FlagStatus, ...] = get_args(FlagStatus)


class ComplianceFlag(PublicId, Base):
    __tablename__ = "compliance_flags"
    __table_args__ = (
        Index("ix_compliance_flags_contract_status", "contract_id", "status"),
        # One live flag per rule and subject: recomputation updates it, never duplicates it.
        Index(
            "uq_compliance_flags_live", "contract_id", "rule", "key", unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    subject_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    rule: Mapped[RuleCode] = mapped_column(String(16))
    # What makes this flag distinct within its rule (the member, a payment id, a complaint id).
    key: Mapped[str] = mapped_column(String(100))
    # The complaint a CON-1 / CON-3 flag is about: its confidentiality decides what the
    # prime's users may see of the flag (app.auth.scope).
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    # That complaint's public id, loaded with the flag (answers name the complaint by it).
    complaint_ref: Mapped[str | None] = column_property(
        select(Complaint.public_id).where(Complaint.id == complaint_id).scalar_subquery())
    standard: Mapped[Standard] = mapped_column(String(16))
    principle: Mapped[FlagPrinciple] = mapped_column(String(40))
    severity: Mapped[Severity] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[FlagStatus] = mapped_column(String(16), default="open")
    first_detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a recomputation no longer finds the condition (the flag stays for the record).
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_note: Mapped[str | None] = mapped_column(Text)
    status_changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ComplianceContractState(Base):
    """When a contract's flags were last computed, and whether data changed since.

    Ingestion only sets `stale_since` (one cheap UPDATE per batch and contract); the flags
    endpoint and the scheduled command recompute stale contracts (app.compliance.service)."""

    __tablename__ = "compliance_contract_states"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True,
                                             autoincrement=False)
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
