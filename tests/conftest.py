"""Test fixtures: a real database built by `alembic upgrade head`, the app through HTTP.

The backend is chosen by TEST_DATABASE_URL: a SQLite file by default, or a PostgreSQL server
URL (`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`), on which a fresh database is
created for the run and dropped after it. `make test` runs the suite once on each.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.models import Base


def _postgres_database(server_url: str) -> Iterator[str]:
    name = f"chainboard_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def reactions() -> None:
    """The domains' reactions to each other's changes, as the app and the CLI install them."""
    from app.wiring import install_reactions

    install_reactions()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if server_url.startswith("postgresql"):
        yield from _postgres_database(server_url)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "chainboard-test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("ENVIRONMENT", "test")
    # The suite sends far more requests per user than any client should: rate limits are off
    # here, and tests/footing/test_limits.py turns them on for its own app.
    os.environ.setdefault("RATE_LIMIT", "")
    os.environ.setdefault("LOGIN_RATE_LIMIT", "")
    from app.cli import run_migrations
    from app.core.config import get_settings
    from app.core.db import get_engine, get_sessionmaker

    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    run_migrations(database_url)
    engine = get_engine()
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    # DELETE, children first: much faster than TRUNCATE for the few rows a test leaves. The
    # append-only history tables refuse DELETE (migration 0003's triggers): PostgreSQL skips
    # ordinary triggers for this transaction (the test role is a superuser); on SQLite the
    # triggers are dropped and created again inside the same transaction.
    with engine.begin() as conn:
        triggers: list[Any] = []
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            triggers = list(conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")))
            for name, _sql in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for _name, sql in triggers:
            conn.execute(text(sql))


@pytest.fixture()
def db(engine: Engine) -> Iterator[Session]:
    """A session on an empty database (every table emptied before the test)."""
    _empty_all_tables(engine)
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as session:
        yield session


@pytest.fixture(scope="session")
def app(engine: Engine) -> Any:
    from app.main import create_app

    return create_app(with_dashboard=False)


@pytest.fixture()
def client(app: Any, db: Session) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


from tests.world import world  # noqa: E402, F401  (the shared supply-chain fixture)
