"""User management in the API (/users) and the CLI: list, deactivate, reactivate, reset a
password; scoped like every other record, audited, never the last active admin."""

from unittest import mock

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.models import User
from tests.helpers import API, PASSWORD, add_user, audit_entries, login, page_through

NEW_PASSWORD = "walnut ferry lantern oboe"


def test_admins_list_every_user_and_a_prime_manager_its_own_organisations(client, world):
    everyone = [row for page in page_through(client, f"{API}/users", world.headers["admin"], 3)
                for row in page]
    assert sorted(row["username"] for row in everyone) == sorted(world.usernames.values())
    own = client.get(f"{API}/users", headers=world.headers["manager_a"]).json()["rows"]
    assert {row["username"] for row in own} == {"manager_a.user", "inhouse_a.user"}
    providers = client.get(f"{API}/users", headers=world.headers["admin"],
                           params={"role": "provider_user", "organisation_id": world.s1})
    assert [row["username"] for row in providers.json()["rows"]] == ["s1.user"]
    # A provider user sees its own organisation's provider users (issue 15, self-service).
    fellows = client.get(f"{API}/users", headers=world.headers["s1"]).json()["rows"]
    assert [row["username"] for row in fellows] == ["s1.user"]
    assert client.get(f"{API}/users", headers=world.headers["reviewer"]).status_code == 403


def test_a_user_outside_the_managers_organisation_is_not_found(client, world):
    manager = world.headers["manager_a"]
    inhouse = client.get(f"{API}/users/{world.user_ids['inhouse_a']}", headers=manager)
    assert inhouse.status_code == 200 and inhouse.json()["username"] == "inhouse_a.user"
    for who in ("manager_b", "s1", "admin"):
        response = client.get(f"{API}/users/{world.user_ids[who]}", headers=manager)
        assert response.status_code == 404
        assert response.json() == {"detail": f"user {world.user_ids[who]} not found"}


def test_only_admins_reset_passwords_and_organisations_switch_their_own_accounts(client,
                                                                                world):
    target = world.user_ids["inhouse_a"]
    response = client.post(f"{API}/users/{target}/password", headers=world.headers["manager_a"],
                           json={"new_password": NEW_PASSWORD})
    assert response.status_code == 403
    for path, body in (("deactivate", {}), ("reactivate", None)):
        response = client.post(f"{API}/users/{target}/{path}",
                               headers=world.headers["manager_a"], json=body)
        assert response.status_code == 200, (path, response.text)
    # A provider user may not touch its prime's manager (a role it could not give): absent.
    response = client.post(f"{API}/users/{world.user_ids['manager_a']}/deactivate",
                           headers=world.headers["inhouse_a"], json={})
    assert response.status_code == 404


def test_the_last_active_admin_cannot_be_deactivated(client, db, world):
    admin = world.headers["admin"]
    alone = client.post(f"{API}/users/{world.user_ids['admin']}/deactivate", headers=admin,
                        json={"reason": "oops"})
    assert alone.status_code == 409
    assert alone.json()["detail"].startswith("the last active admin cannot be deactivated")
    second = add_user(db, "second.admin", "admin")
    # With another admin active, an admin may leave, and its own token ends with it.
    assert client.post(f"{API}/users/{world.user_ids['admin']}/deactivate", headers=admin,
                       json={}).status_code == 200
    assert client.get(f"{API}/auth/me", headers=admin).status_code == 401
    again = client.post(f"{API}/users/{second}/deactivate", headers=login(client, "second.admin"),
                        json={})
    assert again.status_code == 409


def test_deactivating_twice_or_reactivating_an_active_user_is_a_conflict(client, world):
    admin, target = world.headers["admin"], world.user_ids["s2"]
    assert client.post(f"{API}/users/{target}/reactivate", headers=admin).status_code == 409
    assert client.post(f"{API}/users/{target}/deactivate", headers=admin,
                       json={}).status_code == 200
    assert client.post(f"{API}/users/{target}/deactivate", headers=admin,
                       json={}).status_code == 409
    listed = client.get(f"{API}/users", headers=admin, params={"is_active": "false"})
    assert [row["id"] for row in listed.json()["rows"]] == [target]


def test_an_admin_resets_a_password_and_every_session_of_the_user_ends(client, db, world):
    s1 = world.headers["s1"]
    weak = client.post(f"{API}/users/{world.user_ids['s1']}/password",
                       headers=world.headers["admin"], json={"new_password": "s1.user2026"})
    assert weak.status_code == 422
    response = client.post(f"{API}/users/{world.user_ids['s1']}/password",
                           headers=world.headers["admin"], json={"new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.text
    assert client.get(f"{API}/auth/me", headers=s1).status_code == 401
    login(client, "s1.user", NEW_PASSWORD)
    [entry] = audit_entries(db, "user.password_reset")
    assert entry.actor_user_id == world.user_ids["admin"]
    assert entry.details == {"revoked_sessions": 1}
    assert NEW_PASSWORD not in str(entry.details)


# -- the CLI -------------------------------------------------------------------------------------
def test_the_cli_lists_deactivates_reactivates_and_resets(client, db, world):
    runner = CliRunner()
    listed = runner.invoke(cli, ["users"])
    assert listed.exit_code == 0, listed.output
    assert f"{world.user_ids['s1']}\ts1.user\tprovider_user\t{world.s1}\tactive" in listed.output

    s1 = world.headers["s1"]
    off = runner.invoke(cli, ["deactivate-user", "--username", "S1.User", "--reason", "left"])
    assert off.exit_code == 0, off.output
    assert client.get(f"{API}/auth/me", headers=s1).status_code == 401
    inactive = runner.invoke(cli, ["users", "--inactive"])
    assert inactive.output.splitlines() == [
        f"{world.user_ids['s1']}\ts1.user\tprovider_user\t{world.s1}\tdeactivated"]
    [entry] = audit_entries(db, "user.deactivate")
    assert entry.actor_user_id is None and entry.details["reason"] == "left"

    assert runner.invoke(cli, ["reactivate-user", "--username", "s1.user"]).exit_code == 0
    reset = runner.invoke(cli, ["reset-password", "--username", "s1.user",
                                "--password", NEW_PASSWORD])
    assert reset.exit_code == 0, reset.output
    login(client, "s1.user", NEW_PASSWORD)

    unknown = runner.invoke(cli, ["deactivate-user", "--username", "nobody"])
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output
    last_admin = runner.invoke(cli, ["deactivate-user", "--username", "admin"])
    assert last_admin.exit_code == 2 and "last active admin" in last_admin.output
    weak = runner.invoke(cli, ["reset-password", "--username", "s1.user",
                               "--password", "password1"])
    assert weak.exit_code == 2 and "password: " in weak.output
    db.rollback()
    assert db.scalar(select(User.is_active).where(User.username == "admin")) is True
    login(client, "admin", PASSWORD)  # the refusals changed nothing


def test_serve_leaves_the_client_address_to_the_app():
    """uvicorn must not rewrite the client from X-Forwarded-For (it trusts 127.0.0.1 by
    default): app.core.http.client_address decides, against TRUSTED_PROXIES."""
    with mock.patch("uvicorn.run") as run:
        result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert run.call_args.kwargs["proxy_headers"] is False
