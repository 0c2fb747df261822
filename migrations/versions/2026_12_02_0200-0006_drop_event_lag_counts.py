"""drop event_lag_counts: the daily totals carry data timeliness

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00

Since 0005 the league table reads data timeliness from provider_daily_totals; the events per
day and reporting lag were kept only to rebuild the timely counts when a contract's
timeliness_days changes, which now reads the events themselves (a rare change, against an
upsert in every ingestion batch). The downgrade recounts them from the events, as 0004 did.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPPED_LAG = "CASE WHEN lag_days > 366 THEN 366 ELSE lag_days END"


def upgrade() -> None:
    op.drop_table('event_lag_counts')


def downgrade() -> None:
    op.create_table('event_lag_counts',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('lag_days', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'event_date', 'provider_id', 'lag_days',
                            name=op.f('pk_event_lag_counts'))
    )
    op.execute(
        "INSERT INTO event_lag_counts (contract_id, event_date, provider_id, lag_days, events) "
        f"SELECT contract_id, event_date, provider_id, {CAPPED_LAG}, COUNT(*) FROM events "
        f"GROUP BY contract_id, event_date, provider_id, {CAPPED_LAG}")
