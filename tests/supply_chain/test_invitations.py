"""Membership needs both sides (issue 13, finding 2): an admin adds any member; a prime manager
invites an organisation it may see (or one that gave it a join code) and the organisation
accepts. An unknown and an unseen organisation answer alike, so ids cannot be enumerated."""

from tests.helpers import API, create_org


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
