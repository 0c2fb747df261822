"""specialist referrals, outcomes and progress assessments

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 11:00:00

DOMAIN.md section 12. The three new event types are events like the others (one table, one
idempotency key, one listing): the events table gains their typed columns (specialist, its
intervention, a referral's agreed fee, an assessment's scores) and a longer `type`
("specialist_referral" has 19 characters). `specialist_referrals` summarises each referral and
its outcomes, kept in step at ingestion. The contract settings that go with them
(`interventions`, `assessment_areas`, `specialist_min_referrals`) live in the contracts' JSON
settings, whose defaults app.supply_chain.schemas.ContractSettings supplies: no column here.

On SQLite the type change rebuilds the events table (a batch migration); it has no triggers to
lose.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('type', existing_type=sa.String(length=16),
                              type_=sa.String(length=24), existing_nullable=False)
        batch_op.add_column(sa.Column('specialist_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('intervention', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('fee', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))

    op.create_table('specialist_referrals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('specialist_id', sa.Integer(), nullable=False),
    sa.Column('intervention', sa.String(length=32), nullable=False),
    sa.Column('fee', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('referral_date', sa.Date(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closing_result', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_specialist_referrals_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specialist_referrals'))
    )
    with op.batch_alter_table('specialist_referrals', schema=None) as batch_op:
        batch_op.create_index('ix_specialist_referrals_contract', ['contract_id', 'referral_date', 'specialist_id', 'provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_specialist_referrals_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_specialist_referrals_specialist', ['specialist_id', 'contract_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('specialist_referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_specialist_referrals_specialist')
        batch_op.drop_index(batch_op.f('ix_specialist_referrals_participant_id'))
        batch_op.drop_index('ix_specialist_referrals_contract')
    op.drop_table('specialist_referrals')
    op.execute("DELETE FROM events WHERE type IN "
               "('specialist_referral', 'specialist_outcome', 'assessment')")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('scores')
        batch_op.drop_column('fee')
        batch_op.drop_column('intervention')
        batch_op.drop_column('specialist_id')
        batch_op.alter_column('type', existing_type=sa.String(length=24),
                              type_=sa.String(length=16), existing_nullable=False)
