"""Runs each scheduled job at most once per period, however many workers run beside each other.

A job's period is a function of the clock (`every(minutes=15)`, `quarterly`); the clock is an
argument, so tests step through time. A worker claims a period by inserting the job_runs row
(job, period_start): the unique pair lets exactly one insert win, on SQLite and PostgreSQL
alike, and the loser skips. On PostgreSQL a transaction-level advisory lock per job is held
while the job runs as well, so a slow run is never overlapped by another worker's run of the
next period. A failing job is recorded with its error and the others still run.
"""

import hashlib
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from app.core.config import get_settings
from app.core.db import write_sessionmaker
from app.core.timeutil import utcnow
from app.models import JobRun
from app.models.jobs import JOB_DETAIL_LENGTH, JobOutcome

log = logging.getLogger("chainboard.worker")

Period = Callable[[datetime], datetime]
"""Maps a moment to the start of the period holding it (an aware UTC datetime)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The first key of PostgreSQL's two-key advisory locks: the two-key space never overlaps the
# one-key space that ingestion's participant locks use.
_LOCK_CLASS = 0x63620001


def every(*, minutes: int = 0, hours: int = 0, days: int = 0) -> Period:
    """Periods of a fixed length, counted from midnight UTC of 1 January 1970: a length that
    divides a day starts on the hour (every 15 minutes: :00, :15, :30, :45)."""
    step = timedelta(minutes=minutes, hours=hours, days=days)
    if step <= timedelta(0):
        raise ValueError("a period must be longer than zero")

    def period_start(moment: datetime) -> datetime:
        return _EPOCH + ((moment.astimezone(UTC) - _EPOCH) // step) * step

    return period_start


def quarterly(moment: datetime) -> datetime:
    """Calendar quarters (1 January, 1 April, 1 July, 1 October) at midnight in the programme's
    timezone, so a quarter begins when the programme's calendar says it does."""
    zone = ZoneInfo(get_settings().timezone)
    local = moment.astimezone(zone)
    start = datetime(local.year, 3 * ((local.month - 1) // 3) + 1, 1, tzinfo=zone)
    return start.astimezone(UTC)


@dataclass(frozen=True)
class Job:
    """A scheduled job. `run` gets the worker's engine and clock and returns one line for the
    record (what it did); raising marks the period's run failed with the error."""

    name: str
    period: Period
    run: Callable[[Engine, datetime], str]


@dataclass(frozen=True)
class Ran:
    """A run this worker did: its job_runs row's job, period, outcome and line."""

    job: str
    period_start: datetime
    outcome: JobOutcome
    detail: str


def worker_name() -> str:
    """host:pid, short enough for job_runs.worker (a host name may have 253 characters)."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}"


def run_due_jobs(engine: Engine, now: datetime, jobs: Sequence[Job],
                 worker: str | None = None) -> list[Ran]:
    """Run every job whose period at `now` no worker has claimed yet; returns what ran here."""
    worker = worker or worker_name()
    ran = []
    for job in jobs:
        try:
            result = run_if_due(engine, job, now, worker)
        except Exception:  # the database is away, say: the next tick tries again
            log.exception("job %s: could not be claimed or recorded", job.name)
            continue
        if result is not None:
            ran.append(result)
    return ran


def run_if_due(engine: Engine, job: Job, now: datetime, worker: str) -> Ran | None:
    period_start = job.period(now)
    with _job_lock(engine, job.name) as locked:
        if not locked:  # another worker is running this job now (PostgreSQL)
            return None
        run_id = _claim(engine, job.name, period_start, worker)
        if run_id is None:
            return None
        outcome: JobOutcome
        try:
            detail, outcome = job.run(engine, now), "done"
        except Exception as exc:
            log.exception("job %s (period %s) failed", job.name, period_start.isoformat())
            detail, outcome = f"{type(exc).__name__}: {exc}", "failed"
        detail = detail[:JOB_DETAIL_LENGTH]
        with write_sessionmaker(engine).begin() as session:
            session.execute(update(JobRun).where(JobRun.id == run_id).values(
                outcome=outcome, detail=detail, finished_at=utcnow()))
    log.info("job %s (period %s): %s: %s", job.name, period_start.isoformat(), outcome, detail)
    return Ran(job.name, period_start, outcome, detail)


def _claim(engine: Engine, job: str, period_start: datetime, worker: str) -> int | None:
    """The id of the new job_runs row, or None when the period is claimed already."""
    with sessionmaker(bind=engine)() as session:  # a plain read first: most ticks stop here
        if session.scalar(select(JobRun.id).where(JobRun.job == job,
                                                  JobRun.period_start == period_start)):
            return None
    run = JobRun(job=job, period_start=period_start, worker=worker, started_at=utcnow(),
                 outcome="running")
    try:
        with write_sessionmaker(engine).begin() as session:
            session.add(run)
    except IntegrityError:  # another worker inserted it between our read and our insert
        return None
    return run.id


@contextmanager
def _job_lock(engine: Engine, job: str) -> Iterator[bool]:
    """On PostgreSQL, whether this worker holds the job's advisory lock; held by a transaction
    of its own until the block ends, since the job commits its own work as it goes. SQLite
    takes one writer at a time and chainboard runs one worker on it: always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection, connection.begin():
        yield bool(connection.scalar(
            select(func.pg_try_advisory_xact_lock(_LOCK_CLASS, _lock_key(job)))))


def _lock_key(job: str) -> int:
    """A stable signed 32-bit key for the job's name (Python's hash() differs per process)."""
    return int.from_bytes(hashlib.blake2b(job.encode(), digest_size=4).digest(), "big",
                          signed=True)
