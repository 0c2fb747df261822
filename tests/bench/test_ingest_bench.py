"""bench/ingest.py's baseline copies exactly the rows the service stored, whatever the chunks
hold (it died when a chunk held only events of participants copied already)."""

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from app.core.db import make_engine
from app.demo.generator import generate_cpa
from app.demo.loader import ADMIN, event_batches
from app.ingest.service import ingest_events
from app.models import Event, Participant

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import ingest as bench  # noqa: E402  (bench/ingest.py)


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return (conn.scalar(select(func.count()).select_from(Participant)) or 0,
                    conn.scalar(select(func.count()).select_from(Event)) or 0)
    finally:
        engine.dispose()


def test_the_plain_insert_copies_every_row_when_a_chunk_adds_no_participant(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpa = generate_cpa(12, seed=3, as_of=date(2026, 6, 30))
    ours, plain = f"sqlite:///{tmp_path}/ours.db", f"sqlite:///{tmp_path}/plain.db"
    ids = bench.prepare(cpa, ours)
    engine = make_engine(ours)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        for batch, _ in event_batches(cpa, ids, backfill=False):
            assert not ingest_events(session, ADMIN, batch).rejected
    engine.dispose()
    participants, events = _counts(ours)
    assert events > participants  # some participant has two events, so with one event per
    monkeypatch.setattr(bench, "BATCH_EVENTS", 1)  # chunk a chunk adds no participant

    run = bench.run_plain_insert(cpa, ours, plain)
    assert run.events == events
    assert _counts(plain) == (participants, events)
