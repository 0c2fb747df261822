"""How compliance flags follow the changes other domains publish (app.core.changes).

Every change marks its contract's flags stale in the writer's transaction (one cheap UPDATE):
the next read of the flags recomputes them. Payments, member statuses and complaints feed
rules whose flags people watch for at once, so those rules are also recomputed as soon as the
change commits, in a transaction of their own.
"""

from sqlalchemy.orm import Session

from app.compliance.service import GROUPS_AFTER, mark_contracts_stale, recompute_flags
from app.core import changes
from app.core.changes import Change, Kind


def _mark_stale(session: Session, change: Change) -> None:
    mark_contracts_stale(session, [change.contract_id])


def _recompute_now(session: Session, change: Change) -> None:
    groups = {group for kind in change.kinds for group in GROUPS_AFTER.get(kind, ())}
    recompute_flags(session, change.contract_id, groups=sorted(groups))


def register() -> None:
    changes.on(set(Kind), _mark_stale)
    changes.on(GROUPS_AFTER.keys(), _recompute_now, after_commit=True)
