"""The worker against a clock the tests control: each job once per period, a failure recorded
without stopping the others, two workers at once, PostgreSQL's advisory lock, the command, the
APScheduler loop and `chainboard demo`'s worker."""

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.complaints.notifications import set_notification_address
from app.core.db import make_engine
from app.models import JobRun
from app.worker.jobs import JOBS
from app.worker.runner import Job, Period, Ran, every, quarterly, run_due_jobs
from app.worker.scheduler import make_scheduler
from tests.complaints.conftest import backdate, notifications, raise_complaint
from tests.helpers import settings_env
from tests.world import World

# A Monday morning after the world's data: the complaints raised today are weeks old by then.
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SWEEP = next(job for job in JOBS if job.name == "complaints-sweep")
SEND = next(job for job in JOBS if job.name == "send-notifications")


def counting(name: str, period: Period, calls: list[str]) -> Job:
    def run(engine: Engine, now: datetime) -> str:
        calls.append(name)
        return "counted"

    return Job(name, period, run)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def runs_by_job(db: Session) -> Counter[str]:
    db.rollback()  # a fresh snapshot: see what the workers committed
    return Counter(db.scalars(select(JobRun.job)))


def test_periods_start_on_the_clock_and_quarters_on_the_programmes_calendar():
    moment = datetime(2027, 1, 4, 9, 44, 59, tzinfo=UTC)
    assert every(minutes=1)(moment) == datetime(2027, 1, 4, 9, 44, tzinfo=UTC)
    assert every(minutes=15)(moment) == datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
    assert every(hours=1)(moment) == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert every(days=1)(moment) == datetime(2027, 1, 4, tzinfo=UTC)
    assert quarterly(moment) == datetime(2027, 1, 1, tzinfo=UTC)
    # Summer time: the second quarter begins at midnight in London, 23:00 UTC the day before.
    assert quarterly(datetime(2027, 3, 31, 22, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert quarterly(datetime(2027, 3, 31, 23, 0, tzinfo=UTC)) == datetime(
        2027, 3, 31, 23, 0, tzinfo=UTC)
    assert quarterly(datetime(2027, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2027, 9, 30, 23, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        every(minutes=0)


def test_over_three_hours_in_minute_steps_each_job_runs_once_per_period(
        client, db: Session, world: World, engine: Engine):
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    backdate(db, complaint, 60)
    calls: list[str] = []
    jobs = [*JOBS, counting("each-minute", every(minutes=1), calls),
            counting("each-quarter-hour", every(minutes=15), calls),
            counting("each-hour", every(hours=1), calls),
            counting("each-quarter", quarterly, calls)]
    ran: list[Ran] = []
    for minute in range(180):
        now = T0 + timedelta(minutes=minute, seconds=20)
        ran += run_due_jobs(engine, now, jobs, worker="w1")
        # A second tick within the same minute finds nothing due.
        assert run_due_jobs(engine, now + timedelta(seconds=30), jobs, worker="w1") == []
    once_per_period = {"each-minute": 180, "each-quarter-hour": 12, "each-hour": 3,
                       "each-quarter": 1}
    assert Counter(calls) == once_per_period
    assert runs_by_job(db) == {**once_per_period, "send-notifications": 180,
                               "complaints-sweep": 12, "recompute-flags": 3,
                               "prune-job-runs": 1, "publish-ratings": 1,
                               "release-reallocations": 3}
    assert {run.outcome for run in ran} == {"done"}, [r for r in ran if r.outcome != "done"]
    sweeps = [run for run in ran if run.job == "complaints-sweep"]
    assert [run.period_start for run in sweeps] == [T0 + timedelta(minutes=15 * i)
                                                     for i in range(12)]
    # The real jobs did their work once: two breaches recorded by the first sweep, each told
    # to both parties, and every notification delivered (to the log: no SMTP_HOST here).
    assert sweeps[0].detail == "2 new SLA breach(es) recorded"
    assert {run.detail for run in sweeps[1:]} == {"0 new SLA breach(es) recorded"}
    told = notifications(db, complaint)
    assert len([n for n in told if n.kind.endswith("_breach")]) == 4
    assert all(n.sent_at is not None for n in told)
    db.rollback()
    recorded = db.scalars(select(JobRun).where(JobRun.job == "complaints-sweep")).all()
    assert {(row.worker, row.outcome) for row in recorded} == {("w1", "done")}
    assert all(row.finished_at is not None and row.finished_at >= row.started_at
               for row in recorded)


def test_a_failing_job_is_recorded_and_the_others_still_run(db: Session, engine: Engine):
    calls: list[str] = []

    def broken(engine: Engine, now: datetime) -> str:
        raise RuntimeError("the mail server is on fire")

    jobs = [Job("broken", every(minutes=15), broken),
            counting("after-it", every(minutes=15), calls)]
    ran = run_due_jobs(engine, T0, jobs, worker="w1")
    assert [(run.job, run.outcome, run.detail) for run in ran] == [
        ("broken", "failed", "RuntimeError: the mail server is on fire"),
        ("after-it", "done", "counted")]
    db.rollback()
    row = db.scalars(select(JobRun).where(JobRun.job == "broken")).one()
    assert (row.outcome, row.period_start, row.worker) == ("failed", T0, "w1")
    assert row.detail == "RuntimeError: the mail server is on fire"
    assert row.finished_at is not None
    # A failed period is not run again; the next period is.
    assert run_due_jobs(engine, T0 + timedelta(minutes=14), jobs, worker="w1") == []
    again = run_due_jobs(engine, T0 + timedelta(minutes=15), jobs, worker="w1")
    assert [(run.job, run.outcome) for run in again] == [("broken", "failed"),
                                                         ("after-it", "done")]
    assert calls == ["after-it", "after-it"]


def test_undelivered_notifications_fail_the_run_and_stay_queued(
        client, db: Session, world: World, engine: Engine):
    set_notification_address(db, world.prime_a, "complaints@prime-a.test")
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    with settings_env(SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()),
                      SMTP_TIMEOUT_SECONDS="2"):
        [run] = run_due_jobs(engine, T0, [SEND], worker="w1")
    assert (run.outcome, run.detail) == ("failed", "SendsFailed: 0 e-mailed, 0 logged, 1 failed")
    [queued] = notifications(db, complaint)
    assert queued.sent_at is None and "ConnectionRefusedError" in (queued.last_error or "")
    # Without SMTP_HOST, the next minute's run logs it: delivered.
    [later] = run_due_jobs(engine, T0 + timedelta(minutes=1), [SEND], worker="w1")
    assert (later.outcome, later.detail) == ("done", "0 e-mailed, 1 logged, 0 failed")


def overlap_watch(calls: list[str]) -> tuple[Callable[[str, Period], Job], dict[str, int]]:
    """Jobs that take a moment and record the most runs of each at one time."""
    guard = threading.Lock()
    active: Counter[str] = Counter()
    most: dict[str, int] = {}

    def slow_job(name: str, period: Period) -> Job:
        def run(engine: Engine, now: datetime) -> str:
            with guard:
                active[name] += 1
                most[name] = max(most.get(name, 0), active[name])
            time.sleep(0.005)
            with guard:
                active[name] -= 1
                calls.append(name)
            return "ran"

        return Job(name, period, run)

    return slow_job, most


def test_two_workers_at_once_run_each_job_once_per_period(
        client, db: Session, world: World, database_url: str):
    """Two workers, each with its own engine (as two processes would have), look at the same
    instants at the same time: PostgreSQL in the PostgreSQL run, the SQLite file in the other."""
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    backdate(db, complaint, 60)
    calls: list[str] = []
    slow_job, most = overlap_watch(calls)
    jobs = [SWEEP, slow_job("each-minute", every(minutes=1)),
            slow_job("each-five-minutes", every(minutes=5)),
            slow_job("each-hour", every(hours=1))]
    barrier = threading.Barrier(2)
    ran: dict[str, list[Ran]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        engine = make_engine(database_url)
        try:
            for minute in range(60):
                barrier.wait(timeout=60)  # both look at this instant together
                ran[name] += run_due_jobs(engine, T0 + timedelta(minutes=minute), jobs, name)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(name,)) for name in ran]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert Counter(calls) == {"each-minute": 60, "each-five-minutes": 12, "each-hour": 1}
    assert most == {"each-minute": 1, "each-five-minutes": 1, "each-hour": 1}
    assert runs_by_job(db) == {**Counter(calls), "complaints-sweep": 4}
    both = ran["w1"] + ran["w2"]
    assert len({(run.job, run.period_start) for run in both}) == len(both) == 60 + 12 + 1 + 4
    assert {run.outcome for run in both} == {"done"}
    assert len([n for n in notifications(db, complaint) if n.kind.endswith("_breach")]) == 4


def test_on_postgresql_a_running_job_is_not_started_again_by_another_worker(
        db: Session, engine: Engine, database_url: str):
    """The advisory lock: a run still going when its next period begins keeps the other
    worker off the job until it ends (SQLite has one writer and chainboard runs one worker)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's advisory locks")
    started, release = threading.Event(), threading.Event()

    def slow(engine: Engine, now: datetime) -> str:
        started.set()
        release.wait(30)
        return "slow"

    job = Job("slow", every(minutes=1), slow)
    first = threading.Thread(target=run_due_jobs, args=(engine, T0, [job], "w1"))
    first.start()
    other = make_engine(database_url)
    try:
        assert started.wait(30)
        assert run_due_jobs(other, T0 + timedelta(minutes=1), [job], "w2") == []
        assert runs_by_job(db) == {"slow": 1}
        release.set()
        first.join(timeout=30)
        [later] = run_due_jobs(other, T0 + timedelta(minutes=1, seconds=30), [job], "w2")
        assert (later.period_start, later.outcome) == (T0 + timedelta(minutes=1), "done")
    finally:
        release.set()
        other.dispose()


def test_the_worker_command_once_runs_what_is_due(client, db: Session, world: World,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("app.core.timeutil.utcnow", lambda: T0)
    first = CliRunner().invoke(cli, ["worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "complaints-sweep: done: 0 new SLA breach(es) recorded" in first.output
    assert "recompute-flags: done: 2 contract(s)" in first.output
    assert f"{len(JOBS)} job(s) ran" in first.output
    again = CliRunner().invoke(cli, ["worker", "--once"])
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "0 job(s) ran"
    assert runs_by_job(db) == {job.name: 1 for job in JOBS}


def test_the_scheduler_ticks_each_job_on_its_interval(db: Session, engine: Engine):
    """APScheduler's loop on the real clock: a job of one-second periods runs again and again,
    a daily one once."""
    calls: list[str] = []
    jobs = [counting("each-second", lambda moment: moment.replace(microsecond=0), calls),
            counting("each-day", every(days=1), calls)]
    scheduler = make_scheduler(engine, jobs, background=True, interval_seconds=1)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while calls.count("each-second") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert calls.count("each-second") >= 3
    assert calls.count("each-day") == 1
    assert runs_by_job(db)["each-second"] == calls.count("each-second")


def test_the_demo_runs_the_worker_beside_the_server_and_stops_it_with_it(
        db: Session, monkeypatch: pytest.MonkeyPatch):
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr("app.auth.service.hash_password", cheap.hash)
    monkeypatch.setattr("app.core.logs.configure_logging", lambda: None)  # pytest's logging

    def scheduler_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "APScheduler" and t.is_alive()]

    beside: list[int] = []

    def serving(*args: object, **kwargs: object) -> None:  # what Ctrl-C ends
        beside.append(len(scheduler_threads()))

    with mock.patch("uvicorn.run", side_effect=serving):
        result = CliRunner().invoke(cli, ["demo", "--participants", "40", "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert f"chainboard worker: {', '.join(job.name for job in JOBS)} ({len(JOBS)} ran now)" \
        in result.output
    assert beside == [1]
    for thread in scheduler_threads():
        thread.join(timeout=10)
    assert scheduler_threads() == []
    assert set(runs_by_job(db)) == {job.name for job in JOBS}
