"""the banded characteristics as one indexed number: characteristics_key

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-06 03:00:00

The risk model's cells group participants by provider, payment group and characteristics.
Grouping by four strings cost both backends about twice the payment-group-only table's GROUP
BY; one small integer computed by the database from the four columns (generated: stored on
PostgreSQL, virtual on SQLite, which cannot add a stored column to a table) groups as fast as
a single column. The league index takes it in place of the four strings.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration must not follow later changes of the model).
KEY_SQL = (
    "1 * (CASE age_band WHEN '18-24' THEN 1 WHEN '25-34' THEN 2 WHEN '35-49' THEN 3 "
    "WHEN '50+' THEN 4 ELSE 0 END) + "
    "5 * (CASE health_condition WHEN 'yes' THEN 1 WHEN 'no' THEN 2 ELSE 0 END) + "
    "15 * (CASE claim_duration WHEN 'under_6m' THEN 1 WHEN '6_12m' THEN 2 "
    "WHEN '12_24m' THEN 3 WHEN 'over_24m' THEN 4 ELSE 0 END) + "
    "75 * (CASE qualification WHEN 'none' THEN 1 WHEN 'level_1_2' THEN 2 "
    "WHEN 'level_3_plus' THEN 3 ELSE 0 END)"
)
BEFORE = ('contract_id', 'provider_id', 'payment_group', 'age_band', 'health_condition',
          'claim_duration', 'qualification', 'area', 'referral_date', 'outcome_date',
          'months_to_outcome', 'first_job_start_date')
AFTER = ('contract_id', 'provider_id', 'payment_group', 'characteristics_key', 'area',
         'referral_date', 'outcome_date', 'months_to_outcome', 'first_job_start_date')


def _replace_index(columns: Sequence[str]) -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_league')
        batch_op.create_index('ix_participants_league', list(columns), unique=False)


def upgrade() -> None:
    stored = op.get_bind().dialect.name == 'postgresql'
    op.add_column('participants', sa.Column(
        'characteristics_key', sa.SmallInteger(), sa.Computed(KEY_SQL, persisted=stored)))
    _replace_index(AFTER)


def downgrade() -> None:
    _replace_index(BEFORE)
    op.drop_column('participants', 'characteristics_key')
