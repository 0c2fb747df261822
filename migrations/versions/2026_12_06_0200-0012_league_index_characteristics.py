"""the league table's covering index takes the characteristics

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:00:00

The risk model's cells (DOMAIN.md section 10) group participants by provider, payment group
and characteristics in the one query of the league table. Without the characteristics in the
covering index both backends read the table and sort; with them, the index alone in order.
The index replaces the old one (a second index would slow every participant insert).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration must not follow later changes of the model).
BEFORE = ('contract_id', 'provider_id', 'payment_group', 'referral_date', 'outcome_date',
          'months_to_outcome', 'first_job_start_date')
AFTER = ('contract_id', 'provider_id', 'payment_group', 'age_band', 'health_condition',
         'claim_duration', 'qualification', 'area', 'referral_date', 'outcome_date',
         'months_to_outcome', 'first_job_start_date')


def _replace(columns: Sequence[str]) -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_league')
        batch_op.create_index('ix_participants_league', list(columns), unique=False)


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    _replace(BEFORE)
