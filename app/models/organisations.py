from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.models.base import Base, UTCDateTime

OrgKind = Literal["prime", "subcontractor", "reviewer"]
Sector = Literal["private", "public", "third"]

ORG_KINDS: tuple[OrgKind, ...] = get_args(OrgKind)
SECTORS: tuple[Sector, ...] = get_args(Sector)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('prime', 'subcontractor', 'reviewer')", name="kind"),
        CheckConstraint("sector IN ('private', 'public', 'third')", name="sector"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, trimmed, inner spaces collapsed: names are unique case-insensitively.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(String(16))
    sector: Mapped[Sector] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JoinCode(Base):
    """A code an organisation gives a prime so that the prime may invite it without seeing it
    first. Single use, expiring; only its SHA-256 is stored (it is random, as API keys are)."""

    __tablename__ = "join_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # identifies the code in lists
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
