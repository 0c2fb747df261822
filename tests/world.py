"""The world the tests start from (the `world` fixture): two primes' supply chains, a
reviewer, and for each role a user and an API key.

Contract A (prime A, 2024-01-01 to 2029-12-31): S1 (third sector, tier 2, share 0.1), S2
(private, tier 1, share 0.4) and S3 (public, tier 1, share 0.2, suspended today); prime A
also delivers in-house. Contract B (prime B, 2025-01-01 to 2029-12-31): SB (public, tier 1,
share 0.5). A reviewer organisation.

Set-up goes through the API as the admin, so every world also exercises the set-up endpoints.
The keys of `headers` (each user logs in through HTTP on first use, tests.helpers.Logins),
`keys` (X-API-Key headers, each key created on first use), `user_ids` and `usernames`: admin,
manager_a, inhouse_a, s1, s2, manager_b, sb, reviewer.

Tests that list everything the world holds build it without the suspended member
(`make_world(client, db, suspended_member=False)`); tests/supply_chain's also with contract A
from 2024-04-01 to 2029-03-31 (tests/supply_chain/conftest.py).
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.schemas import ApiKeyCreate
from app.auth.service import create_api_key
from tests.helpers import API, Logins, add_member, add_user, create_contract, create_org, login

ADMIN = Principal(role="admin", organisation_id=None)


def api_key(db: Session, organisation_id: int | None, role: str) -> dict[str, str]:
    """Headers with a new API key (created in the database, as the admin)."""
    _, key = create_api_key(db, ADMIN, ApiKeyCreate(
        name=f"{role} key", organisation_id=organisation_id, role=role))  # type: ignore[arg-type]
    return {"X-API-Key": key}


class ApiKeys(dict[str, dict[str, str]]):
    """X-API-Key headers by user key, each key created on first use (so a test that uses none
    has none in its lists)."""

    def __init__(self, db: Session, roles: dict[str, tuple[str, int | None]]) -> None:
        super().__init__()
        self._db = db
        self._roles = roles

    def __missing__(self, who: str) -> dict[str, str]:
        role, organisation_id = self._roles[who]
        self[who] = api_key(self._db, organisation_id, role)
        return self[who]


@dataclass
class World:
    prime_a: int
    s1: int
    s2: int
    s3: int | None  # None in a world built without the suspended member
    prime_b: int
    sb: int
    reviewer_org: int
    contract_a: int
    contract_b: int
    user_ids: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # a Logins
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # an ApiKeys


def make_world(client: TestClient, db: Session, *,
               contract_a_dates: tuple[date, date] = (date(2024, 1, 1), date(2029, 12, 31)),
               suspended_member: bool = True) -> World:
    admin_id = add_user(db, "admin", "admin")
    admin = login(client, "admin")
    prime_a = create_org(client, admin, "Prime A Ltd", "prime", "private")
    s1 = create_org(client, admin, "S1 Community Trust", "subcontractor", "third")
    s2 = create_org(client, admin, "S2 Employment Ltd", "subcontractor", "private")
    prime_b = create_org(client, admin, "Prime B plc", "prime", "private")
    sb = create_org(client, admin, "SB Council Services", "subcontractor", "public")
    reviewer_org = create_org(client, admin, "Independent Case Examiner", "reviewer", "public")
    s3 = (create_org(client, admin, "S3 Paused Partners", "subcontractor", "public")
          if suspended_member else None)
    start, end = contract_a_dates
    contract_a = create_contract(client, admin, prime_a, "CPA18", "West Yorkshire",
                                 start_date=start, end_date=end)
    contract_b = create_contract(client, admin, prime_b, "CPA07", "Greater Manchester",
                                 start_date=date(2025, 1, 1), end_date=date(2029, 12, 31))
    add_member(client, admin, contract_a, s1, tier=2, contracted_share="0.1")
    add_member(client, admin, contract_a, s2, tier=1, contracted_share="0.4")
    add_member(client, admin, contract_b, sb, tier=1, contracted_share="0.5")
    if s3 is not None:
        add_member(client, admin, contract_a, s3, tier=1, contracted_share="0.2")
        response = client.post(f"{API}/contracts/{contract_a}/members/{s3}/status",
                               headers=admin, json={"status": "suspended", "reason": "test"})
        assert response.status_code == 200, response.text
    world = World(prime_a, s1, s2, s3, prime_b, sb, reviewer_org, contract_a, contract_b)
    world.user_ids["admin"] = admin_id
    world.usernames["admin"] = "admin"
    world.headers = Logins(client, world.usernames)
    world.headers["admin"] = admin
    roles: dict[str, tuple[str, int | None]] = {"admin": ("admin", None)}
    for who, role, org in (("manager_a", "prime_manager", prime_a),
                           ("inhouse_a", "provider_user", prime_a),
                           ("s1", "provider_user", s1), ("s2", "provider_user", s2),
                           ("manager_b", "prime_manager", prime_b),
                           ("sb", "provider_user", sb),
                           ("reviewer", "reviewer", reviewer_org)):
        username = f"{who}.user"
        world.user_ids[who] = add_user(db, username, role, org)
        world.usernames[who] = username
        roles[who] = (role, org)
    world.keys = ApiKeys(db, roles)
    return world


@pytest.fixture()
def world(client: TestClient, db: Session) -> World:
    return make_world(client, db)
