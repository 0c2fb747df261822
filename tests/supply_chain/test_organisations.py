"""Organisations: unique names (case-insensitive, trimmed), admin-only creation, scoped reads,
and the list contract (limit, cursor) every list endpoint shares."""

import pytest

from tests.helpers import API, audit_entries, page_through


def test_names_are_trimmed_and_unique_case_insensitively(client, db, admin):
    response = client.post(f"{API}/organisations", headers=admin,
                           json={"name": " Acme  Ltd", "kind": "subcontractor",
                                 "sector": "private"})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "name": "Acme Ltd", "kind": "subcontractor",
                    "sector": "private"}

    for clash in ("acme ltd", "ACME LTD ", "Acme\tLtd"):
        again = client.post(f"{API}/organisations", headers=admin,
                            json={"name": clash, "kind": "prime", "sector": "third"})
        assert again.status_code == 409
        shown = " ".join(clash.split())
        assert again.json() == {"detail": f"name: an organisation named '{shown}' exists already"}

    [entry] = audit_entries(db, "organisation.create")
    assert entry.entity_type == "organisation"
    assert entry.entity_id == str(body["id"])
    assert entry.details == {"name": "Acme Ltd", "kind": "subcontractor", "sector": "private"}


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "   ", "kind": "prime", "sector": "private"}, "name"),
    ({"name": "X" * 201, "kind": "prime", "sector": "private"}, "name"),
    ({"name": "Acme", "kind": "charity", "sector": "private"}, "kind"),
    ({"name": "Acme", "kind": "prime", "sector": "voluntary"}, "sector"),
    ({"name": "Acme", "kind": "prime"}, "sector"),
    ({"name": "Acme", "kind": "prime", "sector": "private", "colour": "red"}, "colour"),
])
def test_invalid_organisations_are_refused_naming_the_field(client, admin, payload, field):
    response = client.post(f"{API}/organisations", headers=admin, json=payload)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


def test_only_admins_create_organisations(client, world):
    for who, role in (("manager_a", "prime_manager"), ("s1", "provider_user"),
                      ("reviewer", "reviewer")):
        response = client.post(f"{API}/organisations", headers=world.headers[who],
                               json={"name": "New Co", "kind": "subcontractor",
                                     "sector": "private"})
        assert response.status_code == 403
        assert response.json() == {"detail": f"role '{role}' may not create organisations"}


def test_each_role_sees_its_own_organisation_and_the_parties_to_its_contracts(client, world):
    everyone = {world.prime_a, world.s1, world.s2, world.prime_b, world.sb, world.reviewer_org}

    def visible(who: str) -> set[int]:
        response = client.get(f"{API}/organisations", headers=world.headers[who])
        assert response.status_code == 200
        return {row["id"] for row in response.json()["rows"]}

    assert visible("admin") == everyone
    assert visible("reviewer") == everyone
    assert visible("manager_a") == {world.prime_a, world.s1, world.s2}
    assert visible("inhouse_a") == {world.prime_a}
    assert visible("s1") == {world.s1, world.prime_a}
    assert visible("manager_b") == {world.prime_b, world.sb}

    assert client.get(f"{API}/organisations/{world.s1}",
                      headers=world.headers["manager_a"]).json()["name"] == "S1 Community Trust"
    outside = client.get(f"{API}/organisations/{world.s1}", headers=world.headers["manager_b"])
    assert outside.status_code == 404
    assert outside.json() == {"detail": f"organisation {world.s1} not found"}
    # S1 and S2 share a prime, not a view of each other.
    assert client.get(f"{API}/organisations/{world.s2}",
                      headers=world.headers["s1"]).status_code == 404


def test_lists_page_through_every_row_once_with_the_cursor(client, world):
    pages = page_through(client, f"{API}/organisations", world.headers["admin"], limit=4)
    assert [len(page) for page in pages] == [4, 2]
    ids = [row["id"] for page in pages for row in page]
    assert ids == sorted({world.prime_a, world.s1, world.s2, world.prime_b, world.sb,
                          world.reviewer_org})
    default = client.get(f"{API}/organisations", headers=world.headers["admin"]).json()
    assert len(default["rows"]) == 6
    assert default["next_cursor"] is None


@pytest.mark.parametrize(("params", "field", "status"), [
    ({"limit": 1001}, "limit", 422),
    ({"limit": 0}, "limit", 422),
    ({"limit": "ten"}, "limit", 422),
])
def test_limit_is_between_1_and_1000(client, admin, params, field, status):
    response = client.get(f"{API}/organisations", headers=admin, params=params)
    assert response.status_code == status
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


def test_limit_1000_is_allowed_and_a_foreign_cursor_is_refused(client, admin):
    assert client.get(f"{API}/organisations", headers=admin,
                      params={"limit": 1000}).status_code == 200
    response = client.get(f"{API}/organisations", headers=admin, params={"cursor": "!!nope"})
    assert response.status_code == 422
    assert response.json() == {"detail": "cursor: not a cursor this service gave out"}
