"""On the demo data (app.demo), loading computes the flags and the story's situations raise
the expected ones: the starved member SCD-1, the late payments COM-1, the member suspended
without an improvement plan CON-2 (and not the member on an improvement plan), the specialist
REV-1, the specialist never used SCD-2."""

from datetime import timedelta

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select

from app.auth.schemas import ApiKeyCreate
from app.auth.service import create_api_key
from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Organisation, Payment
from tests.helpers import API
from tests.world import ADMIN


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr("app.auth.service.hash_password", hasher.hash)


def test_demo_situations_raise_their_flags(client, db):
    cpa = generate_cpa(6000, 7, today())
    summary = load_demo(get_sessionmaker(), cpa, progress=False)
    assert summary.rejected == []
    _, key = create_api_key(db, ADMIN, ApiKeyCreate(name="demo check"))
    response = client.get(f"{API}/compliance/flags", headers={"X-API-Key": key},
                          params={"limit": 1000, "cleared": "false"})
    assert response.status_code == 200, response.text
    flags = response.json()["rows"]
    names = {o.key: o.name for o in cpa.organisations}
    org_ids = dict(db.execute(select(Organisation.name, Organisation.id)).all())

    def subjects(rule: str) -> set[int]:
        return {f["subject_org_id"] for f in flags if f["rule"] == rule}

    starved = org_ids[names[cpa.starved_key]]
    suspended = org_ids[names[cpa.suspended_key]]
    on_plan = org_ids[names[cpa.improvement_plan_key]]
    assert subjects("SCD-1") == {starved}
    assert subjects("CON-2") == {suspended}
    assert on_plan not in subjects("CON-2")
    # SCD-2: the specialist named in the supply chain and never referred to, with its
    # evidence; every other specialist had plenty of specialist referrals.
    unused = org_ids[names[cpa.unused_specialist_key]]
    assert subjects("SCD-2") == {unused}
    [bid_candy] = [f for f in flags if f["rule"] == "SCD-2"]
    assert bid_candy["severity"] == "high"
    assert bid_candy["evidence"]["specialist_referrals_to_member"] == 0
    assert bid_candy["evidence"]["specialist_referrals_in_contract"] > 50
    assert bid_candy["evidence"]["window_days"] == 180
    # The specialist is bottom on raw rates but performs as expected for its case mix.
    assert org_ids[names[cpa.specialist_key]] in subjects("REV-1")

    # COM-1: exactly the payments paid (or still unpaid) past their terms.
    late = {p.public_id for p in db.scalars(select(Payment).where(
        Payment.contract_id == summary.contract_id))
        if (p.paid_date or today()) > p.invoice_date + timedelta(days=p.terms_days)}
    assert late and {f["evidence"]["payment_id"] for f in flags
                     if f["rule"] == "COM-1"} == late
    unpaid = [f for f in flags if f["rule"] == "COM-1" and f["evidence"]["unpaid"]]
    assert [f["subject_org_id"] for f in unpaid] == [org_ids[names[cpa.specialist_key]]]
