"""A confidential complaint never reveals the complainant to the prime: not in any answer the
prime's manager can get, nor in the notifications addressed to the prime."""

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.complaints.conftest import move, moved, notifications, raise_complaint
from tests.helpers import API, add_user, audit_entries, login

IDENTITY_ORG_FIELDS = ("complainant_org_id", "actor_org_id")
IDENTITY_USER_FIELDS = ("raised_by_user_id", "actor_user_id")


def _walk(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        pairs = list(value.items())
        for item in value.values():
            pairs += _walk(item)
        return pairs
    if isinstance(value, list):
        return [pair for item in value for pair in _walk(item)]
    return []


class Leaks:
    """Asserts that nothing seen carries the complainant's name, user names or ids."""

    def __init__(self, names: list[str], org_id: int, user_ids: list[int]) -> None:
        self.names, self.org_id, self.user_ids = names, org_id, user_ids
        self.checked = 0

    def text(self, text: str) -> None:
        for name in self.names:
            assert name.lower() not in text.lower(), f"{name!r} leaked in {text[:300]}"
        self.checked += 1

    def response(self, response: Any) -> None:
        self.text(response.text)
        for header, value in response.headers.items():
            self.text(f"{header}: {value}")
        if response.headers.get("content-type", "").startswith("application/json"):
            for key, value in _walk(response.json()):
                if key in IDENTITY_ORG_FIELDS:
                    assert value != self.org_id, f"{key} leaked"
                if key in IDENTITY_USER_FIELDS:
                    assert value not in self.user_ids, f"{key} leaked"


def test_the_prime_never_learns_who_raised_a_confidential_complaint(client: TestClient, db, world):
    second_user = add_user(db, "asha.s1", "provider_user", world.s1)
    s1, asha, manager = world.headers["s1"], login(client, "asha.s1"), world.headers["manager_a"]
    leaks = Leaks(["S1 Community Trust", "s1.user", "asha.s1"], world.s1,
                  [world.user_ids["s1"], second_user])
    complaint = raise_complaint(client, s1, world.contract_a, confidential=True,
                                title="Referrals stopped after our invoice query")
    cid = complaint["id"]
    assert complaint["complainant_name"] == "S1 Community Trust"  # the complainant sees itself
    url = f"{API}/complaints/{cid}"

    def as_prime(method: str, path: str = "", **kwargs: Any) -> Any:
        response = client.request(method, url + path, headers=manager, **kwargs)
        leaks.response(response)
        return response

    assert client.post(f"{url}/messages", headers=asha,
                       json={"body": "Figures attached."}).status_code == 201
    detail = as_prime("GET").json()
    assert (detail["complainant_org_id"], detail["complainant_name"]) == (None, None)
    assert detail["raised_by_user_id"] is None and detail["raised_by_username"] is None
    assert [e["actor_party"] for e in detail["history"]] == ["complainant"]
    assert [(m["actor_party"], m["actor_username"]) for m in detail["messages"]] == [
        ("complainant", None)]

    for to in ("acknowledged", "investigating"):
        assert as_prime("POST", "/transitions", json={"to": to, "note": "ok"}).status_code == 200
    assert as_prime("POST", "/messages", json={"body": "Which invoice?"}).status_code == 201
    assert client.post(f"{url}/messages", headers=s1,
                       json={"body": "September's."}).status_code == 201
    assert as_prime("POST", "/transitions",
                    json={"to": "resolved", "note": "Referrals restored"}).status_code == 200
    # Refusals and errors name no one either.
    assert as_prime("POST", "/transitions", json={"to": "closed", "note": "x"}).status_code == 403
    assert as_prime("POST", "/transitions", json={"to": "decided", "note": "x",
                                                  "outcome": "upheld"}).status_code == 409
    assert as_prime("POST", "/confidentiality", json={"confidential": False}).status_code == 403
    assert as_prime("POST", "/transitions", json={"to": "nowhere", "note": "x"}).status_code == 422
    assert as_prime("POST", "/messages", json={"body": ""}).status_code == 422
    moved(client, s1, cid, "escalated", note="Not enough")
    for params in ({}, {"contract_id": world.contract_a}, {"status": "escalated"},
                   {"format": "csv"}):
        listed = client.get(f"{API}/complaints", headers=manager, params=params)
        leaks.response(listed)
    # The compliance flags a complaint feeds (CON-1, CON-3) name no one either.
    for rule in ("CON-1", "CON-3"):
        for params in ({"rule": rule}, {"rule": rule, "format": "csv"}):
            leaks.response(client.get(f"{API}/compliance/flags", headers=manager,
                                      params={"contract_id": world.contract_a, **params}))
    csv_rows = client.get(f"{API}/complaints", headers={**manager, "Accept": "text/csv"})
    leaks.response(csv_rows)
    table_start = int(csv_rows.text.splitlines()[0].rsplit(" ", 1)[1])
    assert csv_rows.text.splitlines()[table_start].startswith(
        f"{cid},{world.contract_a},,,True,")
    final = as_prime("GET").json()
    assert [e["actor_party"] for e in final["history"]] == [
        "complainant", "prime", "prime", "prime", "complainant"]
    assert all(e["actor_user_id"] is None for e in final["history"]
               if e["actor_party"] == "complainant")
    assert len(final["messages"]) == 3

    # Notifications to the prime carry no identity; the complainant's own do.
    for note in notifications(db, cid):
        if note.recipient_org_id == world.prime_a:
            leaks.text(note.subject + "\n" + note.body)
            assert "a supply-chain member (confidential)" in note.body
    to_reviewer = [n for n in notifications(db, cid) if n.recipient_org_id == world.reviewer_org]
    assert to_reviewer and "S1 Community Trust" in to_reviewer[0].body
    assert leaks.checked > 40

    # The reviewer sees who complained, and so does the complainant.
    for who in ("reviewer", "s1", "admin"):
        seen = client.get(url, headers=world.headers[who]).json()
        assert seen["complainant_name"] == "S1 Community Trust", who
        assert seen["history"][0]["actor_username"] == "s1.user"


def test_the_complainant_lifts_confidentiality_for_good(client, db, world):
    s1, manager = world.headers["s1"], world.headers["manager_a"]
    cid = raise_complaint(client, s1, world.contract_a, confidential=True)["id"]
    url = f"{API}/complaints/{cid}"
    keep = client.post(f"{url}/confidentiality", headers=s1, json={"confidential": True})
    assert keep.status_code == 200 and keep.json()["confidential"] is True
    lifted = client.post(f"{url}/confidentiality", headers=s1, json={"confidential": False})
    assert lifted.status_code == 200, lifted.text
    seen = client.get(url, headers=manager).json()
    assert (seen["confidential"], seen["complainant_org_id"], seen["complainant_name"]) == (
        False, world.s1, "S1 Community Trust")
    assert seen["history"][0]["actor_username"] == "s1.user"
    assert seen["history"][-1]["kind"] == "confidentiality"
    again = client.post(f"{url}/confidentiality", headers=s1, json={"confidential": True})
    assert again.status_code == 409
    assert "cannot be restored" in again.json()["detail"]
    [audit] = audit_entries(db, "complaint.confidentiality")
    assert (audit.entity_id, audit.actor_user_id) == (cid, world.user_ids["s1"])
    told = [n for n in notifications(db, cid) if n.kind == "complaint.confidentiality"]
    assert [n.recipient_org_id for n in told] == [world.prime_a]
    assert "S1 Community Trust" in told[0].body
    assert client.post(f"{url}/confidentiality", headers=world.headers["s2"],
                       json={"confidential": False}).status_code == 404


def test_a_non_confidential_complaint_names_the_complainant_to_the_prime(client, db, world):
    cid = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    seen = client.get(f"{API}/complaints/{cid}", headers=world.headers["manager_a"]).json()
    assert (seen["complainant_org_id"], seen["raised_by_username"]) == (world.s1, "s1.user")
    [to_prime] = [n for n in notifications(db, cid) if n.recipient_org_id == world.prime_a]
    assert "Complainant: S1 Community Trust" in to_prime.body
    assert json.loads(move(client, world.headers["manager_a"], cid, "closed").text)["allowed"] == [
        "acknowledged"]
