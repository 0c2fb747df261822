"""Who may call what: the expected HTTP status of every endpoint of the OpenAPI document, for
every role and for an anonymous caller, on a record of the caller's own organisation ("own")
and on one of another organisation ("other"). tests/footing/test_authz_matrix.py sends every
call and compares; an endpoint with no entry here fails that test, naming it.

Adding an endpoint: add one `MATRIX[(METHOD, path)] = Entry(...)` with
- `build(ctx, role, target) -> Call`: the request to send (`target` is "own" or "other"); it may
  create what the call needs first through `ctx` (as the admin),
- `expect`: `expect(anonymous=401, admin=200, prime_manager=(200, 404), ...)`, a pair being
  (own, other) and a single number meaning both,
- `audit`: the audit action a 2xx answer must have recorded (mutating endpoints), or a dict
  role -> action where roles' calls record different actions,
- `leaks(ctx, role, body)`: for lists, the rows of another organisation the caller was shown
  (must be none).

The world (tests/world.py): contract A of prime A with members S1, S2 and S3, contract B
of prime B with member SB, a reviewer organisation. The callers are the admin, prime A's
manager, S1's provider user and the reviewer; "own" means contract A and S1 (prime A for the
manager), "other" contract B and SB (prime B for the manager).
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import API, PASSWORD, add_member, create_org, record_payment
from tests.world import World

NEW_PASSWORD = "walnut ferry lantern oboe"
ROLES = ("anonymous", "admin", "prime_manager", "provider_user", "reviewer")
TARGETS = ("own", "other")
# Which user of the world acts in each role.
ACTOR = {"admin": "admin", "prime_manager": "manager_a", "provider_user": "s1",
         "reviewer": "reviewer"}


@dataclass
class Call:
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None


@dataclass
class Context:
    """The world and a few helpers for building calls (set-up goes through the API as admin)."""

    client: TestClient
    world: World
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def admin(self) -> dict[str, str]:
        return self.world.headers["admin"]

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"

    def contract(self, target: str) -> int:
        return self.world.contract_a if target == "own" else self.world.contract_b

    def provider(self, target: str) -> int:
        """A provider delivering on the target contract: S1 (own) or SB (other)."""
        return self.world.s1 if target == "own" else self.world.sb

    def org(self, role: str, target: str) -> int:
        """The caller's own organisation, or another one."""
        own = {"admin": self.world.s1, "prime_manager": self.world.prime_a,
               "provider_user": self.world.s1, "reviewer": self.world.reviewer_org,
               "anonymous": self.world.s1}
        other = {"prime_manager": self.world.prime_b}
        return own[role] if target == "own" else other.get(role, self.world.sb)

    def new_member(self, target: str) -> int:
        """A fresh subcontractor joined to the target contract (tier 2, a small share)."""
        org = create_org(self.client, self.admin, self.unique("Member"), "subcontractor")
        add_member(self.client, self.admin, self.contract(target), org, tier=2,
                   contracted_share="0.01")
        return org

    def new_join_code(self, target: str = "new") -> str:
        """A join code of S1 (own), SB (other), or of a fresh subcontractor (new)."""
        org = {"own": self.world.s1, "other": self.world.sb}.get(target) or create_org(
            self.client, self.admin, self.unique("Invitee"), "subcontractor")
        response = self.client.post(f"{API}/join-codes", headers=self.admin,
                                    json={"organisation_id": org})
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    def new_invitation(self, target: str) -> str:
        """A pending invitation: prime A's to S1 on a new contract of prime A (own), prime B's
        to SB on a new contract of prime B (other), sent by each prime's manager."""
        prime, manager, invitee = ((self.world.prime_a, "manager_a", "own") if target == "own"
                                   else (self.world.prime_b, "manager_b", "other"))
        contract = self.client.post(f"{API}/contracts", headers=self.admin, json={
            "prime_id": prime, "cpa_code": self.unique("CPA"), "cpa_name": "Elsewhere",
            "start_date": "2025-04-01", "end_date": "2030-03-31"})
        assert contract.status_code == 201, contract.text
        response = self.client.post(
            f"{API}/contracts/{contract.json()['id']}/members",
            headers=self.world.headers[manager],
            json={"join_code": self.new_join_code(invitee), "tier": 2, "contracted_share": "0.01"})
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def new_payment(self, target: str) -> str:
        return str(record_payment(self.client, self.admin, self.contract(target),
                                  self.provider(target))["id"])

    def new_key(self, role: str, target: str) -> str:
        """An API key the caller could manage if it is its organisation's."""
        org = (self.world.prime_a if role == "prime_manager" else self.world.s1) \
            if target == "own" else (self.world.prime_b if role == "prime_manager"
                                     else self.world.sb)
        response = self.client.post(f"{API}/api-keys", headers=self.admin, json={
            "name": self.unique("key"), "organisation_id": org, "role": "provider_user"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def user(self, role: str, target: str) -> int:
        """A user of the caller's own organisation (S1's for the admin), or of another."""
        own = {"prime_manager": "inhouse_a", "reviewer": "reviewer"}
        other = {"prime_manager": "manager_b"}
        who = own.get(role, "s1") if target == "own" else other.get(role, "sb")
        return self.world.user_ids[who]

    def new_user(self, target: str, active: bool = True) -> int:
        """A fresh provider user of S1 (own) or SB (other), deactivated if not `active`."""
        response = self.client.post(f"{API}/users", headers=self.admin, json={
            "username": self.unique("user"), "password": NEW_PASSWORD, "role": "provider_user",
            "organisation_id": self.provider(target)})
        assert response.status_code == 201, response.text
        user_id = int(response.json()["id"])
        if not active:
            response = self.client.post(f"{API}/users/{user_id}/deactivate", headers=self.admin,
                                        json={})
            assert response.status_code == 200, response.text
        return user_id

    def new_complaint(self, target: str, confidential: bool = False) -> str:
        """A complaint raised on the target contract by its member (S1 or SB)."""
        complainant = "s1" if target == "own" else "sb"
        response = self.client.post(f"{API}/complaints", headers=self.world.headers[complainant],
                                    json={"contract_id": self.contract(target),
                                          "principle": "commitment", "title": self.unique("late"),
                                          "description": "Invoice unpaid for 60 days.",
                                          "confidential": confidential})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def new_flag(self, target: str) -> str:
        """A COM-1 flag on the target contract: a payment unpaid long past its terms."""
        payment = self.new_payment(target)
        response = self.client.get(f"{API}/compliance/flags", headers=self.admin, params={
            "contract_id": self.contract(target), "rule": "COM-1", "status": "open",
            "limit": 1000})
        assert response.status_code == 200, response.text
        return next(str(row["id"]) for row in response.json()["rows"]
                    if row["evidence"]["payment_id"] == payment)

    def rating(self, target: str) -> dict[str, Any]:
        """A publication of 2026Q2 (it rates the referrals of 2025Q2, the matrix's): the
        quarter's first, or a correction of its current one, so that every call may succeed."""
        published = self.client.get(f"{API}/contracts/{self.contract(target)}/ratings",
                                    headers=self.admin).json()["rows"]
        current = next((r["id"] for r in published if r["superseded_by"] is None), None)
        return {"quarter": "2026Q2"} | ({} if current is None else {
            "supersedes": current, "reason": "corrected in the matrix"})

    def plan(self, target: str) -> str:
        """An open improvement plan of S1 (own) or SB (other), opened by the admin once."""
        contract, member = self.contract(target), self.provider(target)
        found = self.client.get(f"{API}/contracts/{contract}/improvement-plans",
                                params={"provider_id": member}, headers=self.admin).json()
        if found["rows"]:
            return str(found["rows"][0]["id"])
        return str(self.open_plan(contract, member))

    def open_plan(self, contract: int, member: int) -> str:
        review = "2099-01-31"
        response = self.client.post(
            f"{API}/contracts/{contract}/members/{member}/improvement-plans",
            headers=self.admin, json={
                "targets": [{"metric": "rate", "threshold": 0.3, "by_date": review}],
                "actions": ["weekly calls"], "review_date": review})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def reallocation(self, target: str, cut: bool = False) -> str:
        """A reallocation of the target contract's member applied by the admin: a small rise
        (effective at once), or with `cut` a small cut held for the reviewer."""
        contract, member = self.contract(target), self.provider(target)
        current = self.client.get(f"{API}/contracts/{contract}/members/{member}",
                                  headers=self.admin).json()["contracted_share"]
        share = float(current) + (-0.001 if cut else 0.001)
        response = self.client.post(f"{API}/contracts/{contract}/reallocations",
                                    headers=self.admin, json={
                                        "shares": {str(member): f"{share:.4f}"},
                                        "reason": "matrix", "override_reason": "matrix"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def published(self, target: str) -> str:
        """2026Q2 published on the target contract (as the admin), for calls that read it."""
        published = self.client.get(f"{API}/contracts/{self.contract(target)}/ratings",
                                    headers=self.admin).json()["rows"]
        if not published:
            response = self.client.post(f"{API}/contracts/{self.contract(target)}/ratings",
                                        headers=self.admin, json=self.rating(target))
            assert response.status_code == 201, response.text
        return "2026Q2"

    def specialist_referrals(self, target: str) -> int:
        """On the target contract, a participant of a tier-1 provider referred to the
        specialist S1 (own) and another referred to a fresh specialist, sent by the admin;
        on contract B, SB's participant to a fresh specialist of contract B."""
        contract = self.contract(target)
        provider = self.world.s2 if target == "own" else self.world.sb
        specialists = ([self.world.s1] if target == "own" else []) + [self.new_member(target)]
        events = []
        for specialist in specialists:
            ref = self.unique("SP")
            events += [
                {"event_id": self.unique("ev"), "contract_id": contract,
                 "participant_ref": ref, "type": "referral", "event_date": "2025-06-02",
                 "payment_group": "jsa_25_plus", "provider_id": provider},
                {"event_id": self.unique("ev"), "contract_id": contract,
                 "participant_ref": ref, "type": "specialist_referral",
                 "event_date": "2025-06-09", "specialist_id": specialist,
                 "intervention": "debt", "fee": "90"},
                {"event_id": self.unique("ev"), "contract_id": contract,
                 "participant_ref": ref, "type": "assessment", "event_date": "2025-06-03",
                 "scores": {"confidence": 3}},
                {"event_id": self.unique("ev"), "contract_id": contract,
                 "participant_ref": ref, "type": "assessment", "event_date": "2025-09-03",
                 "scores": {"confidence": 6}}]
        response = self.client.post(f"{API}/events", headers=self.admin, json=events)
        assert response.status_code == 200, response.text
        return contract

    def referral(self, target: str) -> dict[str, Any]:
        return {"event_id": self.unique("ev"), "contract_id": self.contract(target),
                "participant_ref": self.unique("P"), "type": "referral",
                "event_date": "2025-06-02", "payment_group": "jsa_25_plus",
                "provider_id": self.provider(target)}


@dataclass
class Entry:
    build: Callable[[Context, str, str], Call]
    expect: dict[str, tuple[int, int]]
    audit: str | dict[str, str] | None = None  # the action, or the action by role
    leaks: Callable[[Context, str, Any], list[Any]] | None = None


def expect(**answers: int | tuple[int, int]) -> dict[str, tuple[int, int]]:
    missing = set(ROLES) - set(answers)
    assert not missing, f"expect(...) lacks {sorted(missing)}"
    return {role: (a, a) if isinstance(a, int) else a for role, a in answers.items()}


def _same(path: str) -> Callable[[Context, str, str], Call]:
    return lambda ctx, role, target: Call(path)


def _contract_path(suffix: str = "", **params: Any) -> Callable[[Context, str, str], Call]:
    return lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}{suffix}",
                                          params=params or None)


def _rows_of_other_contract(ctx: Context, role: str, body: Any) -> list[Any]:
    return [row for row in body["rows"] if row.get("contract_id") == ctx.world.contract_b]


def _contract_rows_not_theirs(ctx: Context, role: str, body: Any) -> list[Any]:
    """Rows of contract B shown to a caller of contract A (the admin and reviewers read
    both)."""
    return [] if role in ("admin", "reviewer") else _rows_of_other_contract(ctx, role, body)


def _specialist_rows_not_theirs(ctx: Context, role: str, rows: list[Any]) -> list[Any]:
    """A provider user (S1, a specialist) sees the referrals made to it or by it only."""
    if role != "provider_user":
        return []
    return [row for row in rows if ctx.world.s1 not in (row["provider_id"],
                                                        row["specialist_id"])]


def _plans_not_theirs(ctx: Context, role: str, body: Any) -> list[Any]:
    """A member reads its own plans only; a prime its own contracts'."""
    if role == "provider_user":
        return [row for row in body["rows"] if row["provider_id"] != ctx.world.s1]
    return _contract_rows_not_theirs(ctx, role, body)


def _other_contracts(ctx: Context, role: str, body: Any) -> list[Any]:
    if role in ("admin", "reviewer"):
        return []
    return [row for row in body["rows"] if row["id"] == ctx.world.contract_b]


def _other_organisations(ctx: Context, role: str, body: Any) -> list[Any]:
    if role in ("admin", "reviewer"):
        return []
    return [row for row in body["rows"] if row["id"] in (ctx.world.prime_b, ctx.world.sb)]


def _other_keys(ctx: Context, role: str, body: Any) -> list[Any]:
    if role == "admin":
        return []
    own = ctx.org(role, "own")
    return [row for row in body["rows"] if row["organisation_id"] != own]


def _other_users(ctx: Context, role: str, body: Any) -> list[Any]:
    if role == "admin":
        return []
    return [row for row in body["rows"] if row["organisation_id"] != ctx.org(role, "own")]


def _password_change(ctx: Context, role: str, target: str) -> Call:
    # The second call of a role ("other") starts from the password the first one set.
    current, new = (PASSWORD, NEW_PASSWORD) if target == "own" else (
        NEW_PASSWORD, "quartz meadow violin tundra")
    return Call(f"{API}/auth/password", json={"current_password": current,
                                             "new_password": new})


def _events_csv(ctx: Context, role: str, target: str) -> Call:
    event = ctx.referral(target)
    columns = list(event)
    text = ",".join(columns) + "\n" + ",".join(str(event[c]) for c in columns) + "\n"
    return Call(f"{API}/events/csv", files={"file": ("events.csv", text.encode(), "text/csv")})


# Reading aggregates of a contract: whoever sees the contract (its prime, its members, the
# admin, reviewers); another prime's or another contract's provider gets 404.
_CONTRACT_READERS = expect(anonymous=401, admin=200, prime_manager=(200, 404),
                           provider_user=(200, 404), reviewer=200)
# Changing a contract's supply chain: the admin, and the contract's own prime manager.
_CHAIN_MANAGERS: dict[str, int | tuple[int, int]] = dict(
    anonymous=401, prime_manager=(200, 404), provider_user=403, reviewer=403)

MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", f"{API}/health"): Entry(_same(f"{API}/health"), expect(
        anonymous=200, admin=200, prime_manager=200, provider_user=200, reviewer=200)),
    # Anonymous by nature: each role logs in as itself; "anonymous" tries a wrong password.
    ("POST", f"{API}/auth/token"): Entry(
        lambda ctx, role, target: Call(f"{API}/auth/token", data={
            "username": ctx.world.usernames.get(ACTOR.get(role, ""), "admin"),
            "password": PASSWORD if role != "anonymous" else "not the password"}),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200)),
    ("GET", f"{API}/auth/me"): Entry(_same(f"{API}/auth/me"), expect(
        anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200)),
    # Every signed-in user ends its own session; the second call ("other") sends the same,
    # now revoked, token.
    ("POST", f"{API}/auth/logout"): Entry(_same(f"{API}/auth/logout"), expect(
        anonymous=401, admin=(204, 401), prime_manager=(204, 401), provider_user=(204, 401),
        reviewer=(204, 401))),
    ("POST", f"{API}/auth/password"): Entry(_password_change, expect(
        anonymous=401, admin=204, prime_manager=204, provider_user=204, reviewer=204),
        audit="user.password_change"),
    # Users: the admin sees and changes all; an organisation's users see, create, deactivate
    # and reactivate its own (roles they could grant); only the admin resets passwords.
    ("GET", f"{API}/users"): Entry(
        _same(f"{API}/users"),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=403),
        leaks=_other_users),
    ("GET", f"{API}/users/{{user_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/users/{ctx.user(role, target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=403)),
    ("POST", f"{API}/users/{{user_id}}/deactivate"): Entry(
        lambda ctx, role, target: Call(f"{API}/users/{ctx.new_user(target)}/deactivate",
                                       json={"reason": "left"}),
        # new_user makes S1's (own) and SB's users: none is a prime manager's.
        expect(anonymous=401, admin=200, prime_manager=404, provider_user=(200, 404),
               reviewer=403),
        audit="user.deactivate"),
    ("POST", f"{API}/users/{{user_id}}/reactivate"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/users/{ctx.new_user(target, active=False)}/reactivate"),
        expect(anonymous=401, admin=200, prime_manager=404, provider_user=(200, 404),
               reviewer=403),
        audit="user.reactivate"),
    ("POST", f"{API}/users/{{user_id}}/password"): Entry(
        lambda ctx, role, target: Call(f"{API}/users/{ctx.new_user(target)}/password",
                                       json={"new_password": "quartz meadow violin tundra"}),
        expect(anonymous=401, admin=204, prime_manager=403, provider_user=403, reviewer=403),
        audit="user.password_reset"),
    ("POST", f"{API}/users"): Entry(
        lambda ctx, role, target: Call(f"{API}/users", json={
            "username": ctx.unique("user"), "password": "a long passphrase",
            "role": "provider_user", "organisation_id": ctx.provider(target)}),
        expect(anonymous=401, admin=201, prime_manager=404, provider_user=(201, 404),
               reviewer=403),
        audit="user.create"),
    ("POST", f"{API}/api-keys"): Entry(
        lambda ctx, role, target: Call(f"{API}/api-keys", json={
            "name": ctx.unique("key"), "organisation_id": ctx.org(role, target),
            **({"role": "provider_user"} if role == "admin" else {})}),
        expect(anonymous=401, admin=201, prime_manager=(201, 404), provider_user=(201, 404),
               reviewer=403),
        audit="api_key.create"),
    ("GET", f"{API}/api-keys"): Entry(
        _same(f"{API}/api-keys"),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=403),
        leaks=_other_keys),
    ("DELETE", f"{API}/api-keys/{{key_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/api-keys/{ctx.new_key(role, target)}"),
        expect(anonymous=401, admin=204, prime_manager=(204, 404), provider_user=(204, 404),
               reviewer=403),
        audit="api_key.revoke"),
    # The audit log: admins read all; reviewers the entries about flags and the complaints they
    # see (escalated ones), so a complaint in the prime's own procedure must not show.
    ("GET", f"{API}/audit"): Entry(
        lambda ctx, role, target: (ctx.new_complaint(target, confidential=True),
                                   Call(f"{API}/audit", params={"limit": 1000}))[-1],
        expect(anonymous=401, admin=200, prime_manager=403, provider_user=403, reviewer=200),
        leaks=lambda ctx, role, body: [] if role == "admin" else [
            row for row in body["rows"] if row["entity_type"] != "compliance_flag"]),
    ("POST", f"{API}/organisations"): Entry(
        lambda ctx, role, target: Call(f"{API}/organisations", json={
            "name": ctx.unique("Org"), "kind": "subcontractor", "sector": "private"}),
        expect(anonymous=401, admin=201, prime_manager=403, provider_user=403, reviewer=403),
        audit="organisation.create"),
    ("GET", f"{API}/organisations"): Entry(
        _same(f"{API}/organisations"),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200),
        leaks=_other_organisations),
    ("GET", f"{API}/organisations/{{org_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/organisations/{ctx.org(role, target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=200)),
    ("POST", f"{API}/contracts"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts", json={
            "prime_id": ctx.world.prime_a if target == "own" else ctx.world.prime_b,
            "cpa_code": ctx.unique("CPA"), "cpa_name": "Somewhere",
            "start_date": "2025-04-01", "end_date": "2030-03-31"}),
        expect(anonymous=401, admin=201, prime_manager=403, provider_user=403, reviewer=403),
        audit="contract.create"),
    ("GET", f"{API}/contracts"): Entry(
        _same(f"{API}/contracts"),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200),
        leaks=_other_contracts),
    ("GET", f"{API}/contracts/{{contract_id}}"): Entry(_contract_path(), _CONTRACT_READERS),
    ("PATCH", f"{API}/contracts/{{contract_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}",
                                       json={"settings": {"league_visibility": "named"}}),
        expect(admin=200, **_CHAIN_MANAGERS), audit="contract.update"),
    # An admin adds a member (201); a prime manager invites (202) one that gave it a join
    # code, and an organisation it may not see answers 404 whatever the contract.
    ("POST", f"{API}/contracts/{{contract_id}}/members"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/members",
            json={"join_code": ctx.new_join_code(), "tier": 2, "contracted_share": "0.01"}
            if role == "prime_manager" else
            {"provider_id": create_org(ctx.client, ctx.admin, ctx.unique("Joiner")),
             "tier": 2, "contracted_share": "0.01"}),
        expect(admin=201, **{**_CHAIN_MANAGERS, "prime_manager": (202, 404)}),
        audit={"admin": "member.add", "prime_manager": "invitation.create"}),
    ("GET", f"{API}/contracts/{{contract_id}}/members"): Entry(
        _contract_path("/members"), _CONTRACT_READERS, leaks=None),
    ("GET", f"{API}/contracts/{{contract_id}}/members/{{provider_id}}"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/members/{ctx.provider(target)}"),
        _CONTRACT_READERS),
    ("POST", f"{API}/contracts/{{contract_id}}/members/{{provider_id}}/status"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/members/{ctx.new_member(target)}/status",
            json={"status": "suspended", "reason": "improvement plan missed"}),
        expect(admin=200, **_CHAIN_MANAGERS), audit="member.status"),
    ("POST", f"{API}/contracts/{{contract_id}}/payments"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/payments",
            json={"provider_id": ctx.provider(target), "invoice_date": "2026-01-31",
                  "amount": "1250.00"}),
        expect(admin=201, **{**_CHAIN_MANAGERS, "prime_manager": (201, 404)}),
        audit="payment.record"),
    ("GET", f"{API}/contracts/{{contract_id}}/payments"): Entry(
        _contract_path("/payments"), _CONTRACT_READERS),
    ("POST", f"{API}/contracts/{{contract_id}}/payments/{{payment_id}}/paid"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/payments/{ctx.new_payment(target)}/paid",
            json={"paid_date": "2026-02-20"}),
        expect(admin=200, **_CHAIN_MANAGERS), audit="payment.paid"),
    # Invitations: seen by their two sides (the inviting prime's managers, the invited
    # organisation's users) and the admin; answered by the invited organisation only; withdrawn
    # by the prime. "own": prime A's invitation to S1 (a new contract of prime A); "other":
    # prime B's to SB.
    ("GET", f"{API}/invitations"): Entry(
        lambda ctx, role, target: (ctx.new_invitation("own"), ctx.new_invitation("other"),
                                   Call(f"{API}/invitations"))[-1],
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=403),
        leaks=lambda ctx, role, body: [] if role == "admin" else [
            row for row in body["rows"] if row["provider_id"] == ctx.world.sb]),
    ("GET", f"{API}/invitations/{{invitation_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/invitations/{ctx.new_invitation(target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=403)),
    # The prime's manager sent "own": it is not the side that answers (404, as to outsiders).
    ("POST", f"{API}/invitations/{{invitation_id}}/accept"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/invitations/{ctx.new_invitation(target)}/accept"),
        expect(anonymous=401, admin=403, prime_manager=404, provider_user=(200, 404),
               reviewer=403),
        audit="invitation.accept"),
    ("POST", f"{API}/invitations/{{invitation_id}}/decline"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/invitations/{ctx.new_invitation(target)}/decline"),
        expect(anonymous=401, admin=403, prime_manager=404, provider_user=(200, 404),
               reviewer=403),
        audit="invitation.decline"),
    ("POST", f"{API}/invitations/{{invitation_id}}/withdraw"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/invitations/{ctx.new_invitation(target)}/withdraw"),
        expect(admin=200, **_CHAIN_MANAGERS), audit="invitation.withdraw"),
    ("POST", f"{API}/join-codes"): Entry(
        lambda ctx, role, target: Call(f"{API}/join-codes", json={
            "organisation_id": ctx.org(role, target)}),
        expect(anonymous=401, admin=201, prime_manager=(201, 404), provider_user=(201, 404),
               reviewer=403),
        audit="join_code.create"),
    ("GET", f"{API}/join-codes"): Entry(
        lambda ctx, role, target: (ctx.new_join_code("own"), ctx.new_join_code("other"),
                                   Call(f"{API}/join-codes"))[-1],
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=403),
        leaks=lambda ctx, role, body: [] if role == "admin" else [
            row for row in body["rows"] if row["organisation_id"] != ctx.org(role, "own")]),
    # Events for another prime's contract are rejected one by one (422, "contract_id: ...
    # not found"): the batch answer, not a 404, is the ingestion contract (API.md).
    ("POST", f"{API}/events"): Entry(
        lambda ctx, role, target: Call(f"{API}/events", json=[ctx.referral(target)]),
        expect(anonymous=401, admin=200, prime_manager=(200, 422), provider_user=(200, 422),
               reviewer=403)),
    ("POST", f"{API}/events/csv"): Entry(
        _events_csv,
        expect(anonymous=401, admin=200, prime_manager=(200, 422), provider_user=(200, 422),
               reviewer=403)),
    ("GET", f"{API}/events"): Entry(
        lambda ctx, role, target: Call(f"{API}/events",
                                       params={"contract_id": ctx.contract(target)}),
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=403),
        leaks=lambda ctx, role, body: ([] if role == "admin"
                                       else _rows_of_other_contract(ctx, role, body))),
    ("GET", f"{API}/contracts/{{contract_id}}/milestones"): Entry(
        _contract_path("/milestones"), _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/league-table"): Entry(
        _contract_path("/league-table"), _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/risk-model"): Entry(
        _contract_path("/risk-model"), _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/cohorts"): Entry(
        _contract_path("/cohorts"), _CONTRACT_READERS),
    # Published ratings: the prime publishes its own contracts' (and the admin any); whoever
    # reads the contract reads them, anonymised as the league table.
    ("POST", f"{API}/contracts/{{contract_id}}/ratings"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}/ratings",
                                       json=ctx.rating(target)),
        expect(anonymous=401, admin=201, prime_manager=(201, 404), provider_user=403,
               reviewer=403),
        audit="rating.publish"),
    ("GET", f"{API}/contracts/{{contract_id}}/ratings"): Entry(
        _contract_path("/ratings"), _CONTRACT_READERS, leaks=_contract_rows_not_theirs),
    # Improvement plans: the prime opens them for its members; the member and the prime act
    # on them (the workflow refuses a move that does not exist: 409); reviewers read them.
    ("POST", f"{API}/contracts/{{contract_id}}/members/{{provider_id}}/improvement-plans"):
        Entry(lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/members/{ctx.new_member(target)}/"
            "improvement-plans", json={
                "targets": [{"metric": "rate", "threshold": 0.3, "by_date": "2099-01-31"}],
                "actions": ["weekly calls"], "review_date": "2099-01-31"}),
              expect(admin=201, **{**_CHAIN_MANAGERS, "prime_manager": (201, 404)}),
              audit="plan.open"),
    ("GET", f"{API}/contracts/{{contract_id}}/improvement-plans"): Entry(
        lambda ctx, role, target: (ctx.plan("own"), ctx.plan("other"), Call(
            f"{API}/contracts/{ctx.contract(target)}/improvement-plans"))[-1],
        _CONTRACT_READERS, leaks=_plans_not_theirs),
    ("GET", f"{API}/improvement-plans/{{plan_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/improvement-plans/{ctx.plan(target)}"),
        _CONTRACT_READERS),
    ("POST", f"{API}/improvement-plans/{{plan_id}}/transitions"): Entry(
        lambda ctx, role, target: Call(f"{API}/improvement-plans/{ctx.plan(target)}/transitions",
                                       json={"to": "met"}),  # not a move from proposed
        expect(anonymous=401, admin=409, prime_manager=(409, 404),
               provider_user=(409, 404), reviewer=403)),
    ("POST", f"{API}/improvement-plans/{{plan_id}}/comments"): Entry(
        lambda ctx, role, target: Call(f"{API}/improvement-plans/{ctx.plan(target)}/comments",
                                       json={"body": "noted"}),
        expect(anonymous=401, admin=200, prime_manager=(200, 404),
               provider_user=(200, 404), reviewer=403),
        audit="plan.comment"),
    ("POST", f"{API}/improvement-plans/{{plan_id}}/contest"): Entry(
        lambda ctx, role, target: Call(f"{API}/improvement-plans/{ctx.plan(target)}/contest",
                                       json={"body": "unfair"}),
        expect(anonymous=401, admin=403, prime_manager=(403, 404),
               provider_user=(200, 404), reviewer=403),
        audit="plan.contest"),
    # Reallocation: the prime (and the admin) preview and apply on their contracts; the
    # reviewer alone releases or blocks a held cut; members read their own shares elsewhere.
    ("POST", f"{API}/contracts/{{contract_id}}/reallocations/preview"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/reallocations/preview",
            json={"shares": {str(ctx.provider(target)): "0.05"}, "reason": "matrix"}),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=403,
               reviewer=403)),
    ("POST", f"{API}/contracts/{{contract_id}}/reallocations"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/reallocations",
            json={"shares": {str(ctx.provider(target)): f"0.3{next(ctx._counter):03d}"},
                  "reason": "matrix", "override_reason": "matrix"}),
        expect(anonymous=401, admin=201, prime_manager=(201, 404), provider_user=403,
               reviewer=403),
        audit="reallocation.apply"),
    ("GET", f"{API}/reallocations"): Entry(
        lambda ctx, role, target: (ctx.reallocation("own"), ctx.reallocation("other"),
                                   Call(f"{API}/reallocations"))[-1],
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=403, reviewer=200),
        leaks=_contract_rows_not_theirs),
    ("GET", f"{API}/reallocations/{{reallocation_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/reallocations/{ctx.reallocation(target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=403,
               reviewer=200)),
    ("POST", f"{API}/reallocations/{{reallocation_id}}/release"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/reallocations/{ctx.reallocation(target, cut=True)}/release",
            json={"note": "fine"}),
        expect(anonymous=401, admin=403, prime_manager=403, provider_user=403, reviewer=200),
        audit="reallocation.release"),
    ("POST", f"{API}/reallocations/{{reallocation_id}}/block"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/reallocations/{ctx.reallocation(target, cut=True)}/block",
            json={"note": "a complaint is open"}),
        expect(anonymous=401, admin=403, prime_manager=403, provider_user=403, reviewer=200),
        audit="reallocation.block"),
    ("GET", f"{API}/contracts/{{contract_id}}/review-pack"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}/review-pack",
                                       params={"provider_id": ctx.provider(target),
                                               "quarter": ctx.published(target)}),
        _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/review-packs"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}/review-packs",
                                       params={"quarter": ctx.published(target)}),
        _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/review-status"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}/review-status",
                                       params={"quarter": ctx.published(target)}),
        _CONTRACT_READERS),
    ("GET", f"{API}/contracts/{{contract_id}}/members/{{provider_id}}/expectations"): Entry(
        lambda ctx, role, target: Call(f"{API}/contracts/{ctx.contract(target)}/members/"
                                       f"{ctx.provider(target)}/expectations"),
        _CONTRACT_READERS),
    ("PUT", f"{API}/contracts/{{contract_id}}/members/{{provider_id}}/expectations"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/contracts/{ctx.contract(target)}/members/{ctx.provider(target)}/"
            "expectations", json={"min_performance_index": 0.8, "reason": "a specialist"}),
        expect(admin=200, **_CHAIN_MANAGERS), audit="member.expectations"),
    ("GET", f"{API}/contracts/{{contract_id}}/payments-earned"): Entry(
        _contract_path("/payments-earned"), _CONTRACT_READERS),
    # Specialists (DOMAIN.md section 12). Usage and distance travelled are aggregates every
    # reader of the contract gets, each within its scope; the referral facts are
    # participant-level: the prime's, the participant's provider's and the specialist's own
    # (S1 is a specialist of contract A), never a reviewer's.
    ("GET", f"{API}/contracts/{{contract_id}}/specialists"): Entry(
        lambda ctx, role, target: (ctx.specialist_referrals(target), Call(
            f"{API}/contracts/{ctx.contract(target)}/specialists"))[-1],
        _CONTRACT_READERS, leaks=lambda ctx, role, body: _specialist_rows_not_theirs(
            ctx, role, body["rows"])),
    ("GET", f"{API}/contracts/{{contract_id}}/specialist-referrals"): Entry(
        lambda ctx, role, target: (ctx.specialist_referrals(target), Call(
            f"{API}/contracts/{ctx.contract(target)}/specialist-referrals"))[-1],
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=403),
        leaks=lambda ctx, role, body: _specialist_rows_not_theirs(ctx, role, body["rows"])),
    ("GET", f"{API}/contracts/{{contract_id}}/progress"): Entry(
        lambda ctx, role, target: (ctx.specialist_referrals(target), Call(
            f"{API}/contracts/{ctx.contract(target)}/progress"))[-1],
        _CONTRACT_READERS, leaks=lambda ctx, role, body: (
            [r for r in body["rows"] if r["provider_id"] != ctx.world.s1]
            if role == "provider_user" else [])),
    # Complaints: raised by a member's provider users only; seen by the complainant, the
    # contract's prime (redacted when confidential), the admin, and reviewers once escalated.
    ("POST", f"{API}/complaints"): Entry(
        lambda ctx, role, target: Call(f"{API}/complaints", json={
            "contract_id": ctx.contract(target), "principle": "supply_chain_design",
            "title": ctx.unique("starved"), "description": "No referrals for 90 days.",
            "confidential": True}),
        expect(anonymous=401, admin=403, prime_manager=403, provider_user=(201, 404),
               reviewer=403),
        audit="complaint.raise"),
    ("GET", f"{API}/complaints"): Entry(
        lambda ctx, role, target: (ctx.new_complaint("own"), ctx.new_complaint("other"),
                                   Call(f"{API}/complaints"))[-1],
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200),
        leaks=lambda ctx, role, body: ([] if role == "admin"
                                       else _rows_of_other_contract(ctx, role, body))),
    ("GET", f"{API}/complaints/{{complaint_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/complaints/{ctx.new_complaint(target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=404)),
    ("POST", f"{API}/complaints/{{complaint_id}}/messages"): Entry(
        lambda ctx, role, target: Call(f"{API}/complaints/{ctx.new_complaint(target)}/messages",
                                       json={"body": "Any news?"}),
        expect(anonymous=401, admin=201, prime_manager=(201, 404), provider_user=(201, 404),
               reviewer=404),
        audit="complaint.message"),
    # Each party's own first move: the prime acknowledges, the complainant withdraws.
    ("POST", f"{API}/complaints/{{complaint_id}}/transitions"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/complaints/{ctx.new_complaint(target)}/transitions",
            json={"to": "withdrawn" if role == "provider_user" else "acknowledged",
                  "note": "seen"}),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=404),
        audit="complaint.transition"),
    ("POST", f"{API}/complaints/{{complaint_id}}/confidentiality"): Entry(
        lambda ctx, role, target: Call(
            f"{API}/complaints/{ctx.new_complaint(target, confidential=True)}/confidentiality",
            json={"confidential": False}),
        expect(anonymous=401, admin=200, prime_manager=403, provider_user=(200, 404),
               reviewer=403),
        audit="complaint.confidentiality"),
    # Compliance flags: read within the scope (a provider: the flags about itself); the
    # contract's prime and the admin acknowledge or resolve them.
    ("GET", f"{API}/compliance/flags"): Entry(
        lambda ctx, role, target: (ctx.new_flag("own"), ctx.new_flag("other"),
                                   Call(f"{API}/compliance/flags"))[-1],
        expect(anonymous=401, admin=200, prime_manager=200, provider_user=200, reviewer=200),
        leaks=lambda ctx, role, body: (
            [] if role in ("admin", "reviewer")
            else [r for r in body["rows"] if r["subject_org_id"] != ctx.world.s1]
            if role == "provider_user" else _rows_of_other_contract(ctx, role, body))),
    ("GET", f"{API}/compliance/flags/{{flag_id}}"): Entry(
        lambda ctx, role, target: Call(f"{API}/compliance/flags/{ctx.new_flag(target)}"),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=(200, 404),
               reviewer=200)),
    ("POST", f"{API}/compliance/flags/{{flag_id}}/status"): Entry(
        lambda ctx, role, target: Call(f"{API}/compliance/flags/{ctx.new_flag(target)}/status",
                                       json={"status": "acknowledged", "note": "paying now"}),
        expect(anonymous=401, admin=200, prime_manager=(200, 404), provider_user=403,
               reviewer=403),
        audit="compliance_flag.status"),
}
