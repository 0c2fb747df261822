"""Complaints feed the Merlin Conduct flags: a transition recomputes CON-1 at once."""

from sqlalchemy import select

from app.models import ComplianceFlag
from tests.complaints.conftest import backdate, moved, raise_complaint


def con1_flags(db, complaint_id):
    db.rollback()  # a fresh snapshot
    return list(db.scalars(select(ComplianceFlag).where(
        ComplianceFlag.rule == "CON-1", ComplianceFlag.complaint_ref == complaint_id)))


def test_an_acknowledgement_past_its_sla_raises_con1_when_it_is_made(client, db, world):
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a, confidential=False)
    assert con1_flags(db, complaint["id"]) == []
    backdate(db, complaint["id"], days=14)  # submitted two weeks ago: 5 working days passed
    moved(client, world.headers["manager_a"], complaint["id"], "acknowledged", note="late")
    # Stored by the transition itself, before anyone reads the flags.
    [flag] = con1_flags(db, complaint["id"])
    assert flag.subject_org_id == world.s1 and flag.status == "open"
    assert "acknowledg" in flag.summary
