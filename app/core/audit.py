"""The audit log: who changed what. Rows are only ever inserted."""

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.models import AuditEntry


def record_audit(session: Session, principal: Principal | None, action: str, entity_type: str,
                 entity_id: int | None, **details: Any) -> None:
    if principal is not None and principal.api_key_id is not None:
        details = {**details, "api_key_id": principal.api_key_id}
    session.add(AuditEntry(
        actor_user_id=principal.user_id if principal else None,
        actor_org_id=principal.organisation_id if principal else None,
        action=action, entity_type=entity_type, entity_id=entity_id,
        details={k: (str(v) if not isinstance(v, int | float | str | bool | None) else v)
                 for k, v in details.items()},
    ))
