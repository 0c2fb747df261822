"""Supply-chain memberships: tier-1 shares, duplicates, the append-only status history, and who
may see and change which membership."""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.core.timeutil import today
from tests.helpers import API, add_member, audit_entries, create_org, page_through


def _members_url(contract_id: int) -> str:
    return f"{API}/contracts/{contract_id}/members"


def _status(client, headers, contract_id, provider_id, **payload):
    return client.post(f"{_members_url(contract_id)}/{provider_id}/status", headers=headers,
                       json=payload)


def test_a_prime_manager_sees_its_supply_chain_with_each_members_history(client, db, world):
    response = client.get(_members_url(world.contract_a), headers=world.headers["manager_a"])
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    rows = {row["provider_id"]: row for row in body["rows"]}
    assert set(rows) == {world.s1, world.s2}
    s1 = rows[world.s1]
    assert (s1["provider_name"], s1["sector"], s1["tier"], Decimal(s1["contracted_share"]),
            s1["status"]) == ("S1 Community Trust", "third", 2, Decimal("0.1"), "active")
    [joined] = s1["history"]
    assert (joined["status"], joined["effective_date"], joined["reason"],
            joined["changed_by_user_id"]) == ("active", "2024-04-01", "joined the supply chain",
                                              world.user_ids["admin"])
    assert rows[world.s2]["tier"] == 1

    entries = [e for e in audit_entries(db, "member.add")
               if e.details["contract_id"] == world.contract_a]
    assert {e.details["provider_id"] for e in entries} == {world.s1, world.s2}


def test_tier_1_shares_of_a_contract_sum_to_at_most_1(client, world):
    admin = world.headers["admin"]
    names = ("Tenth Ltd", "Fifth Ltd", "Other Fifth Ltd", "One Too Many Ltd", "Specialist Ltd")
    tenth, fifth, other_fifth, extra, specialist = (create_org(client, admin, n) for n in names)
    contract = world.contract_b  # SB holds 0.5 at tier 1
    add_member(client, admin, contract, tenth, tier=1, contracted_share="0.1")
    add_member(client, admin, contract, fifth, tier=1, contracted_share="0.2")
    # 0.5 + 0.1 + 0.2 + 0.2 = 1 exactly, though 0.1 + 0.2 is not 0.3 in floating point.
    add_member(client, admin, contract, other_fifth, tier=1, contracted_share="0.2")
    response = client.post(_members_url(contract), headers=admin, json={
        "provider_id": extra, "tier": 1, "contracted_share": "0.0001"})
    assert response.status_code == 422
    assert response.json() == {"detail": f"contracted_share: tier-1 shares of contract "
                                         f"{contract} would sum to 1.0001 (at most 1)"}
    # Tier-2 specialists' shares are not part of the tier-1 promise.
    assert add_member(client, admin, contract, specialist, tier=2,
                      contracted_share="0.5")["status"] == "active"


def test_a_terminated_members_share_is_free_again(client, world):
    admin = world.headers["admin"]
    newcomer = create_org(client, admin, "Newcomer Ltd")
    manager = world.headers["manager_b"]
    assert client.post(_members_url(world.contract_b), headers=admin, json={
        "provider_id": newcomer, "tier": 1, "contracted_share": "0.6"}).status_code == 422
    assert _status(client, manager, world.contract_b, world.sb, status="terminated",
                   reason="contract ended by agreement").status_code == 200
    add_member(client, admin, world.contract_b, newcomer, tier=1, contracted_share="0.6")


@pytest.mark.parametrize(("payload", "field"), [
    ({"tier": 1, "contracted_share": "1.5"}, "contracted_share"),
    ({"tier": 1, "contracted_share": "-0.1"}, "contracted_share"),
    ({"tier": 1, "contracted_share": "0.12345"}, "contracted_share"),
    ({"tier": 3, "contracted_share": "0.1"}, "tier"),
    ({"tier": 1}, "contracted_share"),
])
def test_invalid_members_are_refused_naming_the_field(client, admin, payload, field):
    response = client.post(_members_url(1), headers=admin, json={"provider_id": 2, **payload})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


def test_a_provider_can_be_a_member_only_once_and_must_be_a_provider(client, db, world):
    """As the admin, who sees every organisation (a prime manager's answers about
    organisations it may not see are tests/supply_chain/test_invitations.py's)."""
    admin = world.headers["admin"]
    url = _members_url(world.contract_a)

    def attempt(provider_id: int, **extra: object):
        return client.post(url, headers=admin, json={
            "provider_id": provider_id, "tier": 2, "contracted_share": "0.1", **extra})

    duplicate = attempt(world.s1)
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "detail": f"provider_id: {world.s1} is already a member of contract {world.contract_a}"}
    prime = attempt(world.prime_a)
    assert prime.status_code == 422
    assert prime.json() == {"detail": f"provider_id: {world.prime_a} is the contract's prime, "
                                      "which delivers in-house without a membership"}
    reviewer = attempt(world.reviewer_org)
    assert reviewer.status_code == 422
    assert reviewer.json() == {
        "detail": f"provider_id: {world.reviewer_org} is not a provider organisation"}
    assert attempt(999_999).json() == {
        "detail": "provider_id: 999999 is not a provider organisation"}
    early = attempt(world.sb, effective_date="2024-03-31")
    assert early.status_code == 422
    assert early.json() == {"detail": "effective_date: 2024-03-31 is outside the contract "
                                      "(2024-04-01 to 2029-03-31)"}
    assert len([e for e in audit_entries(db, "member.add")
                if e.details["contract_id"] == world.contract_a]) == 2


def test_only_the_contracts_prime_manager_or_an_admin_adds_members(client, world):
    newcomer = create_org(client, world.headers["admin"], "Newcomer Ltd")
    body = {"provider_id": newcomer, "tier": 2, "contracted_share": "0.1"}
    outside = client.post(_members_url(world.contract_a), headers=world.headers["manager_b"],
                          json=body)
    assert outside.status_code == 404
    assert outside.json() == {"detail": f"contract {world.contract_a} not found"}
    for who, role in (("s1", "provider_user"), ("inhouse_a", "provider_user"),
                      ("reviewer", "reviewer")):
        response = client.post(_members_url(world.contract_a), headers=world.headers[who],
                               json=body)
        assert response.status_code == 403
        assert response.json() == {
            "detail": f"role '{role}' may not manage supply-chain members"}


def test_status_changes_append_to_the_history_with_who_when_and_why(client, db, world):
    manager = world.headers["manager_a"]
    plan = _status(client, manager, world.contract_a, world.s1, status="on_improvement_plan",
                   reason="Check compliance below 90% for Q3")
    assert plan.status_code == 200
    assert plan.json()["status"] == "on_improvement_plan"
    suspended = _status(client, manager, world.contract_a, world.s1, status="suspended",
                        reason="No improvement after 90 days")
    assert suspended.status_code == 200
    history = suspended.json()["history"]
    assert [(h["status"], h["reason"], h["changed_by_user_id"]) for h in history] == [
        ("active", "joined the supply chain", world.user_ids["admin"]),
        ("on_improvement_plan", "Check compliance below 90% for Q3", world.user_ids["manager_a"]),
        ("suspended", "No improvement after 90 days", world.user_ids["manager_a"]),
    ]
    assert [h["effective_date"] for h in history[1:]] == [today().isoformat()] * 2
    # The earlier entries are unchanged by later ones (append-only), timestamps included.
    assert history[:2] == plan.json()["history"]
    assert history[1]["recorded_at"] <= history[2]["recorded_at"]

    entries = audit_entries(db, "member.status")
    assert [(e.details["previous"], e.details["status"], e.actor_user_id) for e in entries] == [
        ("active", "on_improvement_plan", world.user_ids["manager_a"]),
        ("on_improvement_plan", "suspended", world.user_ids["manager_a"]),
    ]
    assert entries[1].details["reason"] == "No improvement after 90 days"


def test_status_changes_that_would_rewrite_history_are_refused(client, db, world):
    manager = world.headers["manager_a"]

    def change(**payload):
        return _status(client, manager, world.contract_a, world.s2, **payload)

    same = change(status="active", reason="still fine")
    assert same.status_code == 409
    assert same.json() == {"detail": "status: the membership is active already"}
    tomorrow = today() + timedelta(days=1)
    future = change(status="suspended", reason="planned", effective_date=tomorrow.isoformat())
    assert future.status_code == 422
    assert future.json() == {"detail": f"effective_date: {tomorrow} is in the future; record a "
                                       "change when it happens"}
    assert change(status="suspended", reason="audit findings",
                  effective_date="2025-06-01").status_code == 200
    backdated = change(status="active", reason="oops", effective_date="2025-05-31")
    assert backdated.status_code == 422
    assert backdated.json() == {"detail": "effective_date: 2025-05-31 is before the latest "
                                          "status change (2025-06-01); the status history is "
                                          "append-only"}
    assert change(status="terminated", reason="contract breach").status_code == 200
    revived = change(status="active", reason="second chance")
    assert revived.status_code == 409
    assert revived.json() == {
        "detail": "status: the membership is terminated; a terminated member cannot return"}
    missing = change(status="suspended")
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [["body", "reason"]]
    unknown = change(status="paused", reason="x")
    assert [e["loc"] for e in unknown.json()["detail"]] == [["body", "status"]]
    assert len(audit_entries(db, "member.status")) == 2


def test_providers_and_reviewers_may_never_change_statuses(client, db, world):
    for who, role, contract, provider in (
            ("s1", "provider_user", world.contract_a, world.s1),  # its own membership
            ("s1", "provider_user", world.contract_a, world.s2),
            ("s1", "provider_user", world.contract_b, world.sb),  # a contract it cannot see
            ("reviewer", "reviewer", world.contract_a, world.s1)):
        response = _status(client, world.headers[who], contract, provider, status="suspended",
                           reason="because")
        assert response.status_code == 403
        assert response.json() == {
            "detail": f"role '{role}' may not manage supply-chain members"}
    outside = _status(client, world.headers["manager_b"], world.contract_a, world.s1,
                      status="suspended", reason="because")
    assert outside.status_code == 404
    assert outside.json() == {"detail": f"contract {world.contract_a} not found"}
    not_member = _status(client, world.headers["manager_a"], world.contract_a, world.sb,
                         status="suspended", reason="because")
    assert not_member.status_code == 404
    assert not_member.json() == {
        "detail": f"provider {world.sb} is not a member of contract {world.contract_a}"}
    assert audit_entries(db, "member.status") == []


def test_a_provider_user_sees_only_its_own_membership_row(client, world):
    s1 = world.headers["s1"]
    rows = client.get(_members_url(world.contract_a), headers=s1).json()["rows"]
    assert [row["provider_id"] for row in rows] == [world.s1]
    own = client.get(f"{_members_url(world.contract_a)}/{world.s1}", headers=s1)
    assert own.status_code == 200
    assert own.json()["contracted_share"] == rows[0]["contracted_share"]
    other = client.get(f"{_members_url(world.contract_a)}/{world.s2}", headers=s1)
    assert other.status_code == 404
    assert other.json() == {
        "detail": f"provider {world.s2} is not a member of contract {world.contract_a}"}
    assert client.get(_members_url(world.contract_b), headers=s1).status_code == 404
    # The prime's in-house staff have no membership of their own to see.
    assert client.get(_members_url(world.contract_a),
                      headers=world.headers["inhouse_a"]).json()["rows"] == []


def test_other_primes_see_nothing_and_reviewers_read_everything(client, world):
    outside = client.get(_members_url(world.contract_a), headers=world.headers["manager_b"])
    assert outside.status_code == 404
    assert outside.json() == {"detail": f"contract {world.contract_a} not found"}
    assert client.get(f"{_members_url(world.contract_a)}/{world.s1}",
                      headers=world.headers["manager_b"]).status_code == 404
    rows = client.get(_members_url(world.contract_a), headers=world.headers["reviewer"])
    assert {row["provider_id"] for row in rows.json()["rows"]} == {world.s1, world.s2}


def test_members_page_with_a_cursor(client, world):
    admin = world.headers["admin"]
    extra = [create_org(client, admin, f"Specialist {n}") for n in range(3)]
    for org in extra:
        add_member(client, admin, world.contract_a, org, tier=2, contracted_share="0.05")
    pages = page_through(client, _members_url(world.contract_a), world.headers["manager_a"],
                         limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row["provider_id"] for page in pages for row in page] == [
        world.s1, world.s2, *extra]
    too_many = client.get(_members_url(world.contract_a), headers=admin,
                          params={"limit": 1001})
    assert too_many.status_code == 422
    assert [e["loc"] for e in too_many.json()["detail"]] == [["query", "limit"]]
