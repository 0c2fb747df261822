"""The risk model's inputs and fit, cached per process, keyed by a version held in the database.

A dashboard page showing the league table, the funnel and the model report asks for the same
cells and fit three times; an API worker and the Dash process ask separately. Each process
keeps a small LRU of (cells, fit) keyed by everything they depend on: contract, period, as_of,
horizon, covariates, min_level_n, the providers of the table and the contract's participant
data version. The version is a random token in `participant_data_versions`, renewed in the
transaction that stores a batch of events (a reaction to Kind.EVENTS): every process reads it
(one primary-key lookup) before trusting its cache, so a change made through any process
is seen by all, and a token is never reused across databases the way a counter would be.
A contract without a token (participants never changed through ingestion: a bulk-loaded
bench or test database) is never cached. Whoever writes participants without ingestion must
call `renew` (docs/decisions.md, 2026-12-06).
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.changes import Change
from app.models import ParticipantDataVersion

MAX_ENTRIES = 32  # a few contracts x periods; a fit of 2,000,000 participants is ~10,000 cells

T = TypeVar("T")
_entries: OrderedDict[Hashable, object] = OrderedDict()
_lock = threading.Lock()


def renew(session: Session, contract_id: int) -> None:
    """A new token for the contract's participant data, in the caller's transaction."""
    token = uuid.uuid4().hex
    changed = session.execute(update(ParticipantDataVersion)
                              .where(ParticipantDataVersion.contract_id == contract_id)
                              .values(token=token))
    if not changed.rowcount:  # type: ignore[attr-defined]
        # The first change: two concurrent first batches collide on the key, and ingestion
        # retries the loser, which then updates.
        session.add(ParticipantDataVersion(contract_id=contract_id, token=token))
        session.flush()


def renew_on_change(session: Session, change: Change) -> None:
    renew(session, change.contract_id)


def version(session: Session, contract_id: int) -> str | None:
    return session.scalar(select(ParticipantDataVersion.token)
                          .where(ParticipantDataVersion.contract_id == contract_id))


def cached(session: Session, contract_id: int, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for this key at the contract's current data version."""
    token = version(session, contract_id)
    if token is None:
        return compute()
    full_key = (contract_id, token, key)
    with _lock:
        if full_key in _entries:
            _entries.move_to_end(full_key)
            return _entries[full_key]  # type: ignore[return-value]
    value = compute()  # outside the lock: two misses at once both compute, harmlessly
    with _lock:
        _entries[full_key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
