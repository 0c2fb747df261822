"""Complaint counts by status for the dashboard's overview tile: the same scope as the list
(a member its own, the prime its contracts', a reviewer the escalated ones, another prime
none), and "open" leaves out the finished (closed, withdrawn)."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import complaint_counts, open_complaints
from tests.complaints.conftest import moved, raise_complaint
from tests.world import World


def test_counts_follow_the_scope_and_leave_finished_complaints_out(
        client: TestClient, db: Session, world: World) -> None:
    first = raise_complaint(client, world.headers["s1"], world.contract_a, confidential=True)
    second = raise_complaint(client, world.headers["s2"], world.contract_a)
    raise_complaint(client, world.headers["sb"], world.contract_b)
    moved(client, world.headers["s2"], second["id"], "withdrawn")
    for to in ("acknowledged", "investigating", "resolved"):
        moved(client, world.headers["manager_a"], first["id"], to)
    moved(client, world.headers["s1"], first["id"], "escalated")

    manager_a = Principal(role="prime_manager", organisation_id=world.prime_a)
    s1 = Principal(role="provider_user", organisation_id=world.s1)
    s2 = Principal(role="provider_user", organisation_id=world.s2)
    reviewer = Principal(role="reviewer", organisation_id=world.reviewer_org)
    admin = Principal(role="admin", organisation_id=None)
    assert complaint_counts(db, manager_a) == {"escalated": 1, "withdrawn": 1}
    assert open_complaints(complaint_counts(db, manager_a)) == 1
    assert complaint_counts(db, manager_a, world.contract_b) == {}
    assert complaint_counts(db, s1) == {"escalated": 1}
    assert open_complaints(complaint_counts(db, s2)) == 0
    assert complaint_counts(db, reviewer) == {"escalated": 1}  # escalated ones only
    assert open_complaints(complaint_counts(db, admin)) == 2
    assert open_complaints(complaint_counts(db, admin, world.contract_b)) == 1
