"""memberships.expectations: a member's own performance expectations

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00

DOMAIN.md section 11: a member is expected to reach the contract's minimum performance index,
check compliance and data timeliness unless its own expectations say otherwise (a JSON of the
fields set for it; null: the contract's).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expectations', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('expectations')
