"""Membership needs both sides (issue 13, finding 2): an admin adds any member; a prime manager
invites an organisation it may see (or one that gave it a join code) and the organisation
accepts. An unknown and an unseen organisation answer alike, so ids cannot be enumerated."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.core.changes import Kind
from app.core.timeutil import today, utcnow
from app.models import JoinCode, MembershipInvitation
from app.supply_chain import service
from tests.helpers import API, add_member, audit_entries, create_contract, create_org


def _members_url(contract_id: int) -> str:
    return f"{API}/contracts/{contract_id}/members"


def _invite(client, headers, contract_id, **body):
    return client.post(_members_url(contract_id), headers=headers,
                       json={"tier": 2, "contracted_share": "0.1", **body})


def test_a_prime_manager_cannot_add_an_organisation_it_cannot_see(client, world):
    """The finding: manager A added SB (prime B's member, which GET /organisations/{id} hid from
    it) to contract A with 201 and its name, and unknown ids answered differently."""
    manager = world.headers["manager_a"]
    stranger = create_org(client, world.headers["admin"], "Stranger Ltd")
    assert client.get(f"{API}/organisations/{world.sb}", headers=manager).status_code == 404
    answers = {name: _invite(client, manager, world.contract_a, provider_id=provider_id)
               for name, provider_id in (("other prime's member", world.sb),
                                         ("unconnected", stranger),
                                         ("other prime", world.prime_b),
                                         ("reviewer", world.reviewer_org),
                                         ("unknown", 999_999))}
    for name, answer in answers.items():
        assert answer.status_code == 404, (name, answer.text)
        assert answer.json() == {
            "detail": "provider_id: no organisation you may invite has this id"}, name
    # Nothing was joined: neither side sees the other's data afterwards.
    rows = client.get(_members_url(world.contract_a), headers=manager).json()["rows"]
    assert {row["provider_id"] for row in rows} == {world.s1, world.s2}
    assert client.get(f"{API}/organisations/{world.sb}", headers=manager).status_code == 404
    sb = world.headers["sb"]
    assert client.get(f"{API}/contracts/{world.contract_a}", headers=sb).status_code == 404
    assert client.get(f"{API}/contracts/{world.contract_a}/league-table",
                      headers=sb).status_code == 404
    # Another prime's manager likewise.
    other = _invite(client, world.headers["manager_b"], world.contract_b, provider_id=world.s1)
    assert other.status_code == 404
    assert other.json() == answers["unknown"].json()


# -- helpers -------------------------------------------------------------------------------------
def _second_contract(client, world) -> int:
    """A second contract of prime A, which S1 and S2 (members of contract A, so organisations
    its manager may see) have not joined."""
    return create_contract(client, world.headers["admin"], world.prime_a, "CPA19", "Leeds")


def _accepted(response) -> dict:
    assert response.status_code == 202, response.text
    return response.json()


def _answer(client, headers, invitation_id: str, verb: str):
    return client.post(f"{API}/invitations/{invitation_id}/{verb}", headers=headers)


def _join_code(client, headers, **body) -> dict:
    response = client.post(f"{API}/join-codes", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


# -- the flow ------------------------------------------------------------------------------------
def test_an_invitation_accepted_makes_a_member_once_and_grants_nothing_before(
        client, db, world, monkeypatch):
    published: list[tuple[int, Kind]] = []

    def recording_publish(session, contract_id, *kinds):
        published.extend((contract_id, kind) for kind in kinds)
        return real_publish(session, contract_id, *kinds)

    real_publish = service.publish
    monkeypatch.setattr(service, "publish", recording_publish)
    manager, s1 = world.headers["manager_a"], world.headers["s1"]
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, manager, contract, provider_id=world.s1, tier=1,
                                   contracted_share="0.3"))
    assert set(invitation) == {
        "id", "contract_id", "cpa_code", "cpa_name", "prime_id", "prime_name", "provider_id",
        "provider_name", "tier", "contracted_share", "status", "created_at", "expires_at",
        "decided_at"}
    assert not invitation["id"].isdigit() and len(invitation["id"]) >= 20
    assert (invitation["contract_id"], invitation["prime_name"], invitation["provider_id"],
            invitation["provider_name"], invitation["tier"], invitation["status"],
            invitation["decided_at"]) == (contract, "Prime A Ltd", world.s1,
                                          "S1 Community Trust", 1, "pending", None)
    created_at = datetime.fromisoformat(invitation["created_at"])
    assert datetime.fromisoformat(invitation["expires_at"]) - created_at == timedelta(days=14)

    # Pending: S1 is no member; it sees the invitation, not the contract.
    assert client.get(_members_url(contract), headers=manager).json()["rows"] == []
    for path in ("", "/league-table", "/members"):
        assert client.get(f"{API}/contracts/{contract}{path}", headers=s1).status_code == 404
    assert [row["id"] for row in
            client.get(f"{API}/invitations", headers=s1).json()["rows"]] == [invitation["id"]]
    assert client.get(f"{API}/invitations/{invitation['id']}", headers=s1).json() == invitation
    assert [row["id"] for row in client.get(f"{API}/invitations",
                                            headers=manager).json()["rows"]] == [invitation["id"]]
    assert published == []

    accepted = _answer(client, s1, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_at"] is not None
    [member] = client.get(_members_url(contract), headers=manager).json()["rows"]
    assert (member["provider_id"], member["tier"], Decimal(member["contracted_share"]),
            member["status"]) == (world.s1, 1, Decimal("0.3"), "active")
    assert [(h["status"], h["effective_date"], h["reason"], h["changed_by_user_id"])
            for h in member["history"]] == [
        ("active", today().isoformat(), "joined the supply chain by invitation",
         world.user_ids["s1"])]
    assert client.get(f"{API}/contracts/{contract}/league-table", headers=s1).status_code == 200
    assert published == [(contract, Kind.MEMBER_ADDED)]
    assert [e.details["provider_id"] for e in audit_entries(db, "member.add")
            if e.details["contract_id"] == contract] == [world.s1]
    assert [e.actor_user_id for e in audit_entries(db, "invitation.create")] == [
        world.user_ids["manager_a"]]
    assert [e.actor_user_id for e in audit_entries(db, "invitation.accept")] == [
        world.user_ids["s1"]]

    again = _answer(client, s1, invitation["id"], "accept")
    assert again.status_code == 409
    assert again.json() == {"detail": "status: the invitation is accepted; only a pending "
                                      "invitation can be accepted"}


def test_only_the_invited_organisation_answers_and_only_the_two_sides_see(client, db, world):
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, world.headers["manager_a"], contract,
                                   provider_id=world.s1))
    url = f"{API}/invitations/{invitation['id']}"
    unknown = _answer(client, world.headers["s2"], "no-such-invitation", "accept").json()
    assert unknown == {"detail": "invitation no-such-invitation not found"}
    for who in ("manager_a", "s2", "sb", "manager_b", "inhouse_a"):
        for verb in ("accept", "decline"):
            response = _answer(client, world.headers[who], invitation["id"], verb)
            assert response.status_code == 404, (who, verb, response.text)
            assert response.json() == {"detail": f"invitation {invitation['id']} not found"}
    for who in ("admin", "reviewer"):
        assert _answer(client, world.headers[who], invitation["id"],
                       "accept").status_code == 403
    for who in ("s2", "sb", "manager_b", "inhouse_a"):
        assert client.get(url, headers=world.headers[who]).status_code == 404, who
        assert client.get(f"{API}/invitations",
                          headers=world.headers[who]).json()["rows"] == [], who
    assert client.get(f"{API}/invitations", headers=world.headers["reviewer"]).status_code == 403
    assert client.get(url, headers=world.headers["admin"]).status_code == 200
    # The invitee may not withdraw; another prime cannot find it.
    assert _answer(client, world.headers["s1"], invitation["id"],
                   "withdraw").status_code == 403
    assert _answer(client, world.headers["manager_b"], invitation["id"],
                   "withdraw").status_code == 404
    assert audit_entries(db, "invitation.accept") == []
    assert client.get(url, headers=world.headers["s1"]).json()["status"] == "pending"


def test_a_declined_invitation_makes_no_member(client, db, world):
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, world.headers["manager_a"], contract,
                                   provider_id=world.s2))
    declined = _answer(client, world.headers["s2"], invitation["id"], "decline")
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    late = _answer(client, world.headers["s2"], invitation["id"], "accept")
    assert late.status_code == 409
    assert late.json() == {"detail": "status: the invitation is declined; only a pending "
                                     "invitation can be accepted"}
    assert client.get(_members_url(contract),
                      headers=world.headers["manager_a"]).json()["rows"] == []
    assert len(audit_entries(db, "invitation.decline")) == 1
    # Declined is decided: the prime may ask again.
    _accepted(_invite(client, world.headers["manager_a"], contract, provider_id=world.s2))


def test_the_prime_withdraws_a_pending_invitation(client, db, world):
    manager = world.headers["manager_a"]
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, manager, contract, provider_id=world.s2))
    again = _invite(client, manager, contract, provider_id=world.s2)
    assert again.status_code == 409
    assert again.json() == {"detail": f"provider_id: {world.s2} has a pending invitation to "
                                      f"contract {contract}"}
    withdrawn = _answer(client, manager, invitation["id"], "withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    refused = _answer(client, world.headers["s2"], invitation["id"], "accept")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "status: the invitation is withdrawn; only a pending "
                                        "invitation can be accepted"}
    [row] = client.get(f"{API}/invitations", headers=world.headers["s2"]).json()["rows"]
    assert row["status"] == "withdrawn"
    assert [e.actor_user_id for e in audit_entries(db, "invitation.withdraw")] == [
        world.user_ids["manager_a"]]


def test_an_invitation_expires_after_14_days(client, db, world):
    manager = world.headers["manager_a"]
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, manager, contract, provider_id=world.s2))
    db.execute(update(MembershipInvitation).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    url = f"{API}/invitations/{invitation['id']}"
    assert client.get(url, headers=world.headers["s2"]).json()["status"] == "expired"
    late = _answer(client, world.headers["s2"], invitation["id"], "accept")
    assert late.status_code == 409
    assert late.json() == {"detail": "status: the invitation is expired; only a pending "
                                     "invitation can be accepted"}
    # An expired invitation is no longer pending: the prime may send a new one.
    fresh = _accepted(_invite(client, manager, contract, provider_id=world.s2))
    assert fresh["id"] != invitation["id"]
    assert _answer(client, world.headers["s2"], fresh["id"], "accept").status_code == 200


def test_accepting_checks_the_terms_again(client, world):
    manager = world.headers["manager_a"]
    contract = _second_contract(client, world)
    invitation = _accepted(_invite(client, manager, contract, provider_id=world.s1, tier=1,
                                   contracted_share="0.6"))
    add_member(client, world.headers["admin"], contract, world.s2, tier=1,
               contracted_share="0.5")
    refused = _answer(client, world.headers["s1"], invitation["id"], "accept")
    assert refused.status_code == 422
    assert refused.json() == {"detail": f"contracted_share: tier-1 shares of contract "
                                        f"{contract} would sum to 1.1000 (at most 1)"}
    assert client.get(f"{API}/invitations/{invitation['id']}",
                      headers=world.headers["s1"]).json()["status"] == "pending"
    # Room again once S2's membership ends: the same invitation is accepted.
    assert client.post(f"{API}/contracts/{contract}/members/{world.s2}/status", headers=manager,
                       json={"status": "terminated", "reason": "left"}).status_code == 200
    assert _answer(client, world.headers["s1"], invitation["id"], "accept").status_code == 200
    # Invited, then added by the admin meanwhile: a member already.
    third = create_contract(client, world.headers["admin"], world.prime_a, "CPA20", "York")
    pending = _accepted(_invite(client, manager, third, provider_id=world.s2))
    add_member(client, world.headers["admin"], third, world.s2, tier=2)
    twice = _answer(client, world.headers["s2"], pending["id"], "accept")
    assert twice.status_code == 409
    assert twice.json() == {
        "detail": f"provider_id: {world.s2} is already a member of contract {third}"}


# -- naming the organisation -----------------------------------------------------------------
def test_checks_that_name_the_organisation_come_after_it_is_known_to_be_visible(client, world):
    manager = world.headers["manager_a"]
    member = _invite(client, manager, world.contract_a, provider_id=world.s1)
    assert member.status_code == 409
    assert member.json() == {
        "detail": f"provider_id: {world.s1} is already a member of contract {world.contract_a}"}
    prime = _invite(client, manager, world.contract_a, provider_id=world.prime_a)
    assert prime.status_code == 422
    assert prime.json() == {"detail": f"provider_id: {world.prime_a} is the contract's prime, "
                                      "which delivers in-house without a membership"}
    contract = _second_contract(client, world)
    too_much = _invite(client, manager, contract, provider_id=world.s1, tier=1,
                       contracted_share="1.0001")
    assert too_much.status_code == 422
    dated = _invite(client, manager, contract, provider_id=world.s1,
                    effective_date="2025-01-01")
    assert dated.status_code == 422
    assert dated.json() == {"detail": "effective_date: an invitation's membership begins on "
                                      "the day it is accepted"}
    unseen_dated = _invite(client, manager, contract, provider_id=world.sb,
                           effective_date="2025-01-01")
    assert unseen_dated.status_code == 404


@pytest.mark.parametrize("body", [
    {},
    {"provider_id": 3, "join_code": "cbj_x"},
])
def test_exactly_one_of_provider_id_and_join_code(client, world, body):
    response = _invite(client, world.headers["manager_a"], world.contract_a, **body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert "provider_id, join_code: give exactly one of the two" in error["msg"]


def test_an_organisation_invited_by_the_join_code_it_gave(client, db, world):
    sb, manager = world.headers["sb"], world.headers["manager_a"]
    code = _join_code(client, sb)
    assert set(code) == {"organisation_id", "prefix", "created_at", "expires_at", "used_at",
                         "code"}
    assert code["organisation_id"] == world.sb and code["code"].startswith("cbj_")
    assert len(code["code"]) >= 40 and code["code"].startswith(code["prefix"])
    created_at = datetime.fromisoformat(code["created_at"])
    assert datetime.fromisoformat(code["expires_at"]) - created_at == timedelta(days=14)
    listed = client.get(f"{API}/join-codes", headers=sb).json()["rows"]
    assert listed == [{k: v for k, v in code.items() if k != "code"}]
    assert client.get(f"{API}/join-codes", headers=world.headers["s1"]).json()["rows"] == []
    assert db.scalar(select(JoinCode.code_hash)) != code["code"]

    invitation = _accepted(_invite(client, manager, world.contract_a, join_code=code["code"]))
    assert (invitation["provider_id"], invitation["provider_name"]) == (
        world.sb, "SB Council Services")
    # Single use, and an unknown or expired code answers exactly as a used one.
    used = _invite(client, manager, world.contract_a, join_code=code["code"])
    unknown = _invite(client, manager, world.contract_a, join_code="cbj_made-up")
    expired_code = _join_code(client, sb)["code"]
    db.rollback()  # end the read snapshot above, so that this session may write
    db.execute(update(JoinCode).where(JoinCode.used_at.is_(None))
               .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    expired = _invite(client, manager, world.contract_a, join_code=expired_code)
    for response in (used, unknown, expired):
        assert response.status_code == 404
        assert response.json() == {
            "detail": "join_code: no organisation you may invite has this code"}
    # Still nothing seen of each other until SB accepts.
    assert client.get(f"{API}/organisations/{world.sb}", headers=manager).status_code == 404
    assert _answer(client, sb, invitation["id"], "accept").status_code == 200
    assert client.get(f"{API}/organisations/{world.sb}", headers=manager).status_code == 200
    assert client.get(f"{API}/contracts/{world.contract_a}", headers=sb).status_code == 200


def test_a_failed_invitation_leaves_the_join_code_unused(client, world):
    code = _join_code(client, world.headers["s1"])["code"]
    member = _invite(client, world.headers["manager_a"], world.contract_a, join_code=code)
    assert member.status_code == 409  # S1 is a member of contract A already
    contract = _second_contract(client, world)
    _accepted(_invite(client, world.headers["manager_a"], contract, join_code=code))


def test_an_admin_adds_directly_by_id_or_by_join_code(client, world):
    admin = world.headers["admin"]
    code = _join_code(client, admin, organisation_id=world.sb)["code"]
    added = _invite(client, admin, world.contract_a, join_code=code)
    assert added.status_code == 201, added.text
    assert (added.json()["provider_id"], added.json()["status"]) == (world.sb, "active")
    stranger = create_org(client, admin, "Stranger Ltd")
    assert _invite(client, admin, world.contract_a, provider_id=stranger).status_code == 201


def test_who_creates_join_codes_for_which_organisation(client, world):
    admin = world.headers["admin"]
    missing = client.post(f"{API}/join-codes", headers=admin, json={})
    assert missing.status_code == 422
    assert missing.json() == {
        "detail": "organisation_id: required when an admin creates a join code"}
    reviewer_org = client.post(f"{API}/join-codes", headers=admin,
                               json={"organisation_id": world.reviewer_org})
    assert reviewer_org.status_code == 422
    other = client.post(f"{API}/join-codes", headers=world.headers["s1"],
                        json={"organisation_id": world.sb})
    assert other.status_code == 404
    assert other.json() == {"detail": f"organisation {world.sb} not found"}
    assert client.post(f"{API}/join-codes", headers=world.headers["reviewer"],
                       json={}).status_code == 403
    own = _join_code(client, world.headers["s1"], organisation_id=world.s1)
    assert own["organisation_id"] == world.s1
    assert {row["organisation_id"] for row in client.get(
        f"{API}/join-codes", headers=admin).json()["rows"]} == {world.s1}


def test_a_prime_invited_into_another_primes_chain_answers_through_its_managers(client, world):
    manager_a, manager_b = world.headers["manager_a"], world.headers["manager_b"]
    code = _join_code(client, manager_b)["code"]
    invitation = _accepted(_invite(client, manager_a, world.contract_a, join_code=code))
    assert invitation["provider_id"] == world.prime_b
    assert [row["id"] for row in client.get(f"{API}/invitations",
                                            headers=manager_b).json()["rows"]] == [invitation["id"]]
    assert _answer(client, manager_a, invitation["id"], "accept").status_code == 404
    assert _answer(client, manager_b, invitation["id"], "withdraw").status_code == 404
    assert _answer(client, manager_b, invitation["id"], "accept").status_code == 200
    rows = client.get(_members_url(world.contract_a), headers=manager_a).json()["rows"]
    assert world.prime_b in {row["provider_id"] for row in rows}
