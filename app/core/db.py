"""Engine and sessions. SQLite is the zero-setup default; PostgreSQL is production."""

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings

# Set as an execution option by writers that read-then-write (ingestion) so that on SQLite their
# transaction takes the write lock at BEGIN instead of failing later with "database is locked".
SQLITE_IMMEDIATE = "chainboard_sqlite_immediate"


def make_engine(url: str, echo: bool = False, statement_timeout_ms: int = 0,
                sqlite_busy_timeout_ms: int = 30_000) -> Engine:
    """`statement_timeout_ms` bounds every statement on PostgreSQL (0: no bound; migrations
    run without one). SQLite has no statement timeout; `sqlite_busy_timeout_ms` bounds the wait
    for another writer's lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={
            "check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000})
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    connect_args: dict[str, Any] = {}
    if "+psycopg" in url:
        # No server-side prepared statements: a generic plan made while a table was small (a
        # fresh bulk load) would keep scanning it sequentially once it is large.
        connect_args["prepare_threshold"] = None
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args=connect_args)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed batch is on disk before the answer says so, power loss included
        # (NORMAL in WAL mode may lose the last commits); it cost nothing measurable in
        # bench/ingest.py, where commits are few and large.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(SQLITE_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, echo=settings.sql_echo,
                       statement_timeout_ms=settings.statement_timeout_ms,
                       sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    with get_sessionmaker()() as session:
        yield session
