"""The complaint state machine of DOMAIN.md section 8, as data and pure functions (no session,
no HTTP): which transitions exist, which party makes each, and on what condition.

Parties: the `complainant` (provider users of the complaining member), the `prime` (prime
managers of the contract's prime), the `reviewer` and the `admin`. An admin may make any
transition of the graph on the data's behalf, without the party's condition; the fields a
transition needs (triage, outcome) are required of the admin too.
"""

from dataclasses import dataclass
from typing import Literal

from app.models.complaints import ComplaintStage, ComplaintStatus, Triage

Party = Literal["complainant", "prime", "reviewer", "admin"]
Condition = Literal["sla_breached", "triaged_merlin", "triaged_commercial"]

# Where the complaint sits in the Merlin route, by status. A finished complaint (closed or
# withdrawn) keeps the stage it finished in.
STAGE_OF_STATUS: dict[ComplaintStatus, ComplaintStage] = {
    "submitted": "prime_procedure", "acknowledged": "prime_procedure",
    "investigating": "prime_procedure", "resolved": "prime_procedure",
    "escalated": "merlin_triage", "triaged": "merlin_triage",
    "independent_review": "independent_review", "decided": "independent_review",
}
FINAL_STATUSES: frozenset[ComplaintStatus] = frozenset({"closed", "withdrawn"})
# The complainant may withdraw until a decision is made: a decision is the reviewer's finding
# and is not the complainant's to take back.
OPEN_STATUSES: tuple[ComplaintStatus, ...] = (
    "submitted", "acknowledged", "investigating", "resolved", "escalated", "triaged",
    "independent_review")
# The prime's own procedure: the SLA clocks run here, and a breach lets the complainant escalate.
PRIME_PROCEDURE: tuple[ComplaintStatus, ...] = ("submitted", "acknowledged", "investigating")


@dataclass(frozen=True)
class Edge:
    party: Party
    condition: Condition | None = None
    needs: Literal["triage", "outcome"] | None = None  # a field the request must carry
    # What the transition means, for messages ("acknowledge", "accept the resolution", ...).
    action: str = ""


EDGES: dict[tuple[ComplaintStatus, ComplaintStatus], Edge] = {
    ("submitted", "acknowledged"): Edge("prime", action="acknowledge the complaint"),
    ("acknowledged", "investigating"): Edge("prime", action="start investigating"),
    ("investigating", "resolved"): Edge("prime", action="propose a resolution"),
    ("resolved", "closed"): Edge("complainant", action="accept the proposed resolution"),
    ("resolved", "escalated"): Edge("complainant", action="reject the resolution and escalate"),
    **{(status, "escalated"): Edge("complainant", "sla_breached",
                                   action="escalate after an SLA breach")
       for status in PRIME_PROCEDURE},
    ("escalated", "triaged"): Edge("reviewer", needs="triage",
                                   action="triage as a Merlin or a commercial issue"),
    ("triaged", "independent_review"): Edge("reviewer", "triaged_merlin",
                                            action="refer a Merlin issue to independent review"),
    # A commercial dispute is outside the Merlin Standard: the reviewer closes it and the
    # parties settle it under their contract (docs/decisions.md).
    ("triaged", "closed"): Edge("reviewer", "triaged_commercial",
                                action="close a commercial issue"),
    ("independent_review", "decided"): Edge("reviewer", needs="outcome", action="decide"),
    ("decided", "closed"): Edge("reviewer", action="close the decided complaint"),
    **{(status, "withdrawn"): Edge("complainant", action="withdraw the complaint")
       for status in OPEN_STATUSES},
}

CONDITION_REFUSALS: dict[Condition, str] = {
    "sla_breached": "escalation before a resolution is proposed needs a breached SLA "
                    "(acknowledgement or resolution); none is breached yet",
    "triaged_merlin": "only a complaint triaged as a Merlin issue goes to independent review",
    "triaged_commercial": "only a complaint triaged as commercial is closed without a review",
}


@dataclass(frozen=True)
class Situation:
    """The facts about a complaint that transition conditions read."""

    status: ComplaintStatus
    sla_breached: bool
    triage: Triage | None


def _condition_holds(condition: Condition | None, situation: Situation) -> bool:
    if condition is None:
        return True
    if condition == "sla_breached":
        return situation.sla_breached
    if condition == "triaged_merlin":
        return situation.triage == "merlin"
    return situation.triage == "commercial"


def allowed_transitions(situation: Situation, party: Party | None) -> list[ComplaintStatus]:
    """The statuses this party may move the complaint to now, in the graph's order."""
    if party is None:
        return []
    return [to for (source, to), edge in EDGES.items()
            if source == situation.status
            and (party == "admin"
                 or (edge.party == party and _condition_holds(edge.condition, situation)))]


@dataclass(frozen=True)
class Refusal:
    """Why a transition is refused: `forbidden` (the move belongs to another party: 403) or
    `conflict` (no such move from here, or its condition does not hold: 409)."""

    kind: Literal["forbidden", "conflict"]
    reason: str


def refusal(situation: Situation, to: ComplaintStatus, party: Party | None) -> Refusal | None:
    """None when `party` may move the complaint to `to` now."""
    edge = EDGES.get((situation.status, to))
    if edge is None:
        return Refusal("conflict", f"to: a complaint cannot go from {situation.status} to {to}")
    if party == "admin":
        return None
    if party != edge.party:
        return Refusal("forbidden", f"to: only the {edge.party} may {edge.action}")
    if edge.condition is not None and not _condition_holds(edge.condition, situation):
        return Refusal("conflict", f"to: {CONDITION_REFUSALS[edge.condition]}")
    return None


def stage_after(current_stage: ComplaintStage, to: ComplaintStatus) -> ComplaintStage:
    return STAGE_OF_STATUS.get(to, current_stage)
