"""POST /api/v1/users: admins create users; role and organisation must fit together."""

from app.models import User
from tests.helpers import API, audit_entries


def test_an_admin_creates_a_user_who_can_then_log_in(client, db, world):
    response = client.post(f"{API}/users", headers=world.headers["admin"], json={
        "username": "Nia.Okafor", "password": "a long passphrase", "role": "provider_user",
        "organisation_id": world.s1})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "username": "nia.okafor", "role": "provider_user",
                    "organisation_id": world.s1, "is_active": True,
                    "created_at": body["created_at"]}
    stored = db.get(User, body["id"])
    assert stored is not None
    assert "a long passphrase" not in stored.password_hash
    assert stored.password_hash.startswith("$argon2id$")

    token = client.post(f"{API}/auth/token",
                        data={"username": "nia.okafor", "password": "a long passphrase"})
    assert token.status_code == 200
    me = client.get(f"{API}/auth/me",
                    headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["organisation_id"] == world.s1

    [entry] = audit_entries(db, "user.create")
    assert entry.actor_user_id == world.user_ids["admin"]
    assert entry.entity_id == str(body["id"])
    assert entry.details["role"] == "provider_user"


def test_usernames_are_unique_case_insensitively(client, world):
    response = client.post(f"{API}/users", headers=world.headers["admin"], json={
        "username": "S1.USER", "password": "a long passphrase", "role": "provider_user",
        "organisation_id": world.s1})
    assert response.status_code == 409
    assert response.json() == {"detail": "username: 's1.user' is taken"}


def test_a_role_must_fit_its_organisation(client, db, world):
    admin = world.headers["admin"]

    def attempt(role: str, organisation_id: int | None) -> tuple[int, str]:
        response = client.post(f"{API}/users", headers=admin, json={
            "username": "new.user", "password": "a long passphrase", "role": role,
            "organisation_id": organisation_id})
        return response.status_code, response.json()["detail"]

    assert attempt("provider_user", world.reviewer_org) == (
        422, "role: a provider_user cannot belong to a reviewer organisation")
    assert attempt("prime_manager", world.s1) == (
        422, "role: a prime_manager cannot belong to a subcontractor organisation")
    assert attempt("admin", world.prime_a) == (
        422, "organisation_id: admins belong to no organisation")
    assert attempt("reviewer", None) == (422, "organisation_id: required for role reviewer")
    assert attempt("provider_user", 999_999) == (
        422, "organisation_id: organisation 999999 does not exist")
    assert audit_entries(db, "user.create") == []


def test_user_input_is_validated_field_by_field(client, world):
    response = client.post(f"{API}/users", headers=world.headers["admin"], json={
        "username": "has space", "password": "short", "role": "superuser",
        "organisation_id": 2**31})
    assert response.status_code == 422
    fields = {e["loc"][-1] for e in response.json()["detail"]}
    assert fields == {"username", "password", "role", "organisation_id"}


def test_users_create_accounts_of_their_own_organisation_with_no_more_rights(client, world):
    reviewer = client.post(f"{API}/users", headers=world.headers["reviewer"], json={
        "username": "sneaky", "password": "a long passphrase", "role": "admin"})
    assert reviewer.status_code == 403
    assert reviewer.json() == {"detail": "role 'reviewer' may not create users"}
    for who, role in (("manager_a", "admin"), ("s1", "prime_manager")):
        response = client.post(f"{API}/users", headers=world.headers[who], json={
            "username": "sneaky", "password": "a long passphrase", "role": role})
        assert response.status_code == 403, response.text
        assert response.json()["detail"].startswith("role: ")
    # Another organisation answers as one that does not exist.
    for org in (world.sb, 999_999):
        response = client.post(f"{API}/users", headers=world.headers["s1"], json={
            "username": "sneaky", "password": "a long passphrase", "role": "provider_user",
            "organisation_id": org})
        assert response.status_code == 404
        assert response.json() == {"detail": f"organisation_id: organisation {org} not found"}
    created = client.post(f"{API}/users", headers=world.headers["s1"], json={
        "username": "s1.colleague", "password": "quartz meadow violin tundra",
        "role": "provider_user", "organisation_id": world.s1})
    assert created.status_code == 201, created.text
    assert created.json()["organisation_id"] == world.s1
