"""reallocations and their changes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00

DOMAIN.md section 11: contracted shares reallocated by the prime, with the guard-rails as shown,
any override reason, and the reviewer's hold; one row per member's share change (the share
history).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reallocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('guard_rails', sa.JSON(), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reviewer_note', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_reallocations_applied_by_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_reallocations_contract_id_contracts')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_reallocations_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reallocations'))
    )
    with op.batch_alter_table('reallocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reallocations_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reallocations_public_id'), ['public_id'], unique=True)

    op.create_table('reallocation_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reallocation_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('from_share', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('to_share', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_reallocation_changes_provider_id_organisations')),
    sa.ForeignKeyConstraint(['reallocation_id'], ['reallocations.id'], name=op.f('fk_reallocation_changes_reallocation_id_reallocations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reallocation_changes'))
    )
    with op.batch_alter_table('reallocation_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reallocation_changes_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reallocation_changes_reallocation_id'), ['reallocation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reallocation_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reallocation_changes_reallocation_id'))
        batch_op.drop_index(batch_op.f('ix_reallocation_changes_provider_id'))

    op.drop_table('reallocation_changes')
    with op.batch_alter_table('reallocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reallocations_public_id'))
        batch_op.drop_index(batch_op.f('ix_reallocations_contract_id'))

    op.drop_table('reallocations')
