"""The demo's complaints: one in each state of the Merlin route (DOMAIN.md section 8), written
through the complaints service with moments in the past, so their histories, messages, SLA
clocks and notifications are what real use would have left. One is confidential and has
breached the acknowledgement SLA (the starved member's, never answered).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import Principal
from app.complaints import schemas, service
from app.demo.generator import DemoCPA
from app.models import Complaint
from app.models.auth import Role


@dataclass(frozen=True)
class Step:
    days_ago: int
    who: str  # complainant | prime | reviewer
    text: str
    to: str | None = None  # None: a message
    triage: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class DemoComplaint:
    complainant_slug: str
    principle: str
    title: str
    description: str
    days_ago: int
    confidential: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)


COMPLAINTS = (
    DemoComplaint(
        "westgate", "supply_chain_design", "Referrals far below our contracted share",
        "We hold 15% of the contract's referrals but have received under 1% for six months.",
        15, confidential=True,
        steps=(Step(8, "complainant", "Could you confirm you have received this complaint?"),)),
    DemoComplaint(
        "calder", "commitment", "Invoice for July outcomes paid 52 days after receipt",
        "Our terms are 30 days; the July invoice was paid on day 52 without explanation.", 4,
        steps=(Step(3, "prime", "Received; finance is checking the payment run.",
                    "acknowledged"),)),
    DemoComplaint(
        "pennine", "commitment", "Repeated late payment of sustainment fees",
        "Three of the last five invoices were paid after terms.", 30,
        steps=(Step(28, "prime", "Acknowledged.", "acknowledged"),
               Step(27, "prime", "Reviewing the payment runs since April.", "investigating"),
               Step(20, "prime", "Can you send the remittance advices you received?"),
               Step(19, "complainant", "Attached to our e-mail of today."),
               Step(10, "prime", "We will pay late-payment interest and move your invoices to "
                    "the weekly run.", "resolved"))),
    DemoComplaint(
        "aire", "conduct", "Improvement plan imposed without the agreed review meeting",
        "The plan was issued by letter; the contract promises a review meeting first.", 45,
        steps=(Step(43, "prime", "Acknowledged.", "acknowledged"),
               Step(40, "prime", "Looking at the review records.", "investigating"),
               Step(25, "prime", "The plan stands: performance was below plan for two "
                    "quarters.", "resolved"),
               Step(20, "complainant", "The resolution ignores the missing meeting.",
                    "escalated"))),
    DemoComplaint(
        "bradford", "conduct", "Suspended without an improvement plan",
        "We were suspended with no improvement plan and no notice period.", 90,
        steps=(Step(88, "prime", "Acknowledged.", "acknowledged"),
               Step(85, "prime", "Investigating.", "investigating"),
               Step(70, "prime", "The suspension was necessary to protect participants.",
                    "resolved"),
               Step(65, "complainant", "No evidence was given; we reject it.", "escalated"),
               Step(60, "reviewer", "A question of due process under the Conduct principle.",
                    "triaged", triage="merlin"),
               Step(58, "reviewer", "Referred to the independent case examiner.",
                    "independent_review"),
               Step(40, "reviewer", "Both parties: please send the correspondence from "
                    "the month before the suspension."))),
    DemoComplaint(
        "horizon", "review", "League table compares us with end-to-end providers",
        "Our specialist caseload is ranked on raw rates against generalists.", 150,
        steps=(Step(148, "prime", "Acknowledged.", "acknowledged"),
               Step(146, "prime", "Investigating.", "investigating"),
               Step(130, "prime", "The table is the DWP's format.", "resolved"),
               Step(125, "complainant", "It is the prime's own table; we reject this.",
                    "escalated"),
               Step(120, "reviewer", "A Review principle matter.", "triaged", triage="merlin"),
               Step(118, "reviewer", "Referred for independent review.", "independent_review"),
               Step(60, "reviewer", "The prime must publish case-mix adjusted ranks alongside "
                    "raw ones; no finding on referrals.", "decided",
                    outcome="partially_upheld"))),
    DemoComplaint(
        "wharfedale", "supply_chain_design", "ESA referrals routed to tier-1 providers",
        "ESA participants suited to our service are being allocated elsewhere.", 200,
        steps=(Step(199, "prime", "Acknowledged.", "acknowledged"),
               Step(197, "prime", "Checking the allocation rules.", "investigating"),
               Step(190, "complainant", "Allocation data for May attached."),
               Step(185, "prime", "The rule now sends ESA ex-IB referrals to you first.",
                    "resolved"),
               Step(180, "complainant", "Accepted, thank you.", "closed"))),
    DemoComplaint(
        "probation", "commercial", "Rate for prison leavers' job outcomes",
        "We dispute the outcome fee passed down for prison leavers.", 60,
        steps=(Step(59, "prime", "Acknowledged.", "acknowledged"),
               Step(50, "complainant", "Settled at the quarterly contract review.",
                    "withdrawn"))),
    DemoComplaint(
        "pennine", "commercial", "Management fee increase mid-year",
        "The prime raised its management fee from 10% to 14% in June.", 120,
        steps=(Step(119, "prime", "Acknowledged.", "acknowledged"),
               Step(118, "prime", "Investigating.", "investigating"),
               Step(110, "prime", "The contract allows an annual review of the fee.",
                    "resolved"),
               Step(105, "complainant", "Not mid-year; we reject this.", "escalated"),
               Step(100, "reviewer", "A pricing dispute: commercial, not a Merlin issue.",
                    "triaged", triage="commercial"),
               Step(99, "reviewer", "Closed as commercial: for the parties under the contract's "
                    "dispute terms.", "closed"))),
)


def load_demo_complaints(session_factory: sessionmaker[Session], cpa: DemoCPA,
                         contract_id: int, organisations: dict[int, int],
                         users: dict[str, int]) -> int:
    """Raise and play the demo complaints once (none there yet); returns how many."""
    with session_factory() as session:
        if session.scalar(select(Complaint.id).where(Complaint.contract_id == contract_id)
                          .limit(1)):
            return 0
        org_by_slug = {o.slug: organisations[o.key] for o in cpa.organisations}
        reviewer = next(u for u in cpa.users if u.role == "reviewer")
        manager = next(u for u in cpa.users if u.role == "prime_manager")

        def principal(username: str, role: Role, org_id: int | None) -> Principal:
            return Principal(role=role, organisation_id=org_id, user_id=users[username],
                             username=username)

        prime = principal(manager.username, "prime_manager", organisations[cpa.prime_key])
        assert reviewer.organisation_key is not None
        panel = principal(reviewer.username, "reviewer", organisations[reviewer.organisation_key])
        for index, demo in enumerate(COMPLAINTS):
            def moment(days_ago: int, step: int = 0, index: int = index) -> datetime:
                day = cpa.as_of - timedelta(days=days_ago)
                return (datetime.combine(day, time(9), tzinfo=UTC)
                        + timedelta(minutes=10 * index + step))

            complainant = principal(f"{demo.complainant_slug}.staff", "provider_user",
                                    org_by_slug[demo.complainant_slug])
            view = service.raise_complaint(session, complainant, schemas.ComplaintCreate(
                contract_id=contract_id, principle=demo.principle,  # type: ignore[arg-type]
                title=demo.title, description=demo.description,
                confidential=demo.confidential), now=moment(demo.days_ago))
            actors = {"complainant": complainant, "prime": prime, "reviewer": panel}
            for number, step in enumerate(demo.steps, 1):
                when = moment(step.days_ago, number)
                if step.to is None:
                    service.post_message(session, actors[step.who], view.id,
                                         schemas.MessageCreate(body=step.text), now=when)
                else:
                    service.transition(session, actors[step.who], view.id,
                                       schemas.TransitionCreate(
                                           to=step.to, note=step.text,  # type: ignore[arg-type]
                                           triage=step.triage,  # type: ignore[arg-type]
                                           outcome=step.outcome),  # type: ignore[arg-type]
                                       now=when)
        service.sweep_breaches(session)
    return len(COMPLAINTS)
