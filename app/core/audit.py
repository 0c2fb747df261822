"""The audit log: who changed what. Rows are only ever inserted; the database refuses UPDATE and
DELETE on audit_log (migration 0003's triggers).

Every service that changes something calls `record_audit` once per change, in the same
transaction as the change (before `session.commit()`), so the entry exists exactly when the
change does:

    record_audit(session, principal, "complaint.transition", "complaint", complaint.id,
                 from_status="submitted", to_status="acknowledged")

`action` is `<entity>.<verb>`; `details` are the facts a reader needs (ids, old and new values,
the reason), never secrets or personal data. Each entry is also logged with the request id.
"""

import logging
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.models import AuditEntry

log = logging.getLogger("chainboard.audit")


def record_audit(session: Session, principal: Principal | None, action: str, entity_type: str,
                 entity_id: int | None, **details: Any) -> None:
    """`principal` is None for the operator's CLI and for scheduled jobs."""
    if principal is not None and principal.api_key_id is not None:
        details = {**details, "api_key_id": principal.api_key_id}
    session.add(AuditEntry(
        actor_user_id=principal.user_id if principal else None,
        actor_org_id=principal.organisation_id if principal else None,
        action=action, entity_type=entity_type, entity_id=entity_id,
        details={k: (str(v) if not isinstance(v, int | float | str | bool | None) else v)
                 for k, v in details.items()},
    ))
    log.info("%s %s %s", action, entity_type, entity_id, extra={
        "action": action, "entity_type": entity_type, "entity_id": entity_id,
        "actor_user_id": principal.user_id if principal else None,
        "actor_org_id": principal.organisation_id if principal else None})
