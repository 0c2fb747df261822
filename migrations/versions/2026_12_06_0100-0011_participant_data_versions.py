"""participant data versions (the risk model's fit cache)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:00:00

One row per contract whose participants changed through ingestion, with a random token
renewed on every change: processes key what they cache from the participants (the risk
model's cells and fit) by it (app.performance.fit_cache).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'participant_data_versions',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                                name=op.f('fk_participant_data_versions_contract_id_contracts')),
        sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_participant_data_versions')),
    )


def downgrade() -> None:
    op.drop_table('participant_data_versions')
