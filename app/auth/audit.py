"""The audit log's reader: entries in the principal's scope, filtered, oldest first.

The writer, `record_audit`, sits beside its table (app.models.audit); reading needs a
principal, its permission (audit.read: admins and reviewers) and its scope
(app.auth.scope.Scope.audit_entries), which live here in app.auth."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.auth.schemas import AuditFilters
from app.auth.scope import Scope
from app.core.pagination import PageParams, paginate
from app.models import AuditEntry


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def audit_statement(principal: Principal, filters: AuditFilters) -> Select[Any]:
    stmt = Scope(principal).audit_entries(select(AuditEntry))
    for column, value in ((AuditEntry.action, filters.action),
                          (AuditEntry.entity_type, filters.entity_type),
                          (AuditEntry.entity_id, filters.entity_id),
                          (AuditEntry.actor_user_id, filters.actor_user_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= _utc(filters.since))
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < _utc(filters.until))
    return stmt


def list_audit(session: Session, principal: Principal, filters: AuditFilters,
               page: PageParams) -> tuple[list[AuditEntry], str | None]:
    authorize(principal, "audit.read")
    return paginate(session, audit_statement(principal, filters), AuditEntry.id, page)
