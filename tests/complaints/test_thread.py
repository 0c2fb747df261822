"""The history and message thread: append-only, ordered, each entry with its actor and time;
every change audited."""

from datetime import datetime

from tests.complaints.conftest import backdate, moved, raise_complaint
from tests.helpers import API, audit_entries


def _post(client, headers, complaint_id, body):
    response = client.post(f"{API}/complaints/{complaint_id}/messages", headers=headers,
                           json={"body": body})
    assert response.status_code == 201, response.text
    return response.json()


def test_messages_and_history_accumulate_in_order_with_their_actors(client, db, world):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    url = f"{API}/complaints/{cid}"
    first = _post(client, world.headers["s1"], cid, "We had 3 referrals in 90 days.")
    assert (first["actor_party"], first["actor_username"], first["actor_org_name"]) == (
        "complainant", "s1.user", "S1 Community Trust")
    snapshots = [client.get(url, headers=world.headers["s1"]).json()]
    moved(client, world.headers["manager_a"], cid, "acknowledged")
    _post(client, world.headers["manager_a"], cid, "We are checking the allocation.")
    snapshots.append(client.get(url, headers=world.headers["s1"]).json())
    backdate(db, cid, 60)
    moved(client, world.headers["s1"], cid, "escalated", note="No answer in 20 working days")
    _post(client, world.headers["reviewer"], cid, "The panel has the file.")
    _post(client, world.headers["admin"], cid, "Corrected the contract reference.")
    final = client.get(url, headers=world.headers["s1"]).json()

    assert [(m["actor_party"], m["actor_username"], m["body"]) for m in final["messages"]] == [
        ("complainant", "s1.user", "We had 3 referrals in 90 days."),
        ("prime", "manager_a.user", "We are checking the allocation."),
        ("reviewer", "reviewer.user", "The panel has the file."),
        ("admin", "admin", "Corrected the contract reference.")]
    assert [(h["from_status"], h["to_status"], h["actor_party"]) for h in final["history"]] == [
        (None, "submitted", "complainant"), ("submitted", "acknowledged", "prime"),
        ("acknowledged", "escalated", "complainant")]
    # Each list is oldest first (ids are random: they tell nothing about order).
    for entries in (final["history"], final["messages"]):
        times = [datetime.fromisoformat(e["at"]) for e in entries]
        assert times == sorted(times)
    # Append-only: what was there stays exactly as it was.
    for snapshot in snapshots:
        assert final["history"][:len(snapshot["history"])] == snapshot["history"]
        assert final["messages"][:len(snapshot["messages"])] == snapshot["messages"]
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, f"{url}/messages", headers=world.headers["admin"]
                              ).status_code == 405

    assert [a.details["to_status"] for a in audit_entries(db, "complaint.transition")] == [
        "acknowledged", "escalated"]
    [raised] = audit_entries(db, "complaint.raise")
    assert (raised.entity_id, raised.actor_user_id, raised.details["contract_id"]) == (
        cid, world.user_ids["s1"], world.contract_a)
    assert len(audit_entries(db, "complaint.message")) == 4


def test_a_finished_complaints_thread_is_read_only(client, db, world):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    moved(client, world.headers["s1"], cid, "withdrawn", note="Settled informally")
    response = client.post(f"{API}/complaints/{cid}/messages", headers=world.headers["manager_a"],
                           json={"body": "Thanks"})
    assert (response.status_code, response.json()) == (
        409, {"detail": f"complaint {cid} is withdrawn; its thread is read-only"})
    too_long = client.post(f"{API}/complaints/{cid}/messages", headers=world.headers["s1"],
                           json={"body": "x" * 20_001})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "body"]


def test_two_moves_at_once_do_not_both_start_from_the_same_status(client, db, world):
    from concurrent.futures import ThreadPoolExecutor

    from app.auth.principal import Principal
    from app.complaints import schemas, service
    from app.core.db import get_sessionmaker
    from app.core.errors import DomainError

    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    prime = Principal(role="prime_manager", organisation_id=world.prime_a,
                      user_id=world.user_ids["manager_a"])

    def acknowledge(_: int) -> int:
        with get_sessionmaker()() as session:
            try:
                service.transition(session, prime, cid, schemas.TransitionCreate(
                    to="acknowledged", note="on it"))
            except DomainError as exc:
                return exc.status_code
        return 200

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = sorted(pool.map(acknowledge, range(4)))
    assert answers == [200, 409, 409, 409]
    history = client.get(f"{API}/complaints/{cid}", headers=world.headers["s1"]).json()["history"]
    assert [h["to_status"] for h in history] == ["submitted", "acknowledged"]
