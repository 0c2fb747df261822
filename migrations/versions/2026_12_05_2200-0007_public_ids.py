"""public ids: random identifiers for records some readers may not see

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 22:00:00

Issue 13, finding 1 (docs/decisions.md, "Opaque public identifiers"). Each table below gets
`public_id`, filled with a random value for every existing row, then NOT NULL and unique.
`audit_log.entity_id` becomes text holding the public id of an entity that has one; the
internal ids that answers used to show (flag evidence and summaries, audit details, the
notifications' subjects) are rewritten to public ids. audit_log and complaint_entries are
append-only (0003's triggers): the triggers are dropped for the backfill and created again
exactly as 0003 made them (an SQLite batch rebuild loses them anyway).
"""
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('compliance_flags', 'complaints', 'complaint_entries', 'notifications', 'audit_log',
          'payments', 'api_keys')
# Audit entity types whose entities have a public id, and their tables.
ENTITY_TABLES = {'complaint': 'complaints', 'compliance_flag': 'compliance_flags',
                 'payment': 'payments', 'api_key': 'api_keys'}
BATCH = 1000


def _new_public_id() -> str:
    # As app.models.base.new_public_id (not imported: a migration is frozen): never "-" first.
    while (value := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return value


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _public_ids(table: str) -> dict[int, str]:
    return {row[0]: row[1] for row in op.get_bind().execute(
        sa.text(f"SELECT id, public_id FROM {table}"))}


def upgrade() -> None:
    bind = op.get_bind()
    drop_append_only_triggers()
    for table in TABLES:
        op.add_column(table, sa.Column('public_id', sa.String(length=22), nullable=True))
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.alter_column('entity_id', existing_type=sa.Integer(),
                              type_=sa.String(length=32), existing_nullable=True,
                              postgresql_using='entity_id::text')

    for table in TABLES:
        ids = [row[0] for row in bind.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))]
        for batch in _batches({'i': i, 'p': _new_public_id()} for i in ids):
            bind.execute(sa.text(f"UPDATE {table} SET public_id = :p WHERE id = :i"), batch)

    # Answers showed these internal ids: the same places now hold public ids.
    refs = {entity_type: _public_ids(table) for entity_type, table in ENTITY_TABLES.items()}
    entries = _public_ids('complaint_entries')
    audit = sa.table('audit_log', sa.column('id', sa.Integer()),
                     sa.column('entity_type', sa.String()), sa.column('entity_id', sa.String()),
                     sa.column('details', sa.JSON()))
    updates = []
    for row in bind.execute(sa.select(audit)):
        entity_id = row.entity_id
        if row.entity_type in refs and entity_id is not None:
            entity_id = refs[row.entity_type].get(int(entity_id), entity_id)
        details = dict(row.details or {})
        if isinstance(details.get('entry_id'), int):
            details['entry_id'] = entries.get(details['entry_id'])
        if isinstance(details.get('api_key_id'), int):
            details['api_key_id'] = refs['api_key'].get(details['api_key_id'])
        if entity_id != row.entity_id or details != (row.details or {}):
            updates.append({'i': row.id, 'e': entity_id, 'd': details})
    for batch in _batches(updates):
        bind.execute(sa.update(audit).where(audit.c.id == sa.bindparam('i'))
                     .values(entity_id=sa.bindparam('e'), details=sa.bindparam('d')), batch)
    _rewrite_flags(refs['complaint'], refs['payment'])
    _rewrite_notifications(refs['complaint'])

    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('public_id', existing_type=sa.String(length=22),
                                  nullable=False)
        op.create_index(op.f(f'ix_{table}_public_id'), table, ['public_id'], unique=True)
    create_append_only_triggers()


def _rewrite_flags(complaints: dict[int, str], payments: dict[int, str]) -> None:
    flags = sa.table('compliance_flags', sa.column('id', sa.Integer()),
                     sa.column('summary', sa.Text()), sa.column('evidence', sa.JSON()))
    updates = []
    for row in op.get_bind().execute(sa.select(flags)):
        evidence, summary = dict(row.evidence or {}), row.summary
        for field, refs, prefixes in (
                ('complaint_id', complaints, ('Complaint {}, ', 'After complaint {} (')),
                ('payment_id', payments, ('Payment {} of ',))):
            old = evidence.get(field)
            if isinstance(old, int) and old in refs:
                evidence[field] = refs[old]
                for prefix in prefixes:
                    summary = summary.replace(prefix.format(old), prefix.format(refs[old]), 1)
        if evidence != (row.evidence or {}):
            updates.append({'i': row.id, 's': summary, 'e': evidence})
    for batch in _batches(updates):
        op.get_bind().execute(sa.update(flags).where(flags.c.id == sa.bindparam('i'))
                              .values(summary=sa.bindparam('s'), evidence=sa.bindparam('e')),
                              batch)


def _rewrite_notifications(complaints: dict[int, str]) -> None:
    updates = []
    for row in op.get_bind().execute(sa.text(
            "SELECT id, complaint_id, subject, body FROM notifications "
            "WHERE complaint_id IS NOT NULL")):
        old, new = f"Complaint #{row.complaint_id}", f"Complaint #{complaints[row.complaint_id]}"
        updates.append({'i': row.id, 's': re.sub(rf"{old}\b", new, row.subject),
                        'b': re.sub(rf"{old}\b", new, row.body)})
    for batch in _batches(updates):
        op.get_bind().execute(sa.text(
            "UPDATE notifications SET subject = :s, body = :b WHERE id = :i"), batch)


def downgrade() -> None:
    bind = op.get_bind()
    drop_append_only_triggers()
    # Back to integer ids: the public ids the audit log and the flags hold, turned back.
    back = {entity_type: {v: k for k, v in _public_ids(table).items()}
            for entity_type, table in ENTITY_TABLES.items()}
    entries = {v: k for k, v in _public_ids('complaint_entries').items()}
    audit = sa.table('audit_log', sa.column('id', sa.Integer()),
                     sa.column('entity_type', sa.String()), sa.column('entity_id', sa.String()),
                     sa.column('details', sa.JSON()))
    updates = []
    for row in bind.execute(sa.select(audit)):
        entity_id = row.entity_id
        if row.entity_type in back and entity_id in back[row.entity_type]:
            entity_id = str(back[row.entity_type][entity_id])
        details = dict(row.details or {})
        if details.get('entry_id') in entries:
            details['entry_id'] = entries[details['entry_id']]
        if details.get('api_key_id') in back['api_key']:
            details['api_key_id'] = back['api_key'][details['api_key_id']]
        if entity_id is not None and not entity_id.isdigit():
            entity_id = None  # not an integer any more: nothing to point at
        updates.append({'i': row.id, 'e': entity_id, 'd': details})
    for batch in _batches(updates):
        bind.execute(sa.update(audit).where(audit.c.id == sa.bindparam('i'))
                     .values(entity_id=sa.bindparam('e'), details=sa.bindparam('d')), batch)
    _rewrite_flags_back(back['complaint'], back['payment'])
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.alter_column('entity_id', existing_type=sa.String(length=32),
                              type_=sa.Integer(), existing_nullable=True,
                              postgresql_using='entity_id::integer')
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_public_id'), table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('public_id')
    create_append_only_triggers()


def _rewrite_flags_back(complaints: dict[str, int], payments: dict[str, int]) -> None:
    flags = sa.table('compliance_flags', sa.column('id', sa.Integer()),
                     sa.column('evidence', sa.JSON()))
    updates = []
    for row in op.get_bind().execute(sa.select(flags)):
        evidence = dict(row.evidence or {})
        for field, refs in (('complaint_id', complaints), ('payment_id', payments)):
            if evidence.get(field) in refs:
                evidence[field] = refs[evidence[field]]
        if evidence != (row.evidence or {}):
            updates.append({'i': row.id, 'e': evidence})
    for batch in _batches(updates):
        op.get_bind().execute(sa.update(flags).where(flags.c.id == sa.bindparam('i'))
                              .values(evidence=sa.bindparam('e')), batch)


# -- append-only history, exactly as 0003 made it ------------------------------------------------
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
