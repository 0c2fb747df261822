"""The scheduled jobs' runs: one row per job and period, whichever worker ran it."""

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

JobOutcome = Literal["running", "done", "failed"]
JOB_OUTCOMES: tuple[JobOutcome, ...] = get_args(JobOutcome)
JOB_DETAIL_LENGTH = 2000


class JobRun(Base):
    """A worker claims a job's period by inserting its row: the unique (job, period_start) lets
    one insert win whichever of several workers tries, on SQLite and PostgreSQL alike."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "period_start"),
        CheckConstraint("outcome IN ('" + "', '".join(JOB_OUTCOMES) + "')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    worker: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[JobOutcome] = mapped_column(String(10))
    # What the job reported ("3 new SLA breach(es)"), or its error when it failed.
    detail: Mapped[str | None] = mapped_column(String(JOB_DETAIL_LENGTH))
