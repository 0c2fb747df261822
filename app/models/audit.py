"""The audit log: who changed what. Rows are only ever inserted; the database refuses UPDATE and
DELETE on audit_log (migration 0003's triggers).

Every service that changes something calls `record_audit` once per change, in the same
transaction as the change (before `session.commit()`), so the entry exists exactly when the
change does:

    record_audit(session, principal, "complaint.transition", "complaint", complaint.public_id,
                 from_status="submitted", to_status="acknowledged")

`entity_id` is the entity's public id when it has one (app.models.base.PublicId), else its
integer id (organisations, contracts, users, memberships); it is stored as text either way, so
the reader shows and filters on what clients see. Details name records the same way.

`action` is `<entity>.<verb>`; `details` are the facts a reader needs (ids, old and new values,
the reason), never secrets or personal data. Each entry is also logged with the request id.

The writer sits beside its table rather than in app.core: the ground floor knows no table.
It takes any `Actor` (app.auth's Principal is one), so it knows no domain either.
"""

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.timeutil import utcnow
from app.models.auth import ApiKey
from app.models.base import Base, BigIntPK, PublicId, UTCDateTime

log = logging.getLogger("chainboard.audit")


class AuditEntry(PublicId, Base):
    """Who changed what. Append-only: the service inserts and never updates or deletes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    # The entity's public id, or the integer id of an entity without one, as text.
    entity_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Actor(Protocol):
    """Who acted, as far as the audit log needs to know."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def organisation_id(self) -> int | None: ...

    @property
    def api_key_id(self) -> int | None: ...


def record_audit(session: Session, principal: Actor | None, action: str, entity_type: str,
                 entity_id: int | str | None, **details: Any) -> None:
    """`principal` is None for the operator's CLI and for scheduled jobs. `entity_id`: the
    public id of an entity that has one (see the module docstring)."""
    if principal is not None and principal.api_key_id is not None:
        # The key's public id: keys are hidden from most readers, their count too.
        details = {**details, "api_key_id": session.scalar(
            select(ApiKey.public_id).where(ApiKey.id == principal.api_key_id))}
    reference = None if entity_id is None else str(entity_id)
    session.add(AuditEntry(
        actor_user_id=principal.user_id if principal else None,
        actor_org_id=principal.organisation_id if principal else None,
        action=action, entity_type=entity_type, entity_id=reference,
        details={k: (str(v) if not isinstance(v, int | float | str | bool | None) else v)
                 for k, v in details.items()},
    ))
    log.info("%s %s %s", action, entity_type, reference, extra={
        "action": action, "entity_type": entity_type, "entity_id": reference,
        "actor_user_id": principal.user_id if principal else None,
        "actor_org_id": principal.organisation_id if principal else None})
