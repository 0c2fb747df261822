"""How a complaint reads on screen: its SLA clock and who did what, in words. Everything here
formats the service's view of the complaint (app.complaints.service.complaint_view), which has
already hidden what the reader may not see; nothing is looked up again."""

from app.complaints.schemas import ComplaintRead, EntryRead

PARTY_WORDS = {"complainant": "The complainant", "prime": "The prime",
               "reviewer": "The reviewer", "admin": "An administrator"}
CONFIDENTIAL_WORDS = "A supply-chain member (confidential)"


def _clock(step: str, due: object, done_on: object, days_left: int | None,
           breached: bool) -> str:
    if breached:
        return (f"\u2716 {step} overdue: was due {due}" if done_on is None
                else f"\u2716 {step} late: on {done_on}, was due {due}")
    if done_on is not None:
        return f"\u2714 {step} on time: {done_on} (due {due})"
    if days_left is None:
        return f"\u2014 {step}: clock stopped (the complaint left the prime's procedure)"
    plural = "" if days_left == 1 else "s"
    return f"\u25f7 {step} due {due}: {days_left} working day{plural} left"


def sla_lines(complaint: ComplaintRead) -> list[str]:
    """The two SLA clocks (acknowledge, resolve) as a sentence each, shape first."""
    sla = complaint.sla
    return [
        _clock("Acknowledgement", sla.acknowledge_by, sla.acknowledged_on,
               sla.acknowledgement_working_days_left, sla.acknowledgement_breached),
        _clock("Resolution", sla.resolve_by, sla.resolved_on,
               sla.resolution_working_days_left, sla.resolution_breached),
    ]


def complainant_words(complaint: ComplaintRead) -> str:
    if complaint.complainant_name is None:
        return CONFIDENTIAL_WORDS
    by = f" (raised by {complaint.raised_by_username})" if complaint.raised_by_username else ""
    return complaint.complainant_name + by


def actor_words(entry: EntryRead) -> str:
    """'The prime (ridgeway.manager, Ridgeway Employment)', or only the party when the view
    carries no name (a confidential complainant read by the prime)."""
    names = [n for n in (entry.actor_username, entry.actor_org_name) if n]
    party = PARTY_WORDS[entry.actor_party]
    return f"{party} ({', '.join(names)})" if names else party
