"""The audit log's reader, GET /api/v1/audit (issue 13, finding 12): admins read every entry,
filtered and paginated like every list; reviewers read the entries about what they may see
(compliance flags, escalated complaints), never the supply chain's own books; prime managers
and provider users are refused."""

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.core.timeutil import utcnow
from app.models import Complaint
from tests.helpers import API, page_through, record_payment
from tests.world import World

AUDIT = f"{API}/audit"


def _raise_complaint(client: Any, world: World, confidential: bool) -> str:
    response = client.post(f"{API}/complaints", headers=world.headers["s1"], json={
        "contract_id": world.contract_a, "principle": "commitment", "title": "Unpaid",
        "description": "Invoice unpaid for 60 days.", "confidential": confidential})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _rows(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, headers=headers, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"rows", "next_cursor"}
    return list(body["rows"])


def test_an_admin_pages_through_every_entry_in_order(client, world):
    record_payment(client, world.headers["admin"], world.contract_a, world.s1)
    everything = _rows(client, world.headers["admin"])
    assert {"organisation.create", "contract.create", "member.add", "payment.record"} <= {
        row["action"] for row in everything}
    assert set(everything[0]) == {"id", "at", "actor_user_id", "actor_org_id", "action",
                                  "entity_type", "entity_id", "details"}
    pages = page_through(client, AUDIT, world.headers["admin"], limit=3)
    assert [row for page in pages for row in page] == everything
    assert all(len(page) <= 3 for page in pages) and len(pages) > 2


def test_the_filters_narrow_the_entries(client, world):
    admin = world.headers["admin"]
    payment = record_payment(client, admin, world.contract_a, world.s1)
    by_action = _rows(client, admin, action="payment.record")
    assert [row["entity_id"] for row in by_action] == [payment["id"]]
    assert by_action[0]["actor_user_id"] == world.user_ids["admin"]
    assert by_action[0]["details"]["provider_id"] == world.s1
    members = _rows(client, admin, entity_type="membership")
    assert members and {row["action"] for row in members} <= {"member.add", "member.status"}
    one = _rows(client, admin, entity_type="contract", entity_id=world.contract_b)
    assert [row["action"] for row in one] == ["contract.create"]
    assert _rows(client, admin, actor_user_id=world.user_ids["s1"]) == []
    _raise_complaint(client, world, confidential=False)
    assert [row["action"] for row in _rows(client, admin, actor_user_id=world.user_ids["s1"])
            ] == ["complaint.raise"]
    now = utcnow()
    assert len(_rows(client, admin, since=(now - timedelta(hours=1)).isoformat())) == len(
        _rows(client, admin))
    assert _rows(client, admin, since=(now + timedelta(hours=1)).isoformat()) == []
    assert _rows(client, admin, until=(now - timedelta(hours=1)).isoformat()) == []


def test_a_bad_filter_or_cursor_is_refused_with_its_name(client, world):
    admin = world.headers["admin"]
    for params in ({"since": "yesterday"}, {"entity_id": "x" * 33}, {"cursor": "nonsense!"},
                   {"limit": 0}):
        response = client.get(AUDIT, headers=admin, params=params)
        assert response.status_code == 422, (params, response.text)


def test_prime_managers_and_provider_users_are_refused(client, world):
    assert client.get(AUDIT).status_code == 401
    for who in ("manager_a", "s1", "inhouse_a"):
        response = client.get(AUDIT, headers=world.headers[who])
        assert response.status_code == 403, (who, response.text)
        assert "audit log" in response.json()["detail"]
    assert client.get(AUDIT, headers=world.keys["manager_a"]).status_code == 403


def test_a_reviewer_reads_only_entries_about_flags_and_escalated_complaints(client, db, world):
    """Reviewers see compliance flags and escalated complaints (DOMAIN.md section 9), not
    users, keys, payments or a complaint still in the prime's own procedure: its raise entry
    names the complainant's organisation (actor_org_id), which a confidential complaint hides
    from everyone but its parties until a reviewer may see it."""
    admin = world.headers["admin"]
    record_payment(client, admin, world.contract_a, world.s1)
    client.post(f"{API}/api-keys", headers=admin, json={
        "name": "k", "organisation_id": world.s1, "role": "provider_user"})
    quiet = _raise_complaint(client, world, confidential=True)
    escalated = _raise_complaint(client, world, confidential=True)
    db.execute(update(Complaint).where(Complaint.public_id == escalated)
               .values(escalated_at=utcnow()))
    db.commit()
    seen = _rows(client, world.headers["reviewer"])
    assert {(row["entity_type"], row["entity_id"]) for row in seen} == {
        ("complaint", escalated)}
    assert seen[0]["actor_org_id"] == world.s1  # reviewers may see a confidential complainant
    assert _rows(client, world.headers["reviewer"], entity_type="complaint",
                 entity_id=quiet) == []
    # The payment above, unpaid long past its terms, raised a COM-1 flag.
    flags = client.get(f"{API}/compliance/flags", headers=admin, params={"rule": "COM-1"})
    assert flags.status_code == 200 and flags.json()["rows"], flags.text
    flag_id = flags.json()["rows"][0]["id"]
    answer = client.post(f"{API}/compliance/flags/{flag_id}/status", headers=admin,
                         json={"status": "acknowledged", "note": "seen"})
    assert answer.status_code == 200, answer.text
    assert {(row["entity_type"], row["entity_id"]) for row in _rows(
        client, world.headers["reviewer"])} == {("complaint", escalated),
                                                ("compliance_flag", flag_id)}
