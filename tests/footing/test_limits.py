"""Limits a client meets: body size (413), rate limits (429 with Retry-After), page sizes on every
list, and the database's time limits (503, nothing changed, safe to send again)."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker

from app.core.db import get_session, make_engine
from app.core.pagination import MAX_LIMIT
from app.ingest.service import _participant_lock_key
from app.main import create_app
from app.models import Event
from tests.helpers import API, PASSWORD, add_user, settings_env


def _referral(contract_id: int, provider_id: int, number: int) -> dict[str, Any]:
    return {"event_id": f"lim-{number}", "contract_id": contract_id,
            "participant_ref": f"LIM-{number}", "type": "referral", "event_date": "2025-06-02",
            "payment_group": "jsa_25_plus", "provider_id": provider_id}


@contextmanager
def app_with(**settings: str) -> Iterator[Any]:
    """An app built with these settings (environment variables) on the test database."""
    with settings_env(**settings):
        yield create_app(with_dashboard=False)


def _stored_events(db) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Event)) or 0)


# -- body size ---------------------------------------------------------------------------------
def test_a_body_over_the_limit_answers_413_and_stores_nothing(world, db):
    events = [_referral(world.contract_a, world.s1, n) for n in range(40)]
    with app_with(MAX_BODY_BYTES="2000") as app, TestClient(app) as client:
        headers = world.keys["s1"]
        declared = client.post(f"{API}/events", headers=headers, json=events)
        # No Content-Length: the body streams in chunks and is cut off as it passes the limit.
        chunks = (bytes([byte]) * 500 for byte in b"[" * 10)
        streamed = client.post(f"{API}/events", headers={**headers,
                                                          "Content-Type": "application/json"},
                               content=chunks)
        csv = client.post(f"{API}/events/csv", headers=headers,
                          files={"file": ("big.csv", b"event_id\n" + b"x\n" * 2000)})
        small = client.post(f"{API}/events", headers=headers, json=events[:2])
    for answer in (declared, streamed, csv):
        assert answer.status_code == 413, answer.text
        assert answer.json()["detail"].startswith("body: larger than the 2,000 bytes")
        assert answer.headers["x-request-id"]
    assert small.status_code == 200, small.text
    assert _stored_events(db) == 2


# -- rate limits -------------------------------------------------------------------------------
def test_each_api_key_has_its_own_rate_limit(world):
    with app_with(RATE_LIMIT="3/minute") as app, TestClient(app) as client:
        third = [client.get(f"{API}/auth/me", headers=world.keys["s1"]) for _ in range(4)]
        private = client.get(f"{API}/auth/me", headers=world.keys["s2"])
    assert [a.status_code for a in third] == [200, 200, 200, 429]
    refused = third[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("rate limit: at most 3 per 1 minute for this "
                                               "api key; try again in")
    assert private.status_code == 200


def test_logins_are_limited_per_username_even_with_the_right_password(client, db):
    add_user(db, "alice", "admin")
    add_user(db, "bob", "admin")
    with app_with(LOGIN_RATE_LIMIT="2/minute") as app, TestClient(app) as limited:
        wrong = limited.post(f"{API}/auth/token", data={"username": "alice", "password": "no"})
        right = limited.post(f"{API}/auth/token",
                             data={"username": "alice", "password": PASSWORD})
        third = limited.post(f"{API}/auth/token",
                             data={"username": "Alice", "password": PASSWORD})
        bob = limited.post(f"{API}/auth/token", data={"username": "bob", "password": PASSWORD})
    assert [wrong.status_code, right.status_code, third.status_code, bob.status_code] == [
        401, 200, 429, 200]
    assert "Retry-After" in third.headers
    assert third.json()["detail"].startswith("rate limit:")


def test_a_malformed_rate_limit_setting_is_refused_at_start_up():
    with pytest.raises(ValueError, match="rate_limit"), app_with(RATE_LIMIT="lots per hour"):
        pass


# -- pagination --------------------------------------------------------------------------------
# Reports answered in one page, like the league table (API.md): their rows are bounded by the
# contract itself (its months, its providers), not by the data sent in (docs/decisions.md).
ONE_PAGE_REPORTS = {f"{API}/contracts/{{contract_id}}/cohorts",
                    f"{API}/contracts/{{contract_id}}/payments-earned"}


def _list_operations(app: Any) -> list[tuple[str, dict[str, Any]]]:
    """GET operations whose answer is a page: `{"rows": [...], "next_cursor": ...}`."""
    document = app.openapi()
    schemas = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        content = get["responses"]["200"].get("content", {}).get("application/json", {})
        ref = content.get("schema", {}).get("$ref", "")
        properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if "next_cursor" in properties and path not in ONE_PAGE_REPORTS:
            found.append((path, get))
    return found


def test_every_list_is_paged_and_capped_at_1000_rows(client, app, world):
    lists = _list_operations(app)
    assert len(lists) >= 7  # api keys, organisations, contracts, members, payments, events, ...
    for path, operation in lists:
        limits = [p for p in operation["parameters"] if p["name"] == "limit"]
        cursors = [p for p in operation["parameters"] if p["name"] == "cursor"]
        assert limits and cursors, f"{path}: a list without limit and cursor parameters"
        assert limits[0]["schema"]["maximum"] == MAX_LIMIT == 1000, path
        url = path.replace("{contract_id}", str(world.contract_a))
        too_many = client.get(url, headers=world.headers["admin"], params={"limit": 1001})
        assert too_many.status_code == 422, f"{path}: {too_many.text}"
        assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]
        most = client.get(url, headers=world.headers["admin"], params={"limit": 1000})
        assert most.status_code == 200, f"{path}: {most.text}"


# -- database time limits ----------------------------------------------------------------------
def test_postgresql_sessions_carry_the_statement_timeout(engine, database_url):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statement_timeout")
    quick = make_engine(database_url, statement_timeout_ms=200)
    try:
        with quick.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
            with pytest.raises(Exception, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(2)"))
    finally:
        quick.dispose()
    with engine.connect() as conn:  # the app's own sessions: the setting's default, 60 s
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "1min"


def test_a_batch_that_cannot_get_its_lock_in_time_answers_503_and_stores_nothing(
        app, world, db, engine, database_url):
    """Another transaction holds what the batch needs for longer than the database waits: the
    answer is 503 with Retry-After, nothing is stored, and the same batch sent later is taken."""
    impatient = make_engine(database_url, statement_timeout_ms=300, sqlite_busy_timeout_ms=300)
    impatient_sessions = sessionmaker(bind=impatient, expire_on_commit=False)

    def impatient_session() -> Iterator[Any]:
        with impatient_sessions() as session:
            yield session

    events = [_referral(world.contract_a, world.s1, n) for n in range(3)]
    headers = world.keys["s1"]  # its key is stored before the lock is taken
    holder_ready, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        if engine.dialect.name == "postgresql":
            holder = create_engine(database_url)
            with holder.begin() as conn:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {
                    "key": _participant_lock_key(world.contract_a, "LIM-0")})
                holder_ready.set()
                release.wait(10)
            holder.dispose()
        else:
            locker = sqlite3.connect(engine.url.database, timeout=5)
            locker.execute("BEGIN IMMEDIATE")
            holder_ready.set()
            release.wait(10)
            locker.rollback()
            locker.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    app.dependency_overrides[get_session] = impatient_session
    try:
        assert holder_ready.wait(10)
        with TestClient(app) as client:
            busy = client.post(f"{API}/events", headers=headers, json=events)
            release.set()
            holder.join()
            again = client.post(f"{API}/events", headers=headers, json=events)
    finally:
        release.set()
        app.dependency_overrides.clear()
        impatient.dispose()
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"] == "5"
    assert busy.json()["detail"].startswith("database: busy or too slow")
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == 3
    assert _stored_events(db) == 3
