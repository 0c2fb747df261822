"""What each role may do, declared in one table (DOMAIN.md section 9). Services call
`authorize` before acting; what a role may *see* is app.auth.scope's business."""

from app.auth.principal import Principal
from app.core.errors import Forbidden

PERMISSIONS: dict[str, frozenset[str]] = {
    "organisations.create": frozenset({"admin"}),
    "contracts.create": frozenset({"admin"}),
    "contracts.update": frozenset({"admin", "prime_manager"}),
    "members.manage": frozenset({"admin", "prime_manager"}),
    "payments.record": frozenset({"admin", "prime_manager"}),
    "users.create": frozenset({"admin"}),
    # A subcontractor has no "manager" role of its own: its provider users hold its keys.
    "api_keys.create": frozenset({"admin", "prime_manager", "provider_user"}),
    "events.submit": frozenset({"admin", "prime_manager", "provider_user"}),
    "events.read": frozenset({"admin", "prime_manager", "provider_user"}),
    "audit.read": frozenset({"admin"}),
}


def authorize(principal: Principal, action: str) -> None:
    if principal.role not in PERMISSIONS[action]:
        raise Forbidden(f"role '{principal.role}' may not {action.replace('.', ' ')}")
