"""The scheduled jobs. Adding one is one line in JOBS: a name, a period, a function taking the
worker's engine and clock and returning a line for the record."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, select
from sqlalchemy.orm import sessionmaker

from app.complaints.notifications import send_pending
from app.complaints.service import sweep_breaches
from app.compliance.service import recompute_all
from app.core.config import get_settings
from app.core.db import write_sessionmaker
from app.core.errors import Conflict, Invalid
from app.models import Contract, JobRun
from app.performance import ratings
from app.performance.schemas import RatingIn
from app.regime import reallocation
from app.worker.runner import Job, every

# Long enough to see what the worker did over a quarter's review; short enough that one row a
# minute (the notifications) stays a small table.
JOB_RUNS_KEPT = timedelta(days=100)


def sweep_complaint_slas(engine: Engine, now: datetime) -> str:
    with write_sessionmaker(engine)() as session:
        found = sweep_breaches(session, now)
    return f"{len(found)} new SLA breach(es) recorded"


def recompute_flags(engine: Engine, now: datetime) -> str:
    # Every contract, stale or not: deadlines and windows move with the calendar even when no
    # data changes. Its reads stay deferred; it takes the write lock itself where it writes.
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        results = recompute_all(session, now=now)
    return (f"{len(results)} contract(s): {sum(r.raised for r in results)} raised, "
            f"{sum(r.cleared for r in results)} cleared")


class SendsFailed(Exception):
    """Some notifications were not delivered: they stay queued with their error and are
    tried again at the next run, up to SMTP_MAX_ATTEMPTS."""


def send_notifications(engine: Engine, now: datetime) -> str:
    with write_sessionmaker(engine)() as session:
        report = send_pending(session, get_settings())
    summary = f"{report.emailed} e-mailed, {report.logged} logged, {report.failed} failed"
    if report.failed:
        raise SendsFailed(summary)
    return summary


def publish_ratings(engine: Engine, now: datetime) -> str:
    """The last finished quarter's rating of every contract not yet rated for it (DOMAIN.md
    section 11). Daily rather than at the quarter's first minute: a day the worker was down
    is caught up the next, and publishing twice is refused by the ratings themselves."""
    last_quarter = ratings.quarter_of(ratings.quarter_start(ratings.quarter_of(now.date()))
                                      - timedelta(days=1))
    published, skipped = [], []
    with write_sessionmaker(engine)() as session:
        for contract_id in session.scalars(select(Contract.id).order_by(Contract.id)):
            if ratings.current_publication(session, contract_id, last_quarter) is not None:
                continue
            try:
                ratings.publish(session, None, contract_id,
                                RatingIn(quarter=last_quarter))
                published.append(contract_id)
            except (Invalid, Conflict) as refused:  # nothing to rate, or published meanwhile
                session.rollback()
                skipped.append(f"{contract_id}: {refused.detail}")
    return (f"{last_quarter}: published for {len(published)} contract(s)"
            + (f"; not for {'; '.join(skipped)}" if skipped else ""))


def release_held_reallocations(engine: Engine, now: datetime) -> str:
    """Held cuts whose reviewer's hold has ended take effect (DOMAIN.md section 11)."""
    with write_sessionmaker(engine)() as session:
        done = reallocation.release_due(session, now.date())
    return f"{len(done)} reallocation(s) took effect"


def prune_job_runs(engine: Engine, now: datetime) -> str:
    with write_sessionmaker(engine).begin() as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            delete(JobRun).where(JobRun.period_start < now - JOB_RUNS_KEPT))
    return f"{result.rowcount} job run(s) older than {JOB_RUNS_KEPT.days} days deleted"


JOBS: tuple[Job, ...] = (
    Job("complaints-sweep", every(minutes=15), sweep_complaint_slas),
    Job("recompute-flags", every(hours=1), recompute_flags),
    Job("send-notifications", every(minutes=1), send_notifications),
    Job("prune-job-runs", every(days=1), prune_job_runs),
    Job("publish-ratings", every(days=1), publish_ratings),
    Job("release-reallocations", every(hours=1), release_held_reallocations),
)
