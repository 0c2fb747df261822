"""provider daily totals: the league table's period measures per contract, day and provider

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00

Check compliance, data timeliness and payments earned become sums over a few thousand daily
rows (app.models.ProviderDailyTotal) instead of reads of every scheduled check and of the
finer daily counts. The backfill computes them from what is stored, with each contract's
settings and tariff as they are now, as app.performance.daily_totals.rebuild does.
"""
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIMELINESS_DAYS = 5
FEE_COLUMNS = {'attachment': 'attachment_fee', 'job_outcome': 'outcome_fee',
               'sustainment': 'sustainment_fee'}


def upgrade() -> None:
    totals_table = op.create_table('provider_daily_totals',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('timely_events', sa.Integer(), nullable=False),
    sa.Column('earned_pence', sa.BigInteger(), nullable=False),
    sa.Column('live_checks_due', sa.Integer(), nullable=False),
    sa.Column('checks_on_time', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('contract_id', 'day', 'provider_id',
                            name=op.f('pk_provider_daily_totals'))
    )
    assert totals_table is not None
    connection = op.get_bind()
    totals: dict[tuple[int, date, int], list[int]] = defaultdict(lambda: [0] * 5)
    for contract_id, settings in connection.execute(sa.text(
            'SELECT id, settings FROM contracts')):
        if isinstance(settings, str):
            settings = json.loads(settings)
        limit = (settings or {}).get('timeliness_days', DEFAULT_TIMELINESS_DAYS)
        for day, provider_id, events, timely in connection.execute(sa.text(
                'SELECT event_date, provider_id, SUM(events), '
                'SUM(CASE WHEN lag_days <= :limit THEN events ELSE 0 END) '
                'FROM event_lag_counts WHERE contract_id = :contract_id '
                'GROUP BY event_date, provider_id'),
                {'limit': limit, 'contract_id': contract_id}):
            key = (contract_id, _day(day), provider_id)
            totals[key][0], totals[key][1] = int(events), int(timely)
        tariff: dict[str, list[tuple[date, dict[str, Decimal]]]] = defaultdict(list)
        for row in connection.execute(sa.text(
                'SELECT payment_group, valid_from, attachment_fee, outcome_fee, sustainment_fee '
                'FROM tariff_rows WHERE contract_id = :contract_id ORDER BY valid_from'),
                {'contract_id': contract_id}).mappings():
            tariff[row['payment_group']].append((_day(row['valid_from']), {
                name: Decimal(str(row[column])) for name, column in FEE_COLUMNS.items()}))
        for day, provider_id, group, event_type, events in connection.execute(sa.text(
                'SELECT event_date, provider_id, payment_group, type, events '
                'FROM paid_event_counts WHERE contract_id = :contract_id'),
                {'contract_id': contract_id}):
            in_force = [fees for valid_from, fees in tariff.get(group, [])
                        if valid_from <= _day(day)]
            if in_force:
                totals[(contract_id, _day(day), provider_id)][2] += (
                    int(events) * int(in_force[-1][event_type] * 100))
    for contract_id, day, provider_id, due, on_time in connection.execute(sa.text(
            "SELECT contract_id, due_date, provider_id, COUNT(*), "
            "SUM(CASE WHEN check_timing = 'on_time' THEN 1 ELSE 0 END) FROM milestones "
            "WHERE cancelled_on IS NULL GROUP BY contract_id, due_date, provider_id")):
        key = (contract_id, _day(day), provider_id)
        totals[key][3], totals[key][4] = int(due), int(on_time)
    columns = ('events', 'timely_events', 'earned_pence', 'live_checks_due', 'checks_on_time')
    rows = [{'contract_id': key[0], 'day': key[1], 'provider_id': key[2],
             **dict(zip(columns, values, strict=True))} for key, values in sorted(totals.items())]
    if rows:
        op.bulk_insert(totals_table, rows)


def _day(value: Any) -> date:
    """A DATE as the driver returns it: a date (PostgreSQL) or ISO text (SQLite, raw SQL)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def downgrade() -> None:
    op.drop_table('provider_daily_totals')
