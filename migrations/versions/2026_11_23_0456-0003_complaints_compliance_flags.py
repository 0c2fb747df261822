"""complaints, compliance flags, notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:56:39.618749
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('complainant_org_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_user_id', sa.Integer(), nullable=True),
    sa.Column('principle', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('triage', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledgement_breach_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_breach_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("principle IN ('supply_chain_design', 'commitment', 'conduct', 'review', 'commercial')", name=op.f('ck_complaints_principle')),
    sa.CheckConstraint("status IN ('submitted', 'acknowledged', 'investigating', 'resolved', 'escalated', 'triaged', 'independent_review', 'decided', 'closed', 'withdrawn')", name=op.f('ck_complaints_status')),
    sa.CheckConstraint("triage IN ('merlin', 'commercial')", name=op.f('ck_complaints_triage')),
    sa.CheckConstraint("outcome IN ('upheld', 'partially_upheld', 'not_upheld')", name=op.f('ck_complaints_outcome')),
    sa.ForeignKeyConstraint(['complainant_org_id'], ['organisations.id'], name=op.f('fk_complaints_complainant_org_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_complaints_contract_id_contracts')),
    sa.ForeignKeyConstraint(['raised_by_user_id'], ['users.id'], name=op.f('fk_complaints_raised_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_complainant_org_id'), ['complainant_org_id'], unique=False)
        batch_op.create_index('ix_complaints_contract_status', ['contract_id', 'status'], unique=False)

    op.create_table('compliance_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('subject_org_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('standard', sa.String(length=16), nullable=False),
    sa.Column('principle', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('status_changed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_compliance_flags_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_compliance_flags_contract_id_contracts')),
    sa.ForeignKeyConstraint(['status_changed_by_user_id'], ['users.id'], name=op.f('fk_compliance_flags_status_changed_by_user_id_users')),
    sa.ForeignKeyConstraint(['subject_org_id'], ['organisations.id'], name=op.f('fk_compliance_flags_subject_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_flags'))
    )
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_flags_contract_status', ['contract_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_compliance_flags_subject_org_id'), ['subject_org_id'], unique=False)
        batch_op.create_index('uq_compliance_flags_live', ['contract_id', 'rule', 'key'], unique=True, sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))

    op.create_table('compliance_contract_states',
    sa.Column('contract_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stale_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_compliance_contract_states_contract_id_contracts')),
    sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_compliance_contract_states'))
    )
    op.create_table('complaint_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('decision', sa.String(length=24), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_org_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organisations.id'], name=op.f('fk_complaint_entries_actor_org_id_organisations')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_complaint_entries_actor_user_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_entries_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_entries'))
    )
    with op.batch_alter_table('complaint_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_entries_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('recipient_org_id', sa.Integer(), nullable=True),
    sa.Column('recipient_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_notifications_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['recipient_org_id'], ['organisations.id'], name=op.f('fk_notifications_recipient_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_sent_at'), ['sent_at'], unique=False)

    op.create_table('notification_addresses',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_notification_addresses_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_notification_addresses'))
    )

    # -- append-only history (production footing; keep this block last) ----------------------
    create_append_only_triggers()


def downgrade() -> None:
    # -- append-only history (production footing; keep this block first) ---------------------
    drop_append_only_triggers()

    op.drop_table('notification_addresses')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_sent_at'))
        batch_op.drop_index(batch_op.f('ix_notifications_complaint_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('complaint_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_entries_complaint_id'))

    op.drop_table('complaint_entries')
    with op.batch_alter_table('compliance_flags', schema=None) as batch_op:
        batch_op.drop_index('uq_compliance_flags_live', sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))
        batch_op.drop_index(batch_op.f('ix_compliance_flags_subject_org_id'))
        batch_op.drop_index('ix_compliance_flags_contract_status')

    op.drop_table('compliance_contract_states')
    op.drop_table('compliance_flags')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_contract_status')
        batch_op.drop_index(batch_op.f('ix_complaints_complainant_org_id'))

    op.drop_table('complaints')


# -- append-only history ---------------------------------------------------------------------
# The database itself refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of these tables,
# so no code path, bug or hand-typed statement can rewrite history. A table rebuilt by a later
# SQLite batch migration loses its triggers: such a migration must create them again.
APPEND_ONLY_TABLES = ('audit_log', 'membership_status_changes', 'complaint_entries')


def create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$""")
        for table in APPEND_ONLY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()")
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON "
                       f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                       f"{operation} refused'); END")


def drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_history_change()")
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
