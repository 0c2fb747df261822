"""improvement_plans and their entries

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:00:00

DOMAIN.md section 11: a prime's improvement plan for a member (targets, actions, review date,
remedy period, state) and its append-only history of transitions, comments and contests.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('improvement_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('remedy_days', sa.SmallInteger(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed_on', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('contested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_improvement_plans_contract_id_contracts')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_improvement_plans_opened_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_improvement_plans_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_plans'))
    )
    with op.batch_alter_table('improvement_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_plans_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_plans_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_plans_public_id'), ['public_id'], unique=True)

    op.create_table('improvement_plan_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('author_org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_org_id'], ['organisations.id'], name=op.f('fk_improvement_plan_entries_author_org_id_organisations')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_improvement_plan_entries_author_user_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['improvement_plans.id'], name=op.f('fk_improvement_plan_entries_plan_id_improvement_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_plan_entries'))
    )
    with op.batch_alter_table('improvement_plan_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_plan_entries_plan_id'), ['plan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('improvement_plan_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_plan_entries_plan_id'))

    op.drop_table('improvement_plan_entries')
    with op.batch_alter_table('improvement_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_plans_public_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_plans_provider_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_plans_contract_id'))

    op.drop_table('improvement_plans')
