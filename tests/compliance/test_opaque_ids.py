"""Issue 13, finding 1: identifiers must not reveal records a reader may not see.

The probe: a prime manager lists its flags, moves a member to an improvement plan and records
a late payment for it. When that member raised a confidential complaint, a CON-3 flag the
prime may not see is raised between the two; sequential ids showed it as a gap. Public ids are
random, so what the prime sees is the same whichever member it moved."""

import base64
import binascii
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.timeutil import today
from tests.complaints.conftest import raise_complaint
from tests.helpers import API

FLAGS = f"{API}/compliance/flags"


def _flags(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(FLAGS, headers=headers, params={"limit": 1000})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def _probe(client: TestClient, world: Any, mover: int) -> dict[str, Any]:
    """S2 complains in confidence; the prime moves `mover` to an improvement plan and records a
    late payment to it. What the prime saw before and after."""
    c, prime = world.contract_a, world.headers["manager_a"]
    raise_complaint(client, world.headers["s2"], c, confidential=True)
    before = _flags(client, prime)
    response = client.post(f"{API}/contracts/{c}/members/{mover}/status", headers=prime,
                           json={"status": "on_improvement_plan", "reason": "targets"})
    assert response.status_code == 200, response.text
    response = client.post(f"{API}/contracts/{c}/payments", headers=prime, json={
        "provider_id": mover, "amount": "100.00",
        "invoice_date": (today() - timedelta(days=60)).isoformat()})
    assert response.status_code == 201, response.text
    after = _flags(client, prime)
    hidden = [f for f in _flags(client, world.headers["admin"]) if f["rule"] == "CON-3"]
    return {"before": before, "after": after, "hidden": hidden, "payment": response.json()}


def _shape(seen: dict[str, Any], mover: int) -> list[tuple[str, str]]:
    """What the prime saw, with the moved member and ids left out."""
    def who(flag: dict[str, Any]) -> str:
        return "mover" if flag["subject_org_id"] == mover else str(flag["subject_org_id"])
    return sorted((f["rule"], who(f)) for f in seen["after"])


def _looks_sequential(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


@pytest.mark.parametrize("mover_is_complainant", [True, False])
def test_a_hidden_con3_flag_leaves_no_trace_in_the_primes_flags(client, world,
                                                                 mover_is_complainant):
    mover = world.s2 if mover_is_complainant else world.s1
    seen = _probe(client, world, mover)
    # The flag the prime may not see is there (or not) as the finding says.
    assert len(seen["hidden"]) == (1 if mover_is_complainant else 0)
    new = [f for f in seen["after"] if f["id"] not in {b["id"] for b in seen["before"]}]
    assert [f["rule"] for f in new] == ["COM-1"]
    for flag in seen["after"]:
        assert not _looks_sequential(flag["id"])
    # The hidden flag's id appears nowhere in the prime's answer.
    for hidden in seen["hidden"]:
        assert hidden["id"] not in str(seen["after"])
    # S1, the tier-2 member never sent specialist work, has its SCD-2 in both scenarios; the
    # rest is the same shape whichever member was moved.
    assert [f["subject_org_id"] for f in seen["after"] if f["rule"] == "SCD-2"] == [world.s1]
    assert [kind for kind in _shape(seen, mover) if kind[0] != "SCD-2"] == [
        ("COM-1", "mover"), ("CON-2", str(world.s3))]


def test_the_probe_answers_the_same_whichever_member_was_moved(client, world):
    """The two scenarios side by side (two worlds are two tests; here: one member each)."""
    seen = _probe(client, world, world.s2)
    late = next(f for f in seen["after"] if f["rule"] == "COM-1")
    # The payment and its flag carry unrelated random ids, not counters.
    assert not _looks_sequential(seen["payment"]["id"])
    assert late["evidence"]["payment_id"] == seen["payment"]["id"]
    assert str(seen["hidden"][0]["evidence"]["complaint_id"]) not in late["summary"]


def test_two_records_made_in_turn_have_unrelated_ids(client, world):
    c, prime = world.contract_a, world.headers["manager_a"]
    ids = []
    for _ in range(2):
        response = client.post(f"{API}/contracts/{c}/payments", headers=prime, json={
            "provider_id": world.s1, "amount": "10.00",
            "invoice_date": today().isoformat()})
        ids.append(response.json()["id"])
    first, second = ids
    assert isinstance(first, str) and len(first) >= 20 and first != second
    assert first[:8] != second[:8]  # not time-ordered: no shared prefix


def test_cursors_are_opaque_and_checked(client, world):
    c, prime = world.contract_a, world.headers["manager_a"]
    for days in (40, 50):
        client.post(f"{API}/contracts/{c}/payments", headers=prime, json={
            "provider_id": world.s1, "amount": "10.00",
            "invoice_date": (today() - timedelta(days=days)).isoformat()})
    url = f"{API}/contracts/{c}/payments"
    cursor = client.get(url, headers=prime, params={"limit": 1}).json()["next_cursor"]
    assert cursor
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        decoded = b""
    assert not decoded.strip().isdigit()
    # A cursor of the old form (the integer id in base64), and a tampered one, are refused.
    for bad in (base64.urlsafe_b64encode(b"1").decode(), cursor[:-2] + "AA"):
        answer = client.get(url, headers=prime, params={"limit": 1, "cursor": bad})
        assert answer.status_code == 422
        assert answer.json()["detail"] == "cursor: not a cursor this service gave out"
    second = client.get(url, headers=prime, params={"limit": 1, "cursor": cursor})
    assert second.status_code == 200 and len(second.json()["rows"]) == 1


def test_integer_and_malformed_ids_answer_404(client, world):
    admin = world.headers["admin"]
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a)
    for bad in ("1", "999999", "0", "-1", "x" * 400, "%00", "a%2Fb", complaint["id"] + "x"):
        for url in (f"{FLAGS}/{bad}", f"{API}/complaints/{bad}"):
            assert client.get(url, headers=admin).status_code == 404, url
        assert client.post(f"{API}/complaints/{bad}/messages", headers=admin,
                           json={"body": "hello"}).status_code == 404
        assert client.delete(f"{API}/api-keys/{bad}", headers=admin).status_code == 404
        assert client.post(f"{API}/contracts/{world.contract_a}/payments/{bad}/paid",
                           headers=admin, json={"paid_date": today().isoformat()}
                           ).status_code == 404
    assert client.get(f"{API}/complaints/{complaint['id']}", headers=admin).status_code == 200
