"""History cannot be rewritten: the database refuses UPDATE and DELETE on the audit log, the
membership status history and the complaint entries (migration 0003's triggers), whatever
code or person sends them. Set-up, membership and payment changes are audited by whom."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from app.models import Complaint, ComplaintEntry
from tests.helpers import API, audit_entries, record_payment
from tests.world import make_world

HISTORY_TABLES = ("audit_log", "membership_status_changes", "complaint_entries")


def _a_row_in_each_history_table(client, db, world) -> None:
    complaint = Complaint(contract_id=world.contract_a, complainant_org_id=world.s1,
                          principle="conduct", title="Late payment",
                          description="Invoices paid after 60 days")
    db.add(complaint)
    db.flush()
    db.add(ComplaintEntry(complaint_id=complaint.id, kind="message", actor_role="provider_user",
                          body="raised"))
    db.commit()


@pytest.mark.parametrize("table", HISTORY_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_history(client, db, world, engine, table, statement):
    _a_row_in_each_history_table(client, db, world)
    with engine.connect() as conn:
        rows_before = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        assert rows_before > 0
        with pytest.raises(DatabaseError, match="append-only"):
            conn.execute(text(statement.format(table=table)))
        conn.rollback()
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == rows_before


def test_truncate_is_refused_on_postgresql(client, db, world, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _a_row_in_each_history_table(client, db, world)
    for table in HISTORY_TABLES:
        with engine.connect() as conn, pytest.raises(DatabaseError, match="append-only"):
            conn.execute(text(f"TRUNCATE {table} CASCADE"))


def test_inserting_history_still_works_and_names_the_actor(client, db):
    world = make_world(client, db, suspended_member=False)
    manager = world.headers["manager_a"]
    response = client.post(f"{API}/contracts/{world.contract_a}/members/{world.s1}/status",
                           headers=manager, json={"status": "suspended", "reason": "late data"})
    assert response.status_code == 200, response.text
    payment = record_payment(client, manager, world.contract_a, world.s2)
    entries = audit_entries(db, "member.status") + audit_entries(db, "payment.record")
    assert [(e.action, e.actor_user_id, e.actor_org_id, e.entity_id) for e in entries] == [
        ("member.status", world.user_ids["manager_a"], world.prime_a, entries[0].entity_id),
        ("payment.record", world.user_ids["manager_a"], world.prime_a, payment["id"])]
    assert entries[0].details["previous"] == "active"
    assert entries[0].details["status"] == "suspended"
