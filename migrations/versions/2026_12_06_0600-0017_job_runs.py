"""job_runs: one row per scheduled job and period, whichever worker ran it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:00:00

`chainboard worker` claims a job's period by inserting its row; the unique (job, period_start)
makes one insert win when several workers try at once, so each job runs once per period.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("outcome IN ('running', 'done', 'failed')", name=op.f('ck_job_runs_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'period_start', name=op.f('uq_job_runs_job_period_start'))
    )


def downgrade() -> None:
    op.drop_table('job_runs')
