"""The worker's loop: APScheduler ticks each job on an interval and the runner decides whether
its period is due. One APScheduler job per registered job, so a slow flag recompute never holds
up the notifications; max_instances=1 and coalesce, so a tick that finds its job still running
is dropped rather than queued."""

import logging
from collections.abc import Sequence
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from app.core.timeutil import utcnow
from app.worker.runner import Job, run_due_jobs, worker_name

DEFAULT_INTERVAL_SECONDS = 30


def tick(engine: Engine, job: Job, worker: str) -> None:
    run_due_jobs(engine, utcnow(), [job], worker)


def make_scheduler(engine: Engine, jobs: Sequence[Job], *, background: bool = False,
                   interval_seconds: int = DEFAULT_INTERVAL_SECONDS) -> BaseScheduler:
    """A scheduler holding one tick per job, the first at once. `background`: in a daemon
    thread of this process (`chainboard demo`); else start() blocks (`chainboard worker`)."""
    # APScheduler logs every tick at INFO; the runner logs what ran.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(timezone=UTC,
                                executors={"default": ThreadPoolExecutor(max(1, len(jobs)))})
    worker = worker_name()
    for job in jobs:
        scheduler.add_job(tick, "interval", seconds=interval_seconds, args=(engine, job, worker),
                          id=job.name, name=job.name, max_instances=1, coalesce=True,
                          misfire_grace_time=None, next_run_time=utcnow())
    return scheduler
