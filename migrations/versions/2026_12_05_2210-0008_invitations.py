"""membership invitations and join codes (issue 13, finding 2)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 22:10:00

A prime manager no longer adds members itself: it invites an organisation it may see, or one
that gave it a join code, and the organisation accepts. New tables only; nothing to backfill.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('join_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_join_codes_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_join_codes_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_join_codes_code_hash'))
    )
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_codes_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('membership_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('contracted_share', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('join_code_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_membership_invitations_status')),
    sa.CheckConstraint('contracted_share >= 0 AND contracted_share <= 1', name=op.f('ck_membership_invitations_share')),
    sa.CheckConstraint('tier IN (1, 2)', name=op.f('ck_membership_invitations_tier')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_membership_invitations_contract_id_contracts')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_membership_invitations_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['users.id'], name=op.f('fk_membership_invitations_invited_by_user_id_users')),
    sa.ForeignKeyConstraint(['join_code_id'], ['join_codes.id'], name=op.f('fk_membership_invitations_join_code_id_join_codes')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_membership_invitations_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_invitations')),
    )
    with op.batch_alter_table('membership_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_invitations_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_invitations_public_id'), ['public_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_membership_invitations_provider_id'), ['provider_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('membership_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_invitations_provider_id'))
        batch_op.drop_index(batch_op.f('ix_membership_invitations_public_id'))
        batch_op.drop_index(batch_op.f('ix_membership_invitations_contract_id'))

    op.drop_table('membership_invitations')
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_codes_organisation_id'))

    op.drop_table('join_codes')
