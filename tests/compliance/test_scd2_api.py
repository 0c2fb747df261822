"""SCD-2 (DOMAIN.md section 12) through HTTP: specialist referrals sent as events raise the
flag with its evidence for a named specialist below the contract's minimum, and clear it at
exactly the minimum."""

from datetime import timedelta

from app.core.timeutil import today
from tests.helpers import API, add_member, create_org
from tests.ingest.events import ev

FLAGS = f"{API}/compliance/flags"


def _scd2(client, headers):
    response = client.get(FLAGS, headers=headers, params={"rule": "SCD-2", "limit": 1000})
    assert response.status_code == 200, response.text
    return {row["subject_org_id"]: row for row in response.json()["rows"]
            if row["cleared_at"] is None}


def _referred_to(world, specialist, n, tag):
    day = today() - timedelta(days=10)
    events = []
    for i in range(n):
        ref = f"{tag}-{i}"
        events += [ev(world.contract_a, ref, "referral", day, payment_group="jsa_25_plus",
                      provider_id=world.s2),
                   ev(world.contract_a, ref, "specialist_referral", day,
                      specialist_id=specialist, intervention="housing")]
    return events


def test_scd2_raised_below_the_minimum_with_evidence_and_cleared_at_it(client, world):
    """S1 (tier 2, share 0.1) is SCD-1's; the two specialists promised no share are
    SCD-2's."""
    admin, prime = world.headers["admin"], world.headers["manager_a"]
    unused = create_org(client, admin, "Named In The Bid Trust", "subcontractor", "third")
    used = create_org(client, admin, "Calder Mind", "subcontractor", "third")
    for org in (unused, used):
        add_member(client, admin, world.contract_a, org, tier=2, contracted_share="0")
    response = client.post(f"{API}/events", headers=world.keys["s2"],
                           json=_referred_to(world, used, 4, "a")
                           + _referred_to(world, world.s1, 9, "s"))
    assert response.status_code == 200, response.text
    flags = _scd2(client, prime)
    assert set(flags) == {used, unused}
    s1 = flags[used]
    assert (s1["severity"], s1["principle"], s1["standard"]) == (
        "medium", "supply_chain_design", "merlin-2012")
    assert (s1["evidence"]["specialist_referrals_to_member"],
            s1["evidence"]["specialist_referrals_in_contract"],
            s1["evidence"]["threshold_referrals"], s1["evidence"]["window_days"]) == (
        4, 13, 5.0, 180)
    assert flags[unused]["severity"] == "high"
    assert flags[unused]["evidence"]["specialist_referrals_to_member"] == 0
    # A specialist sees the flags about itself only.
    assert set(_scd2(client, world.headers["s1"])) == set()

    response = client.post(f"{API}/events", headers=world.keys["s2"],
                           json=_referred_to(world, used, 1, "b"))
    assert response.status_code == 200, response.text
    assert set(_scd2(client, prime)) == {unused}
