"""Batches applied at the same time neither lose nor double an event."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.principal import Principal
from app.core.db import get_sessionmaker
from app.ingest.service import ingest_events
from app.models import Event, Participant
from tests.ingest.events import journey


def test_the_same_batch_sent_four_times_at_once_is_stored_once(world, db):
    events = [e for i in range(150)
              for e in journey(world.contract_a, f"C-{i}", world.s1, date(2024, 3, 1))]
    principal = Principal(role="provider_user", organisation_id=world.s1)

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


def test_eight_clients_with_resent_and_overlapping_batches_store_each_event_once(
        world, db, engine, tmp_path):
    """8 clients (API keys of one provider's systems) against a served app with two worker
    processes, each sending 10,000 events (2,000 on SQLite, whose writers queue) in batches of
    whole journeys: a quarter of the batches sent twice, and a fifth of each client's
    participants also sent by the next client. Afterwards the stored events are exactly the
    distinct events sent, and every answer's counts add up to its batch."""
    import random
    import threading

    import httpx

    from tests.footing.served import served
    from tests.world import api_key

    clients, per_client = 8, 10_000 if engine.dialect.name == "postgresql" else 2_000
    journeys_per_client = per_client // 5
    shared_per_pair = journeys_per_client // 5
    own_per_client = journeys_per_client - 2 * shared_per_pair
    referred = date(2024, 3, 1)

    def journeys(prefix: str, count: int) -> list[list[dict]]:
        return [journey(world.contract_a, f"{prefix}-{n:05d}", world.s1,
                        referred + timedelta(days=n % 200)) for n in range(count)]

    shared = [journeys(f"S{c}", shared_per_pair) for c in range(clients)]  # c and c+1 send it
    plans: list[list[list[dict]]] = []
    rng = random.Random(8)
    for c in range(clients):
        mine = journeys(f"O{c}", own_per_client) + shared[c] + shared[(c - 1) % clients]
        rng.shuffle(mine)
        batches = [[e for j in mine[i:i + 100] for e in j] for i in range(0, len(mine), 100)]
        resent = rng.sample(batches, len(batches) // 4)
        sends = list(batches)
        for batch in resent:  # again, somewhere after the first time
            sends.insert(rng.randint(sends.index(batch) + 1, len(sends)), batch)
        plans.append(sends)
    distinct = {e["event_id"]: e for plan in plans for batch in plan for e in batch}
    keys = [api_key(db, world.s1, "provider_user") for _ in range(clients)]

    answers: list[tuple[int, int, dict]] = []
    failures: list[str] = []

    def run_client(c: int, base_url: str) -> None:
        with httpx.Client(base_url=base_url, headers=keys[c], timeout=300) as http:
            for batch in plans[c]:
                response = http.post("/api/v1/events", json=batch)
                if response.status_code != 200:
                    failures.append(f"client {c}: {response.status_code} {response.text[:300]}")
                    return
                answers.append((c, len(batch), response.json()))

    with served(tmp_path / "server.log", workers=2) as server:
        threads = [threading.Thread(target=run_client, args=(c, server.base_url))
                   for c in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures, failures
    assert len(answers) == sum(len(plan) for plan in plans)
    for c, size, body in answers:
        assert body["rejected"] == [], (c, body["rejected"][:3])
        assert body["accepted"] + body["duplicates"] == size, (c, body)
    assert sum(body["accepted"] for _, _, body in answers) == len(distinct)
    db.rollback()
    stored = set(db.scalars(select(Event.event_id).where(Event.contract_id == world.contract_a)))
    assert stored == set(distinct)
    participants = clients * (own_per_client + shared_per_pair)
    assert db.scalar(select(func.count()).select_from(Participant)) == participants
