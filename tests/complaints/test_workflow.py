"""The complaint procedure through HTTP (DOMAIN.md section 8): every allowed transition, and
every refused one answering 403 or 409 with exactly the transitions the caller may make now."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.complaints.conftest import backdate, move, moved, raise_complaint
from tests.helpers import API
from tests.world import World

STATUSES = ("submitted", "acknowledged", "investigating", "resolved", "escalated", "triaged",
            "independent_review", "decided", "closed", "withdrawn")
WHO = {"complainant": "s1", "prime": "manager_a", "reviewer": "reviewer", "admin": "admin"}

# How to reach each state: (party, to, extra fields). "+breach": submitted 60 days ago.
STEPS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "acknowledged": [("prime", "acknowledged", {})],
    "investigating": [("prime", "acknowledged", {}), ("prime", "investigating", {})],
}
STEPS["resolved"] = STEPS["investigating"] + [("prime", "resolved", {})]
STEPS["escalated"] = STEPS["resolved"] + [("complainant", "escalated", {})]
STEPS["triaged/merlin"] = STEPS["escalated"] + [("reviewer", "triaged", {"triage": "merlin"})]
STEPS["triaged/commercial"] = STEPS["escalated"] + [
    ("reviewer", "triaged", {"triage": "commercial"})]
STEPS["independent_review"] = STEPS["triaged/merlin"] + [
    ("reviewer", "independent_review", {})]
STEPS["decided"] = STEPS["independent_review"] + [
    ("reviewer", "decided", {"outcome": "partially_upheld"})]
STEPS["closed"] = STEPS["decided"] + [("reviewer", "closed", {})]
STEPS["withdrawn"] = [("complainant", "withdrawn", {})]
STEPS["submitted"] = []
for _state in ("submitted", "acknowledged", "investigating"):
    STEPS[f"{_state}+breach"] = STEPS[_state]


def make_state(client: TestClient, db: Session, world: World, state: str) -> str:
    complaint = raise_complaint(client, world.headers["s1"], world.contract_a)
    if state.endswith("+breach"):
        backdate(db, complaint["id"], 60)
    for party, to, extra in STEPS[state]:
        moved(client, world.headers[WHO[party]], complaint["id"], to, **extra)
    return str(complaint["id"])


# (state, to, party, extra fields, stage afterwards): every edge of the procedure.
EDGES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("submitted", "acknowledged", "prime", {}, "prime_procedure"),
    ("acknowledged", "investigating", "prime", {}, "prime_procedure"),
    ("investigating", "resolved", "prime", {}, "prime_procedure"),
    ("resolved", "closed", "complainant", {}, "prime_procedure"),
    ("resolved", "escalated", "complainant", {}, "merlin_triage"),
    ("submitted+breach", "escalated", "complainant", {}, "merlin_triage"),
    ("acknowledged+breach", "escalated", "complainant", {}, "merlin_triage"),
    ("investigating+breach", "escalated", "complainant", {}, "merlin_triage"),
    ("escalated", "triaged", "reviewer", {"triage": "merlin"}, "merlin_triage"),
    ("escalated", "triaged", "reviewer", {"triage": "commercial"}, "merlin_triage"),
    ("triaged/merlin", "independent_review", "reviewer", {}, "independent_review"),
    ("triaged/commercial", "closed", "reviewer", {}, "merlin_triage"),
    ("independent_review", "decided", "reviewer", {"outcome": "upheld"}, "independent_review"),
    ("independent_review", "decided", "reviewer", {"outcome": "partially_upheld"},
     "independent_review"),
    ("independent_review", "decided", "reviewer", {"outcome": "not_upheld"},
     "independent_review"),
    ("decided", "closed", "reviewer", {}, "independent_review"),
] + [(state, "withdrawn", "complainant", {}, stage) for state, stage in (
    ("submitted", "prime_procedure"), ("acknowledged", "prime_procedure"),
    ("investigating", "prime_procedure"), ("resolved", "prime_procedure"),
    ("escalated", "merlin_triage"), ("triaged/merlin", "merlin_triage"),
    ("independent_review", "independent_review"))]


@pytest.mark.parametrize(("state", "to", "party", "extra", "stage"), EDGES,
                         ids=[f"{e[0]}->{e[1]}-{e[3]}" for e in EDGES])
def test_each_allowed_transition(client, db, world, state, to, party, extra, stage):
    complaint_id = make_state(client, db, world, state)
    body = moved(client, world.headers[WHO[party]], complaint_id, to, note="because", **extra)
    assert body["stage"] == stage
    last = body["history"][-1]
    assert (last["from_status"], last["to_status"], last["actor_party"], last["body"]) == (
        state.split("/")[0].split("+")[0], to, party, "because")
    assert last["actor_user_id"] == world.user_ids[WHO[party]]
    if "triage" in extra:
        assert body["triage"] == extra["triage"] == last["decision"]
    if "outcome" in extra:
        assert body["outcome"] == extra["outcome"] == last["decision"]
        assert body["decided_at"] is not None
    if to in ("closed", "withdrawn"):
        assert body["closed_at"] is not None
    if to == "escalated":
        assert body["escalated_at"] is not None


# Hand-written: (state, party) -> what that party may do there. A missing party cannot see the
# complaint (the reviewer before escalation).
ALLOWED: dict[str, dict[str, list[str]]] = {
    "submitted": {"complainant": ["withdrawn"], "prime": ["acknowledged"],
                  "admin": ["acknowledged", "escalated", "withdrawn"]},
    "submitted+breach": {"complainant": ["escalated", "withdrawn"], "prime": ["acknowledged"],
                         "admin": ["acknowledged", "escalated", "withdrawn"]},
    "acknowledged": {"complainant": ["withdrawn"], "prime": ["investigating"],
                     "admin": ["escalated", "investigating", "withdrawn"]},
    "acknowledged+breach": {"complainant": ["escalated", "withdrawn"],
                            "prime": ["investigating"],
                            "admin": ["escalated", "investigating", "withdrawn"]},
    "investigating": {"complainant": ["withdrawn"], "prime": ["resolved"],
                      "admin": ["escalated", "resolved", "withdrawn"]},
    "resolved": {"complainant": ["closed", "escalated", "withdrawn"], "prime": [],
                 "admin": ["closed", "escalated", "withdrawn"]},
    "escalated": {"complainant": ["withdrawn"], "prime": [], "reviewer": ["triaged"],
                  "admin": ["triaged", "withdrawn"]},
    "triaged/merlin": {"complainant": ["withdrawn"], "prime": [],
                       "reviewer": ["independent_review"],
                       "admin": ["closed", "independent_review", "withdrawn"]},
    "triaged/commercial": {"complainant": ["withdrawn"], "prime": [], "reviewer": ["closed"],
                           "admin": ["closed", "independent_review", "withdrawn"]},
    "independent_review": {"complainant": ["withdrawn"], "prime": [], "reviewer": ["decided"],
                           "admin": ["decided", "withdrawn"]},
    "decided": {"complainant": [], "prime": [], "reviewer": ["closed"], "admin": ["closed"]},
    "closed": {"complainant": [], "prime": [], "reviewer": [], "admin": []},
    "withdrawn": {"complainant": [], "prime": [], "admin": []},
}
# Moves that exist from a status, with the party that makes them (for 403 versus 409).
GRAPH = {
    ("submitted", "acknowledged"): "prime", ("acknowledged", "investigating"): "prime",
    ("investigating", "resolved"): "prime", ("resolved", "closed"): "complainant",
    ("resolved", "escalated"): "complainant", ("submitted", "escalated"): "complainant",
    ("acknowledged", "escalated"): "complainant", ("investigating", "escalated"): "complainant",
    ("escalated", "triaged"): "reviewer", ("triaged", "independent_review"): "reviewer",
    ("triaged", "closed"): "reviewer", ("independent_review", "decided"): "reviewer",
    ("decided", "closed"): "reviewer",
    **{(s, "withdrawn"): "complainant" for s in (
        "submitted", "acknowledged", "investigating", "resolved", "escalated", "triaged",
        "independent_review")},
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_refused_transitions_list_exactly_what_is_allowed(client, db, world, state):
    complaint_id = make_state(client, db, world, state)
    status = state.split("/")[0].split("+")[0]
    url = f"{API}/complaints/{complaint_id}"
    for party, allowed in ALLOWED[state].items():
        headers = world.headers[WHO[party]]
        shown = client.get(url, headers=headers).json()
        assert sorted(shown["allowed_transitions"]) == allowed, party
        for to in STATUSES:
            if to in allowed:
                continue
            response = move(client, headers, complaint_id, to)
            owner = GRAPH.get((status, to))
            expected = 403 if owner is not None and owner != party else 409
            assert response.status_code == expected, (party, to, response.text)
            body = response.json()
            assert sorted(body["allowed"]) == allowed, (party, to)
            assert body["detail"].startswith("to: ")
    assert client.get(url, headers=world.headers["s1"]).json()["status"] == status
    if "reviewer" not in ALLOWED[state]:  # not escalated: the reviewer cannot see it
        assert move(client, world.headers["reviewer"], complaint_id, "triaged",
                    triage="merlin").status_code == 404


def test_other_organisations_cannot_move_a_complaint(client, db, world):
    complaint_id = make_state(client, db, world, "resolved")
    for who in ("s2", "manager_b", "sb", "inhouse_a", "reviewer"):
        for to in ("closed", "escalated", "withdrawn"):
            response = move(client, world.headers[who], complaint_id, to)
            assert response.status_code == 404, (who, to)
            assert response.json() == {"detail": f"complaint {complaint_id} not found"}


def test_triage_and_outcome_are_required_where_they_belong(client, db, world):
    escalated = make_state(client, db, world, "escalated")
    reviewer = world.headers["reviewer"]
    missing = move(client, reviewer, escalated, "triaged")
    assert (missing.status_code, missing.json()) == (
        422, {"detail": "triage: required when to is triaged"})
    stray = move(client, reviewer, escalated, "triaged", triage="merlin", outcome="upheld")
    assert (stray.status_code, stray.json()) == (
        422, {"detail": "outcome: given only when to is decided"})
    bad = move(client, reviewer, escalated, "triaged", triage="criminal")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "triage"]
    assert client.get(f"{API}/complaints/{escalated}",
                      headers=reviewer).json()["status"] == "escalated"
    in_review = make_state(client, db, world, "independent_review")
    no_outcome = move(client, reviewer, in_review, "decided")
    assert no_outcome.json() == {"detail": "outcome: required when to is decided"}
    no_note = client.post(f"{API}/complaints/{in_review}/transitions", headers=reviewer,
                          json={"to": "decided", "outcome": "upheld"})
    assert no_note.status_code == 422 and no_note.json()["detail"][0]["loc"] == ["body", "note"]


def test_an_admin_may_make_any_move_of_the_procedure_for_the_data(client, db, world):
    complaint_id = make_state(client, db, world, "submitted")
    body = moved(client, world.headers["admin"], complaint_id, "escalated",
                 note="entered from the paper file")
    assert body["stage"] == "merlin_triage"
    assert body["history"][-1]["actor_party"] == "admin"
    refused = move(client, world.headers["admin"], complaint_id, "decided", outcome="upheld")
    assert refused.status_code == 409
    assert sorted(refused.json()["allowed"]) == ["triaged", "withdrawn"]


def test_a_complainant_cannot_escalate_before_a_breach_or_a_resolution(client, db, world):
    complaint_id = make_state(client, db, world, "investigating")
    response = move(client, world.headers["s1"], complaint_id, "escalated")
    assert response.status_code == 409
    assert "SLA" in response.json()["detail"]
    assert response.json()["allowed"] == ["withdrawn"]
