"""The migrations are the schema: what `alembic upgrade head` built equals the models."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import sessionmaker

from app.cli import PROJECT_ROOT
from app.core.db import make_engine
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Base, PaidEventCount, Participant, ProviderDailyTotal
from tests.conftest import _postgres_database


def test_the_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture()
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own: this test migrates down and up again."""
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if server_url.startswith("postgresql"):
        yield from _postgres_database(server_url)
    else:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"


def _alembic(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def test_0004_to_0006_backfill_daily_counts_totals_and_months_to_outcome(
        scratch_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data ingested, then 0004 to 0006 undone and redone: what their backfills compute
    equals what ingestion wrote, and undoing 0006 counts every event by day and lag."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr("app.auth.service.hash_password", cheap.hash)
    command.upgrade(_alembic(scratch_url), "head")
    engine = make_engine(scratch_url)
    try:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        assert load_demo(factory, generate_cpa(300, 3, today()), progress=False).rejected == []

        def snapshot() -> tuple[set[Any], ...]:
            with engine.connect() as conn:
                return (set(conn.execute(select(Participant.id, Participant.months_to_outcome)
                                         ).all()),
                        set(conn.execute(select(PaidEventCount.__table__)).all()),
                        # Rows whose checks all moved to other days stay, at zero.
                        {row for row in conn.execute(select(ProviderDailyTotal.__table__))
                         if any(row[3:])})

        ingested = snapshot()
        engine.dispose()
        command.downgrade(_alembic(scratch_url), "0005")
        with engine.connect() as conn:
            lag = "CASE WHEN lag_days > 366 THEN 366 ELSE lag_days END"
            assert set(conn.execute(text(
                "SELECT contract_id, event_date, provider_id, lag_days, events "
                "FROM event_lag_counts")).all()) == set(conn.execute(text(
                    f"SELECT contract_id, event_date, provider_id, {lag}, COUNT(*) FROM events "
                    f"GROUP BY contract_id, event_date, provider_id, {lag}")).all())
            assert conn.scalar(text("SELECT SUM(events) FROM event_lag_counts")) == \
                conn.scalar(text("SELECT COUNT(*) FROM events"))
        engine.dispose()
        command.downgrade(_alembic(scratch_url), "0003")
        command.upgrade(_alembic(scratch_url), "head")
        assert snapshot() == ingested
        assert any(months is not None for _, months in ingested[0])
        assert ingested[1] and ingested[2]
    finally:
        engine.dispose()


def test_0016_saved_views_down_and_up(scratch_url: str) -> None:
    command.upgrade(_alembic(scratch_url), "head")
    command.downgrade(_alembic(scratch_url), "0015")
    engine = make_engine(scratch_url)
    try:
        with engine.connect() as conn:
            assert "saved_views" not in inspect(conn).get_table_names()
        command.upgrade(_alembic(scratch_url), "head")
        with engine.connect() as conn:
            assert "saved_views" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_0017_job_runs_down_and_up(scratch_url: str) -> None:
    command.upgrade(_alembic(scratch_url), "head")
    command.downgrade(_alembic(scratch_url), "0016")
    engine = make_engine(scratch_url)
    try:
        with engine.connect() as conn:
            assert "job_runs" not in inspect(conn).get_table_names()
        command.upgrade(_alembic(scratch_url), "head")
        with engine.connect() as conn:
            assert "job_runs" in inspect(conn).get_table_names()
    finally:
        engine.dispose()
