"""participant characteristics on participants and events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 23:00:00

The optional characteristics of a referral (DOMAIN.md section 10): five nullable columns on
the event as reported and on its participant (null: unknown). Existing rows are unknown.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (('age_band', 8), ('health_condition', 8), ('claim_duration', 8),
           ('qualification', 16), ('area', 16))


def upgrade() -> None:
    # Nullable columns without a default: SQLite and PostgreSQL add them in place, no rewrite.
    for table in ('participants', 'events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in COLUMNS:
                batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    for table in ('events', 'participants'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
