"""Batches applied at the same time neither lose nor double an event."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.principal import Principal
from app.core.db import get_sessionmaker
from app.ingest.service import ingest_events
from app.models import Event, Participant
from tests.ingest.events import journey


def test_the_same_batch_sent_four_times_at_once_is_stored_once(world, db):
    events = [e for i in range(150)
              for e in journey(world.contract_id, f"C-{i}", world.third_id, date(2024, 3, 1))]
    principal = Principal(role="provider_user", organisation_id=world.third_id)

    def send(_: int) -> tuple[int, int, int]:
        with get_sessionmaker()() as session:
            result = ingest_events(session, principal, events)
        return result.accepted, result.duplicates, len(result.rejected)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(send, range(4)))
    assert sorted(answers) == [(0, len(events), 0)] * 3 + [(len(events), 0, 0)]
    assert db.scalar(select(func.count()).select_from(Event)) == len(events)
    assert db.scalar(select(func.count()).select_from(Participant)) == 150


def test_an_ingesting_transaction_holds_sqlites_write_lock_from_its_start(engine, world, db):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL's advisory locks are covered by the test above")
    import sqlite3

    from app.core.db import SQLITE_IMMEDIATE

    with get_sessionmaker()() as session:
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
        other = sqlite3.connect(engine.url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            raise AssertionError("a second writer got the lock")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        finally:
            other.close()
