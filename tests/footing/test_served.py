"""The real server process: killed with SIGKILL in the middle of a 10,000-event atomic batch,
it leaves the batch wholly stored or wholly absent, and the same batch sent again after a
restart gets the right counts. Its logs are JSON lines carrying each request's id."""

import json
import sqlite3
import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text

from app.models import Event, Milestone, Participant
from tests.footing.served import served
from tests.ingest.events import journey

APP_NAME = "chainboard-crash-test"
# Spaces, a quote and 140 characters: not kept, so no caller can forge what a log line says.
BAD_ID = "x\" level=ERROR " + "y" * 128


def _batch(world: Any, size: int = 10_000) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for number in range(size // 5):
        referred = date(2024, 2, 1) + timedelta(days=number % 300)
        events += journey(world.contract_a, f"CRASH-{number:05d}", world.s1, referred)
    assert len(events) == size
    return events


def _server_is_writing(engine: Engine) -> bool:
    """True while the server's ingestion transaction is open and has written (PostgreSQL), or
    holds the write lock (SQLite, taken at BEGIN IMMEDIATE)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                "AND backend_xid IS NOT NULL"), {"name": APP_NAME}).scalar_one())
    assert engine.url.database is not None  # a SQLite file
    probe = sqlite3.connect(engine.url.database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _counts(db: Any, contract_id: int) -> tuple[int, int, int]:
    db.rollback()
    events, participants, milestones = (
        int(db.scalar(select(func.count()).select_from(model)
                      .where(model.contract_id == contract_id)) or 0)
        for model in (Event, Participant, Milestone))
    return events, participants, milestones


def test_a_server_killed_mid_batch_leaves_all_or_nothing(world, db, engine, tmp_path):
    events = _batch(world)
    headers = world.keys["s1"]
    answers: list[Any] = []
    with served(tmp_path / "server.log", PGAPPNAME=APP_NAME) as server:
        def send() -> None:
            try:
                answers.append(httpx.post(f"{server.base_url}/api/v1/events", json=events,
                                          headers=headers, timeout=300))
            except httpx.HTTPError as exc:
                answers.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 120
        while not _server_is_writing(engine):
            assert sender.is_alive(), f"the batch finished before the kill: {answers}"
            assert time.monotonic() < deadline, "the server never started writing"
            time.sleep(0.005)
        server.kill()
        sender.join(30)
    assert answers and isinstance(answers[0], httpx.HTTPError), answers  # no answer came
    stored, participants, milestones = _counts(db, world.contract_a)
    assert (stored, participants) in ((0, 0), (10_000, 2_000)), (stored, participants)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

    with served(tmp_path / "restarted.log") as server:
        again = httpx.post(f"{server.base_url}/api/v1/events", json=events, headers=headers,
                           timeout=300)
        assert again.status_code == 200, again.text
        body = again.json()
    assert body["rejected"] == []
    assert body["accepted"] == 10_000 - stored
    assert body["duplicates"] == stored
    stored_after, participants_after, milestones_after = _counts(db, world.contract_a)
    assert (stored_after, participants_after) == (10_000, 2_000)
    assert milestones_after > 0 and (milestones in (0, milestones_after))


def test_served_logs_are_json_lines_carrying_the_request_id(world, tmp_path):
    request_id = f"trace-{uuid.uuid4().hex}"
    with served(tmp_path / "server.log", LOG_FORMAT="json") as server:
        given = httpx.get(f"{server.base_url}/api/v1/auth/me", headers={
            **world.keys["s1"], "X-Request-ID": request_id})
        made = httpx.get(f"{server.base_url}/api/v1/contracts/999999",
                         headers={**world.keys["s1"], "X-Request-ID": BAD_ID})
        time.sleep(0.3)  # let the log line reach the file
        lines = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
    assert given.headers["X-Request-ID"] == request_id
    assert made.status_code == 404
    replaced = made.headers["X-Request-ID"]
    assert replaced != BAD_ID and len(replaced) == 32
    ours = [line for line in lines if line.get("request_id") == request_id]
    assert [(line["logger"], line["method"], line["path"], line["status"]) for line in ours] \
        == [("chainboard.access", "GET", "/api/v1/auth/me", 200)]
    assert ours[0]["principal_role"] == "provider_user"
    assert ours[0]["principal"].startswith("api key ")
    assert any(line.get("request_id") == replaced and line["status"] == 404 for line in lines)
    # Start-up lines belong to no request: request_id is null, not missing.
    assert any(line["request_id"] is None for line in lines)
