"""daily event counts, participants.months_to_outcome, covering indexes for the league table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:30:00

Data timeliness (event_lag_counts) and payments earned (paid_event_counts) read these daily
counts instead of every event. The events indexes on (contract_id, event_date, provider_id)
and (contract_id, type, event_date) served data timeliness and payments and go (ingestion
writes every event into each index); the participants and milestones indexes the league table
reads widen to cover its columns, and each participant keeps its months to outcome
(app.performance.cohorts.months_to_outcome).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTICIPANTS_LEAGUE = ('contract_id', 'provider_id', 'payment_group', 'referral_date',
                       'outcome_date', 'months_to_outcome', 'first_job_start_date')
MILESTONES_DUE = ('contract_id', 'due_date', 'provider_id', 'cancelled_on', 'checked_on',
                  'check_timing')
CAPPED_LAG = "CASE WHEN lag_days > 366 THEN 366 ELSE lag_days END"


def _months_between(referral: sa.ColumnElement[sa.Date],
                    outcome: sa.ColumnElement[sa.Date]) -> sa.ColumnElement[int]:
    """The least m with outcome <= add_months(referral, m): the calendar-month gap, plus one
    when the outcome's day of month is later than the referral's."""
    def month(day: sa.ColumnElement[sa.Date]) -> sa.ColumnElement[int]:
        return sa.extract('year', day) * 12 + sa.extract('month', day)
    later_day = sa.case((sa.extract('day', outcome) > sa.extract('day', referral), 1), else_=0)
    return month(outcome) - month(referral) + later_day


def upgrade() -> None:
    op.create_table('event_lag_counts',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('lag_days', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'event_date', 'provider_id', 'lag_days',
                            name=op.f('pk_event_lag_counts'))
    )
    op.create_table('paid_event_counts',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('payment_group', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'event_date', 'provider_id', 'payment_group', 'type',
                            name=op.f('pk_paid_event_counts'))
    )
    op.execute(
        "INSERT INTO event_lag_counts (contract_id, event_date, provider_id, lag_days, events) "
        f"SELECT contract_id, event_date, provider_id, {CAPPED_LAG}, COUNT(*) FROM events "
        f"GROUP BY contract_id, event_date, provider_id, {CAPPED_LAG}")
    op.execute(
        "INSERT INTO paid_event_counts (contract_id, event_date, provider_id, payment_group, "
        "type, events) SELECT contract_id, event_date, provider_id, payment_group, type, "
        "COUNT(*) FROM events WHERE type IN ('attachment', 'job_outcome', 'sustainment') "
        "GROUP BY contract_id, event_date, provider_id, payment_group, type")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_contract_date_provider')
        batch_op.drop_index('ix_events_contract_type_date')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('months_to_outcome', sa.SmallInteger(), nullable=True))
    participants = sa.table('participants', sa.column('referral_date', sa.Date),
                            sa.column('outcome_date', sa.Date),
                            sa.column('months_to_outcome', sa.SmallInteger))
    op.execute(participants.update().where(participants.c.outcome_date.is_not(None)).values(
        months_to_outcome=_months_between(participants.c.referral_date,
                                          participants.c.outcome_date)))
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_contract_provider_referral')
        batch_op.create_index('ix_participants_league', [*PARTICIPANTS_LEAGUE], unique=False)
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_milestones_contract_due')
        batch_op.create_index('ix_milestones_contract_due', [*MILESTONES_DUE], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_milestones_contract_due')
        batch_op.create_index('ix_milestones_contract_due', ['contract_id', 'due_date'],
                              unique=False)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_league')
        batch_op.create_index('ix_participants_contract_provider_referral',
                              ['contract_id', 'provider_id', 'referral_date'], unique=False)
        batch_op.drop_column('months_to_outcome')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_contract_date_provider',
                              ['contract_id', 'event_date', 'provider_id'], unique=False)
        batch_op.create_index('ix_events_contract_type_date',
                              ['contract_id', 'type', 'event_date'], unique=False)
    op.drop_table('paid_event_counts')
    op.drop_table('event_lag_counts')
