"""Every endpoint of the OpenAPI document, called by every role and anonymously, on records of
the caller's own organisation and of another, answers as tests/footing/authz_matrix.py
declares; a change by a mutating call is in the audit log under the caller's name."""

from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry
from tests.footing.authz_matrix import ACTOR, MATRIX, ROLES, TARGETS, Context

METHODS = {"get", "post", "put", "patch", "delete"}


def openapi_operations(app: Any) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations if method in METHODS}


def test_every_endpoint_has_an_entry_in_the_matrix(app):
    operations = openapi_operations(app)
    missing = sorted(operations - set(MATRIX))
    assert not missing, (
        "no entry in tests/footing/authz_matrix.py MATRIX for: "
        + "; ".join(f"{method} {path}" for method, path in missing)
        + " (declare who may call it: see the module docstring)")
    stale = sorted(set(MATRIX) - operations)
    assert not stale, ("tests/footing/authz_matrix.py MATRIX names endpoints the app does not "
                       "have: " + "; ".join(f"{m} {p}" for m, p in stale))


def _audit_count(db, action: str) -> int:
    db.rollback()  # a fresh snapshot: see what the requests committed
    return int(db.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == action)) or 0)


@pytest.mark.parametrize("operation", sorted(MATRIX), ids=" ".join)
def test_each_role_gets_the_declared_answer(client, db, world, operation):
    method, path = operation
    entry = MATRIX[operation]
    ctx = Context(client, world)
    # One event on each contract, so that lists have another organisation's rows to hide.
    for target in TARGETS:
        answer = client.post("/api/v1/events", headers=ctx.admin, json=[ctx.referral(target)])
        assert answer.status_code == 200, answer.text
    wrong: list[str] = []
    for role in ROLES:
        headers = {} if role == "anonymous" else world.headers[ACTOR[role]]
        for target, expected in zip(TARGETS, entry.expect[role], strict=True):
            call = entry.build(ctx, role, target)
            audit = entry.audit.get(role) if isinstance(entry.audit, dict) else entry.audit
            before = _audit_count(db, audit) if audit else 0
            response = client.request(method, call.path, headers=headers, json=call.json,
                                      params=call.params, data=call.data, files=call.files)
            where = f"{role} on {target}: {method} {call.path}"
            if response.status_code != expected:
                wrong.append(f"{where} answered {response.status_code}, expected {expected}: "
                             f"{response.text[:200]}")
                continue
            if response.status_code >= 400:
                assert "detail" in response.json(), f"{where}: error without detail"
            if entry.leaks is not None and response.status_code == 200:
                leaked = entry.leaks(ctx, role, response.json())
                if leaked:
                    wrong.append(f"{where} showed another organisation's rows: {leaked}")
            if audit and 200 <= response.status_code < 300:
                if _audit_count(db, audit) != before + 1:
                    wrong.append(f"{where}: no '{audit}' audit entry")
                else:
                    latest = db.scalars(select(AuditEntry).where(
                        AuditEntry.action == audit).order_by(AuditEntry.id.desc())).first()
                    assert latest is not None
                    if latest.actor_user_id != world.user_ids[ACTOR[role]]:
                        wrong.append(f"{where}: audit entry names user {latest.actor_user_id}")
    assert not wrong, "\n".join(wrong)
