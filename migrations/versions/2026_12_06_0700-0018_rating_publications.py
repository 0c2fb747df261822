"""rating_publications: published quarterly ratings

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:00:00

A quarter's league table frozen as published (DOMAIN.md section 11), append-only: a correction
is a new row naming the one it supersedes. One first publication per contract and quarter
(a partial unique index, on SQLite and PostgreSQL alike); each is superseded at most once.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rating_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('horizon_months', sa.SmallInteger(), nullable=False),
    sa.Column('table', sa.JSON(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_rating_publications_contract_id_contracts')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_rating_publications_published_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['rating_publications.id'], name=op.f('fk_rating_publications_supersedes_id_rating_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_publications')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_rating_publications_supersedes_id'))
    )
    with op.batch_alter_table('rating_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_publications_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_publications_public_id'), ['public_id'], unique=True)
        batch_op.create_index('ux_rating_publications_first', ['contract_id', 'quarter'], unique=True, sqlite_where=sa.text('supersedes_id IS NULL'), postgresql_where=sa.text('supersedes_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('rating_publications', schema=None) as batch_op:
        batch_op.drop_index('ux_rating_publications_first', sqlite_where=sa.text('supersedes_id IS NULL'), postgresql_where=sa.text('supersedes_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_rating_publications_public_id'))
        batch_op.drop_index(batch_op.f('ix_rating_publications_contract_id'))
    op.drop_table('rating_publications')
