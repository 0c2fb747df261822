"""The demo's complaints: one in each state of the route, histories and messages, a confidential
one that the prime sees without its complainant, and a breached acknowledgement SLA."""

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.complaints.service import get_complaint
from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Complaint, ComplaintEntry, Contract, Notification, User


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr("app.auth.service.hash_password", hasher.hash)


def test_the_demo_has_complaints_in_every_state(db: Session) -> None:
    summary = load_demo(get_sessionmaker(), generate_cpa(150, 3, today()), progress=False)
    assert summary.complaints == 9
    db.rollback()
    complaints = list(db.scalars(select(Complaint).order_by(Complaint.id)))
    statuses = {c.status for c in complaints}
    assert statuses >= {"submitted", "acknowledged", "resolved", "escalated",
                        "independent_review", "decided", "closed", "withdrawn"}
    assert {c.triage for c in complaints} == {None, "merlin", "commercial"}
    assert any(c.outcome == "partially_upheld" for c in complaints)

    [breached] = [c for c in complaints if c.acknowledgement_breach_at is not None]
    assert (breached.status, breached.confidential) == ("submitted", True)
    breach_notes = db.scalar(select(func.count()).where(
        Notification.complaint_id == breached.id,
        Notification.kind == "complaint.acknowledgement_breach"))
    assert breach_notes == 2  # the complainant and the prime

    for complaint in complaints:
        entries = list(db.scalars(select(ComplaintEntry).where(
            ComplaintEntry.complaint_id == complaint.id).order_by(ComplaintEntry.id)))
        transitions = [e for e in entries if e.kind == "transition"]
        assert transitions[0].to_status == "submitted"
        assert transitions[-1].to_status == complaint.status
        assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert db.execute(select(func.count()).where(ComplaintEntry.kind == "message")
                      ).scalar_one() >= 5

    # The prime's manager sees the confidential complaint without its complainant.
    manager = db.scalar(select(User).where(User.role == "prime_manager"))
    assert manager is not None
    prime = Principal(role="prime_manager", organisation_id=manager.organisation_id,
                      user_id=manager.id)
    view = get_complaint(db, prime, breached.public_id)
    assert (view.complainant_org_id, view.complainant_name) == (None, None)
    assert view.sla.acknowledgement_breached and view.messages[0].actor_username is None
    assert db.scalar(select(Contract.prime_id)) == manager.organisation_id
