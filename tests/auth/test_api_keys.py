"""API keys: created once, stored hashed, scoped to an organisation, never above the creator."""

import hashlib

from sqlalchemy import select

from app.models import ApiKey
from tests.helpers import API, audit_entries, page_through

NOT_AUTHENTICATED = ("Not authenticated: send 'Authorization: Bearer <token>' or "
                     "'X-API-Key: <key>'")


def _create(client, headers, **payload):
    return client.post(f"{API}/api-keys", headers=headers, json={"name": "nightly", **payload})


def test_an_admin_key_for_a_subcontractor_authenticates_as_that_organisation(client, world):
    response = _create(client, world.headers["admin"], organisation_id=world.s1,
                       role="provider_user")
    assert response.status_code == 201
    body = response.json()
    key = body["key"]
    assert key.startswith("cbk_")
    assert body["prefix"] == key[:12]
    assert (body["organisation_id"], body["role"], body["name"]) == (
        world.s1, "provider_user", "nightly")

    me = client.get(f"{API}/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json() == {"role": "provider_user", "organisation_id": world.s1, "user_id": None,
                         "username": None}
    # The key carries its organisation's scope: contract A yes, contract B as if absent.
    assert client.get(f"{API}/contracts/{world.contract_a}",
                      headers={"X-API-Key": key}).status_code == 200
    assert client.get(f"{API}/contracts/{world.contract_b}",
                      headers={"X-API-Key": key}).status_code == 404


def test_only_the_hash_of_a_key_is_stored_and_lists_never_show_the_key(client, db, world):
    body = _create(client, world.headers["admin"], organisation_id=world.s1,
                   role="provider_user").json()
    stored = db.scalars(select(ApiKey).where(ApiKey.public_id == body["id"])).one()
    assert stored.key_hash == hashlib.sha256(body["key"].encode()).hexdigest()
    assert body["key"] not in (stored.key_hash, stored.prefix, stored.name)
    listed = client.get(f"{API}/api-keys", headers=world.headers["admin"]).json()
    assert listed["next_cursor"] is None
    [row] = listed["rows"]
    assert "key" not in row
    assert row["prefix"] == body["prefix"]


def test_a_revoked_key_gets_401_and_leaves_the_list(client, db, world):
    admin = world.headers["admin"]
    body = _create(client, admin, organisation_id=world.s2, role="provider_user").json()
    key_headers = {"X-API-Key": body["key"]}
    assert client.get(f"{API}/auth/me", headers=key_headers).status_code == 200

    response = client.delete(f"{API}/api-keys/{body['id']}", headers=admin)
    assert response.status_code == 204
    assert response.content == b""
    after = client.get(f"{API}/auth/me", headers=key_headers)
    assert after.status_code == 401
    assert after.json() == {"detail": NOT_AUTHENTICATED}
    assert client.get(f"{API}/api-keys", headers=admin).json()["rows"] == []
    again = client.delete(f"{API}/api-keys/{body['id']}", headers=admin)
    assert again.status_code == 404
    assert again.json() == {"detail": f"api key {body['id']} not found"}

    [created] = audit_entries(db, "api_key.create")
    [revoked] = audit_entries(db, "api_key.revoke")
    assert created.entity_id == revoked.entity_id == body["id"]
    assert revoked.actor_user_id == world.user_ids["admin"]
    assert revoked.details["prefix"] == body["prefix"]


def test_an_unknown_key_gets_401(client, world):
    response = client.get(f"{API}/contracts", headers={"X-API-Key": "cbk_made-up"})
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_AUTHENTICATED}


def test_a_prime_manager_creates_keys_for_its_own_organisation_at_or_below_its_role(client, world):
    manager = world.headers["manager_a"]
    own = _create(client, manager)
    assert own.status_code == 201
    assert (own.json()["organisation_id"], own.json()["role"]) == (world.prime_a,
                                                                   "prime_manager")
    inhouse = _create(client, manager, role="provider_user")
    assert inhouse.status_code == 201
    assert inhouse.json()["organisation_id"] == world.prime_a

    higher = _create(client, manager, role="admin")
    assert higher.status_code == 403
    assert higher.json() == {"detail": "role: a prime_manager cannot create a key with role "
                                       "admin; a key never carries more rights than its creator"}
    other_org = _create(client, manager, organisation_id=world.s1, role="provider_user")
    assert other_org.status_code == 404
    assert other_org.json() == {"detail": f"organisation {world.s1} not found"}


def test_a_provider_user_creates_only_provider_user_keys_for_its_own_organisation(client, db,
                                                                               world):
    s1 = world.headers["s1"]
    own = _create(client, s1)
    assert own.status_code == 201
    assert (own.json()["organisation_id"], own.json()["role"]) == (world.s1, "provider_user")
    higher = _create(client, s1, role="prime_manager")
    assert higher.status_code == 403
    assert higher.json()["detail"].startswith(
        "role: a provider_user cannot create a key with role prime_manager")
    assert _create(client, s1, organisation_id=world.s2).status_code == 404
    assert len(audit_entries(db, "api_key.create")) == 1


def test_reviewers_may_not_manage_keys_and_keys_may_not_mint_keys(client, world):
    for method, path in (("POST", "/api-keys"), ("GET", "/api-keys"),
                         ("DELETE", "/api-keys/1")):
        response = client.request(method, f"{API}{path}", headers=world.headers["reviewer"],
                                  json={"name": "x"})
        assert response.status_code == 403
        assert response.json() == {"detail": "role 'reviewer' may not manage API keys"}

    key = _create(client, world.headers["s1"]).json()["key"]
    minted = _create(client, {"X-API-Key": key})
    assert minted.status_code == 403
    assert minted.json() == {
        "detail": "API keys are created by signed-in users, not by other API keys"}


def test_an_admin_must_name_the_role_of_a_key_for_an_organisation(client, world):
    response = _create(client, world.headers["admin"], organisation_id=world.s1)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "role: required when an admin creates a key for an organisation"}
    mismatched = _create(client, world.headers["admin"], organisation_id=world.s1,
                         role="prime_manager")
    assert mismatched.status_code == 422
    assert mismatched.json() == {
        "detail": "role: a prime_manager cannot belong to a subcontractor organisation"}


def test_each_principal_lists_and_revokes_only_keys_it_could_have_created(client, world):
    manager_key = _create(client, world.headers["manager_a"]).json()
    inhouse_key = _create(client, world.headers["inhouse_a"]).json()
    s1_key = _create(client, world.headers["s1"]).json()

    def listed(who: str) -> set[int]:
        response = client.get(f"{API}/api-keys", headers=world.headers[who])
        assert response.status_code == 200
        return {row["id"] for row in response.json()["rows"]}

    assert listed("admin") == {manager_key["id"], inhouse_key["id"], s1_key["id"]}
    assert listed("manager_a") == {manager_key["id"], inhouse_key["id"]}
    # In-house staff share the prime's organisation but never see or revoke the manager's key.
    assert listed("inhouse_a") == {inhouse_key["id"]}
    assert listed("s1") == {s1_key["id"]}
    assert listed("s2") == set()

    blocked = client.delete(f"{API}/api-keys/{manager_key['id']}",
                            headers=world.headers["inhouse_a"])
    assert blocked.status_code == 404
    assert client.delete(f"{API}/api-keys/{s1_key['id']}",
                         headers=world.headers["manager_a"]).status_code == 404
    assert client.delete(f"{API}/api-keys/{inhouse_key['id']}",
                         headers=world.headers["manager_a"]).status_code == 204
    assert client.get(f"{API}/auth/me",
                      headers={"X-API-Key": manager_key["key"]}).status_code == 200
    assert client.get(f"{API}/auth/me",
                      headers={"X-API-Key": inhouse_key["key"]}).status_code == 401


def test_the_key_list_pages_with_a_cursor(client, world):
    ids = [_create(client, world.headers["admin"], organisation_id=world.s1,
                   role="provider_user").json()["id"] for _ in range(5)]
    pages = page_through(client, f"{API}/api-keys", world.headers["admin"], limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row["id"] for page in pages for row in page] == ids


def test_a_key_id_not_shaped_like_one_is_not_found_not_a_server_error(client, world):
    response = client.delete(f"{API}/api-keys/{2**63}", headers=world.headers["admin"])
    assert response.status_code == 404
