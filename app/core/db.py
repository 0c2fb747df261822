"""Engine and sessions. SQLite is the zero-setup default; PostgreSQL is production."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from app.core.config import get_settings

# Set as an execution option by writers that read-then-write so that on SQLite their transaction
# takes the write lock at BEGIN (waiting up to the busy timeout for it) instead of failing at its
# first write with "database is locked": in WAL mode a deferred transaction that has read cannot
# wait for the lock, since another writer's commit has made its snapshot stale. Write sessions
# (below) set it on every transaction; ingestion and the flag and complaint changes set it too.
SQLITE_IMMEDIATE = "chainboard_sqlite_immediate"
# session.info key: the session's transactions begin IMMEDIATE (a write session on SQLite).
_IMMEDIATE_SESSION = "chainboard.sqlite_immediate"
# Requests that only read; any other method may write and gets a write session.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


@lru_cache
def get_write_sessionmaker() -> sessionmaker[Session]:
    """Sessions for work that changes data (requests other than GET, the dashboard's actions,
    the CLI's commands). On SQLite every transaction they begin is BEGIN IMMEDIATE, so writers
    queue for the lock for up to the busy timeout; on PostgreSQL they are the plain sessions."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        return get_sessionmaker()
    return write_sessionmaker(engine)


def write_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """get_write_sessionmaker's sessions on any engine (the worker's, a test's own)."""
    if engine.dialect.name != "sqlite":
        return sessionmaker(bind=engine, expire_on_commit=False)
    return sessionmaker(bind=engine.execution_options(**{SQLITE_IMMEDIATE: True}),
                        expire_on_commit=False, info={_IMMEDIATE_SESSION: True})


def get_session(request: Request) -> Iterator[Session]:
    """The request's session: a write session unless the method only reads. Reads stay
    deferred, so on SQLite in WAL mode a reader never waits for a writer."""
    maker = get_sessionmaker if request.method in READ_METHODS else get_write_sessionmaker
    with maker()() as session:
        yield session


def get_read_session() -> Iterator[Session]:
    """For a request that reads only although its method is POST (signing in)."""
    with get_sessionmaker()() as session:
        yield session


@contextmanager
def lookup_apart(session: Session) -> Iterator[None]:
    """Run a lookup that precedes a write session's work (who is asking) in a deferred
    transaction of its own, ended after it: it neither holds the write lock through what comes
    before the writes (validating a batch) nor leaves a snapshot that the writes could not use.
    On any other session the lookup simply runs in the session's transaction."""
    if not session.info.get(_IMMEDIATE_SESSION):
        yield
        return
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={SQLITE_IMMEDIATE: False})
    try:
        yield
    finally:
        session.rollback()


def deferred_bind(bind: Engine | Connection) -> Engine | Connection:
    """`bind` with its transactions begun deferred (for a write session's follow-up work that
    mostly reads and takes the lock itself where it writes)."""
    if isinstance(bind, Engine) and bind.get_execution_options().get(SQLITE_IMMEDIATE):
        return bind.execution_options(**{SQLITE_IMMEDIATE: False})
    return bind
