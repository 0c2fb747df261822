"""What changed, and who reacts: how a domain keeps the domains above it in step without
calling up into them.

A domain that changes a contract's data says so, in its own transaction, before it commits:

    changes.publish(session, contract.id, Kind.PAYMENT)

The domains that depend on that data registered their reactions when the process started
(each in its own `reactions.py`, installed together by `app.wiring.install_reactions`):

- `on(kind, reaction)`: runs at once, inside the writer's transaction, so its writes commit or
  roll back with the change (rescheduling checks, rebuilding daily totals, marking flags
  stale). An error here fails the change, as it would have failed in the writer's own code.
- `on(kind, reaction, after_commit=True)`: queued on the session and run once the writer's
  transaction has committed, in a session of its own, so it never holds the writer's locks
  and never undoes its change (recomputing flags). A rollback drops the queue. An error is
  logged and swallowed: the change stands, and the reaction's own domain is expected to leave
  itself able to catch up (compliance keeps the contract stale).

Reactions to one change run in the order they were installed; a change published twice in one
transaction runs each after-commit reaction once per contract with the union of the kinds.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.core.db import deferred_bind

log = logging.getLogger(__name__)


class Kind(StrEnum):
    """What about a contract changed."""

    SCHEDULE = "schedule"  # the milestone schedule (which in-work checks are owed, when)
    TARIFF = "tariff"  # a tariff row added (fees, and the checks they make worth calling)
    TIMELINESS = "timeliness"  # settings.timeliness_days (which events count as timely)
    SETTINGS = "settings"  # any other setting: thresholds, windows, visibility
    MEMBER_ADDED = "member_added"  # a provider joined the supply chain
    MEMBER_STATUS = "member_status"  # a member's status changed (plan, suspension, exit)
    PAYMENT = "payment"  # a payment to a member recorded or paid
    COMPLAINT = "complaint"  # a complaint raised, moved on or found in breach of its SLA
    EVENTS = "events"  # a batch of participant events stored
    RATING = "rating"  # a quarter's rating published (or corrected)


@dataclass(frozen=True)
class Change:
    contract_id: int
    kinds: frozenset[Kind]


Reaction = Callable[[Session, Change], None]


@dataclass(frozen=True)
class _Registration:
    kinds: frozenset[Kind]
    reaction: Reaction
    after_commit: bool


_registry: list[_Registration] = []
_PENDING = "chainboard.changes.pending"  # session.info key: contract id -> kinds to react to


def on(kinds: Kind | Iterable[Kind], reaction: Reaction, *, after_commit: bool = False) -> None:
    """Run `reaction(session, change)` whenever a change with any of `kinds` is published."""
    wanted = frozenset([kinds] if isinstance(kinds, Kind) else kinds)
    _registry.append(_Registration(wanted, reaction, after_commit))


def clear() -> None:
    """Forget every reaction (wiring installs them afresh)."""
    _registry.clear()


def reactions(kind: Kind, *, after_commit: bool) -> list[Reaction]:
    """The reactions installed for `kind`, in the order they run."""
    return [r.reaction for r in _registry if kind in r.kinds and r.after_commit == after_commit]


def publish(session: Session, contract_id: int, *kinds: Kind) -> None:
    """The caller changed this contract's data in the session's current transaction: run the
    in-transaction reactions now and queue the after-commit ones."""
    if not kinds:
        return
    if not _registry:  # a process that forgot app.wiring would silently leave flags behind
        raise RuntimeError("no reactions installed: call app.wiring.install_reactions() "
                           "when the process starts")
    change = Change(contract_id, frozenset(kinds))
    session.connection()  # in a transaction, so that its rollback drops what is queued here
    session.flush()  # the reactions read what the writer has written
    for registration in _registry:
        if registration.kinds & change.kinds and not registration.after_commit:
            registration.reaction(session, change)
    pending: dict[int, set[Kind]] = session.info.setdefault(_PENDING, {})
    pending.setdefault(contract_id, set()).update(kinds)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending: dict[int, set[Kind]] = session.info.pop(_PENDING, {})
    if not pending:
        return
    # The writer's session may emit no SQL here; the reactions get one of their own, whose
    # transactions begin deferred: they mostly read, and take SQLite's lock where they write.
    with Session(bind=deferred_bind(session.get_bind()), expire_on_commit=False) as own:
        for contract_id, kinds in sorted(pending.items()):
            change = Change(contract_id, frozenset(kinds))
            for registration in _registry:
                if not (registration.after_commit and registration.kinds & change.kinds):
                    continue
                try:
                    registration.reaction(own, change)
                except Exception:
                    own.rollback()
                    log.exception("after-commit reaction %s to %s failed",
                                  getattr(registration.reaction, "__qualname__", "?"), change)


@event.listens_for(Session, "after_transaction_end")
def _drop_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the queue was taken above; any other end of the outermost transaction
    # (rollback, close) means the change never happened.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
