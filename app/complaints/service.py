"""Complaints (DOMAIN.md section 8): raising, the thread, transitions, confidentiality, the SLA
clock and its breaches.

Every function takes `now` (default: the clock) so tests can fix time; the API uses the clock.
What a principal sees of a complaint is shaped in one place, `complaint_views`: the dashboard
uses it too, so confidentiality is enforced once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.complaints import schemas, workflow
from app.complaints.notifications import queue_notification
from app.complaints.sla import SlaClock, sla_clock
from app.core.changes import Kind, publish
from app.core.db import SQLITE_IMMEDIATE
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import local_date, utcnow
from app.core.workdays import working_calendar
from app.models import Complaint, ComplaintEntry, Contract, Membership, Organisation, User
from app.models.audit import record_audit
from app.models.auth import Role
from app.supply_chain.service import contract_settings, get_contract

PARTY_OF_ROLE: dict[Role, workflow.Party] = {
    "provider_user": "complainant", "prime_manager": "prime", "reviewer": "reviewer",
    "admin": "admin",
}
PARTY_LABELS = {"complainant": "the complainant", "prime": "the prime",
                "reviewer": "the reviewer", "admin": "an administrator"}
CONFIDENTIAL_COMPLAINANT = "a supply-chain member (confidential)"


# -- who is asking -------------------------------------------------------------------------------
def party_of(principal: Principal, complaint: Complaint, prime_id: int) -> workflow.Party | None:
    """The principal's side in this complaint, None when it has none."""
    if principal.role in ("admin", "reviewer"):
        return PARTY_OF_ROLE[principal.role]
    if principal.role == "prime_manager" and principal.organisation_id == prime_id:
        return "prime"
    if (principal.role == "provider_user"
            and principal.organisation_id == complaint.complainant_org_id):
        return "complainant"
    return None


def reveals_complainant(principal: Principal, complaint: Complaint) -> bool:
    """THE confidentiality rule: a confidential complaint shows who complained only to the
    complainant itself, reviewers and admins (never to the prime, whoever at the prime asks)."""
    return (not complaint.confidential or principal.role in ("admin", "reviewer")
            or principal.organisation_id == complaint.complainant_org_id)


def complainant_revealed(principal: Principal) -> ColumnElement[bool]:
    """`reveals_complainant` in SQL (keep the two in step): true for the complaints whose
    complainant the principal may see."""
    if principal.role in ("admin", "reviewer"):
        return true()
    return or_(Complaint.confidential.is_(False),
               Complaint.complainant_org_id == principal.organisation_id)


# -- the SLA clock -------------------------------------------------------------------------------
def clock_for(complaint: Complaint, contract: Contract, now: datetime) -> SlaClock:
    settings = contract_settings(contract)
    left = complaint.escalated_at or complaint.closed_at
    return sla_clock(
        submitted_on=local_date(complaint.submitted_at),
        acknowledged_on=local_date(complaint.acknowledged_at) if complaint.acknowledged_at
        else None,
        resolved_on=local_date(complaint.resolved_at) if complaint.resolved_at else None,
        left_procedure_on=local_date(left) if left else None,
        today=local_date(now), ack_working_days=settings.complaint_ack_working_days,
        resolve_working_days=settings.complaint_resolve_working_days,
        holidays=working_calendar(settings.holidays))


def _situation(complaint: Complaint, clock: SlaClock) -> workflow.Situation:
    return workflow.Situation(status=complaint.status, sla_breached=clock.breached,
                              triage=complaint.triage)


# -- shaping a complaint for a principal (the one place that redacts) ----------------------------
@dataclass
class _Names:
    orgs: dict[int, str]
    users: dict[int, str]

    @classmethod
    def load(cls, session: Session, org_ids: set[int], user_ids: set[int]) -> "_Names":
        orgs = {org_id: name for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))}
        users = {user_id: name for user_id, name in session.execute(
            select(User.id, User.username).where(User.id.in_(user_ids)))}
        return cls(orgs, users)


def _entry_read(entry: ComplaintEntry, complaint: Complaint, reveal: bool,
                names: _Names) -> schemas.EntryRead:
    party = PARTY_OF_ROLE[entry.actor_role]
    hidden = party == "complainant" and not reveal
    return schemas.EntryRead(
        id=entry.public_id, kind=entry.kind, from_status=entry.from_status,
        to_status=entry.to_status, decision=entry.decision, body=entry.body, at=entry.at,
        actor_party=party,
        actor_user_id=None if hidden else entry.actor_user_id,
        actor_username=None if hidden or entry.actor_user_id is None
        else names.users.get(entry.actor_user_id),
        actor_org_id=None if hidden else entry.actor_org_id,
        actor_org_name=None if hidden or entry.actor_org_id is None
        else names.orgs.get(entry.actor_org_id))


def complaint_views(session: Session, principal: Principal, complaints: Sequence[Complaint],
                    now: datetime, with_thread: bool = False) -> list[schemas.ComplaintDetail]:
    """The complaints as `principal` may see them: identity redacted per
    `reveals_complainant`, the SLA clock, the transitions the principal may make now, and
    (with_thread) the history and messages. The callers have scoped `complaints` already."""
    contracts = {c.id: c for c in session.scalars(select(Contract).where(
        Contract.id.in_({c.contract_id for c in complaints})))}
    entries: dict[int, list[ComplaintEntry]] = {c.id: [] for c in complaints}
    if with_thread and complaints:
        for entry in session.scalars(select(ComplaintEntry).where(
                ComplaintEntry.complaint_id.in_(entries)).order_by(ComplaintEntry.id)):
            entries[entry.complaint_id].append(entry)
    all_entries = [e for thread in entries.values() for e in thread]
    names = _Names.load(
        session,
        {c.complainant_org_id for c in complaints}
        | {e.actor_org_id for e in all_entries if e.actor_org_id is not None},
        {c.raised_by_user_id for c in complaints if c.raised_by_user_id is not None}
        | {e.actor_user_id for e in all_entries if e.actor_user_id is not None})
    views = []
    for complaint in complaints:
        contract = contracts[complaint.contract_id]
        reveal = reveals_complainant(principal, complaint)
        clock = clock_for(complaint, contract, now)
        party = party_of(principal, complaint, contract.prime_id)
        thread = [_entry_read(e, complaint, reveal, names) for e in entries[complaint.id]]
        views.append(schemas.ComplaintDetail(
            id=complaint.public_id, contract_id=complaint.contract_id,
            complainant_org_id=complaint.complainant_org_id if reveal else None,
            complainant_name=names.orgs.get(complaint.complainant_org_id) if reveal else None,
            raised_by_user_id=complaint.raised_by_user_id if reveal else None,
            raised_by_username=(names.users.get(complaint.raised_by_user_id)
                                if reveal and complaint.raised_by_user_id else None),
            confidential=complaint.confidential, principle=complaint.principle,
            title=complaint.title, description=complaint.description,
            status=complaint.status, stage=complaint.stage,
            triage=complaint.triage, outcome=complaint.outcome,
            submitted_at=complaint.submitted_at, acknowledged_at=complaint.acknowledged_at,
            resolved_at=complaint.resolved_at, escalated_at=complaint.escalated_at,
            decided_at=complaint.decided_at, closed_at=complaint.closed_at,
            updated_at=complaint.updated_at,
            sla=schemas.SlaRead(**clock.__dict__),
            allowed_transitions=workflow.allowed_transitions(
                _situation(complaint, clock), party),
            history=[e for e in thread if e.kind != "message"],
            messages=[e for e in thread if e.kind == "message"]))
    return views


def complaint_view(session: Session, principal: Principal, complaint: Complaint,
                   now: datetime, with_thread: bool = True) -> schemas.ComplaintDetail:
    return complaint_views(session, principal, [complaint], now, with_thread)[0]


# -- reading -------------------------------------------------------------------------------------
def _get(session: Session, principal: Principal, complaint_id: str,
         lock: bool = False) -> Complaint:
    """`lock`: the caller is about to change the complaint. Its row is locked (PostgreSQL) or the
    transaction takes SQLite's write lock from its start, so two concurrent moves cannot both
    start from the same status."""
    if lock:
        session.rollback()  # end the read transaction of the principal's lookup
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    stmt = Scope(principal).complaints(select(Complaint).where(Complaint.public_id == complaint_id))
    complaint = session.scalar(stmt.with_for_update() if lock else stmt)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} not found")
    return complaint


def get_complaint(session: Session, principal: Principal, complaint_id: str,
                  now: datetime | None = None) -> schemas.ComplaintDetail:
    authorize(principal, "complaints.read")
    return complaint_view(session, principal, _get(session, principal, complaint_id),
                          now or utcnow())


def list_complaints(session: Session, principal: Principal, page: PageParams, *,
                    contract_id: int | None = None, status: str | None = None,
                    complainant_org_id: int | None = None, now: datetime | None = None
                    ) -> tuple[list[schemas.ComplaintDetail], str | None]:
    authorize(principal, "complaints.read")
    stmt = Scope(principal).complaints(select(Complaint))
    if contract_id is not None:
        stmt = stmt.where(Complaint.contract_id == contract_id)
    if complainant_org_id is not None:
        # A complainant the principal may not see never matches: filtering by a member must
        # not tell the prime that it raised a confidential complaint.
        stmt = stmt.where(Complaint.complainant_org_id == complainant_org_id,
                          complainant_revealed(principal))
    if status is not None:
        stmt = stmt.where(Complaint.status == status)
    rows, cursor = paginate(session, stmt, Complaint.id, page)
    return complaint_views(session, principal, rows, now or utcnow()), cursor


def complaint_counts(session: Session, principal: Principal,
                     contract_id: int | None = None) -> dict[str, int]:
    """How many complaints the principal may see, by status (only the statuses present)."""
    authorize(principal, "complaints.read")
    stmt = Scope(principal).complaints(
        select(Complaint.status, func.count(Complaint.id)).group_by(Complaint.status))
    if contract_id is not None:
        stmt = stmt.where(Complaint.contract_id == contract_id)
    return {status: number for status, number in session.execute(stmt)}


def open_complaints(counts: dict[str, int]) -> int:
    """Complaints not finished (closed or withdrawn), from `complaint_counts`."""
    return sum(n for status, n in counts.items() if status not in workflow.FINAL_STATUSES)


# -- changing ------------------------------------------------------------------------------------
def raise_complaint(session: Session, principal: Principal, payload: schemas.ComplaintCreate,
                    now: datetime | None = None) -> schemas.ComplaintDetail:
    authorize(principal, "complaints.raise")
    now = now or utcnow()
    contract = get_contract(session, principal, payload.contract_id)
    if principal.organisation_id == contract.prime_id:
        raise Forbidden("contract_id: the prime's own staff cannot complain against their "
                        "prime; complaints come from its supply-chain members")
    is_member = session.scalar(select(Membership.id).where(
        Membership.contract_id == contract.id,
        Membership.provider_id == principal.organisation_id))
    if not is_member:
        raise NotFound(f"contract {payload.contract_id} not found")
    assert principal.organisation_id is not None  # a provider user always has one
    complaint = Complaint(
        contract_id=contract.id, complainant_org_id=principal.organisation_id,
        raised_by_user_id=principal.user_id, principle=payload.principle, title=payload.title,
        description=payload.description, confidential=payload.confidential,
        status="submitted", stage="prime_procedure", submitted_at=now, updated_at=now)
    session.add(complaint)
    session.flush()
    record_audit(session, principal, "complaint.raise", "complaint", complaint.public_id,
                 contract_id=contract.id, principle=payload.principle,
                 confidential=payload.confidential)
    _record_entry(session, principal, complaint, contract, now, kind="transition",
                  to_status="submitted", body="complaint raised")
    publish(session, contract.id, Kind.COMPLAINT)
    session.commit()
    return complaint_view(session, principal, complaint, now)


def transition(session: Session, principal: Principal, complaint_id: str,
               payload: schemas.TransitionCreate,
               now: datetime | None = None) -> schemas.ComplaintDetail:
    authorize(principal, "complaints.transition")
    now = now or utcnow()
    complaint = _get(session, principal, complaint_id, lock=True)
    contract = session.get_one(Contract, complaint.contract_id)
    situation = _situation(complaint, clock_for(complaint, contract, now))
    party = party_of(principal, complaint, contract.prime_id)
    refused = workflow.refusal(situation, payload.to, party)
    if refused is not None:
        allowed = workflow.allowed_transitions(situation, party)
        error = Forbidden if refused.kind == "forbidden" else Conflict
        raise error(refused.reason, allowed=allowed)
    for field, needed_for in (("triage", "triaged"), ("outcome", "decided")):
        given = getattr(payload, field) is not None
        if payload.to == needed_for and not given:
            raise Invalid(f"{field}: required when to is {needed_for}")
        if payload.to != needed_for and given:
            raise Invalid(f"{field}: given only when to is {needed_for}")

    previous = complaint.status
    complaint.status = payload.to
    complaint.stage = workflow.stage_after(complaint.stage, payload.to)
    complaint.updated_at = now
    moment_column = {"acknowledged": "acknowledged_at", "resolved": "resolved_at",
                     "escalated": "escalated_at", "decided": "decided_at",
                     "closed": "closed_at", "withdrawn": "closed_at"}.get(payload.to)
    if moment_column:
        setattr(complaint, moment_column, now)
    if payload.triage:
        complaint.triage = payload.triage
    if payload.outcome:
        complaint.outcome = payload.outcome
    record_audit(session, principal, "complaint.transition", "complaint", complaint.public_id,
                 from_status=previous, to_status=payload.to, triage=payload.triage,
                 outcome=payload.outcome)
    _record_entry(session, principal, complaint, contract, now, kind="transition",
                  from_status=previous, to_status=payload.to,
                  decision=payload.triage or payload.outcome, body=payload.note)
    publish(session, contract.id, Kind.COMPLAINT)
    session.commit()
    return complaint_view(session, principal, complaint, now)


def post_message(session: Session, principal: Principal, complaint_id: str,
                 payload: schemas.MessageCreate,
                 now: datetime | None = None) -> schemas.EntryRead:
    authorize(principal, "complaints.message")
    now = now or utcnow()
    complaint = _get(session, principal, complaint_id, lock=True)
    if complaint.status in workflow.FINAL_STATUSES:
        raise Conflict(f"complaint {complaint_id} is {complaint.status}; its thread is "
                       "read-only")
    contract = session.get_one(Contract, complaint.contract_id)
    entry = _record_entry(session, principal, complaint, contract, now, kind="message",
                          body=payload.body)
    record_audit(session, principal, "complaint.message", "complaint", complaint.public_id,
                 entry_id=entry.public_id)
    session.commit()
    view = complaint_view(session, principal, complaint, now)
    return next(m for m in view.messages if m.id == entry.public_id)


def set_confidentiality(session: Session, principal: Principal, complaint_id: str,
                        payload: schemas.ConfidentialityChange,
                        now: datetime | None = None) -> schemas.ComplaintDetail:
    """The complainant (or an admin) may lift confidentiality; once lifted it is never restored,
    since the prime may have seen who complained (docs/decisions.md)."""
    authorize(principal, "complaints.confidentiality")
    now = now or utcnow()
    complaint = _get(session, principal, complaint_id, lock=True)
    contract = session.get_one(Contract, complaint.contract_id)
    if party_of(principal, complaint, contract.prime_id) not in ("complainant", "admin"):
        raise Forbidden("only the complainant may lift its complaint's confidentiality")
    if payload.confidential and not complaint.confidential:
        raise Conflict("confidential: confidentiality was lifted and cannot be restored; the "
                       "prime may already have seen who complained")
    if payload.confidential == complaint.confidential:
        return complaint_view(session, principal, complaint, now)  # nothing to change
    complaint.confidential = False
    complaint.updated_at = now
    record_audit(session, principal, "complaint.confidentiality", "complaint",
                 complaint.public_id,
                 confidential=False)
    _record_entry(session, principal, complaint, contract, now, kind="confidentiality",
                  body="confidentiality lifted: the complainant is now shown to the prime")
    session.commit()
    return complaint_view(session, principal, complaint, now)


def _record_entry(session: Session, principal: Principal, complaint: Complaint,
                  contract: Contract, now: datetime, *,
                  kind: Literal["transition", "message", "confidentiality"], body: str,
                  from_status: str | None = None, to_status: str | None = None,
                  decision: str | None = None) -> ComplaintEntry:
    """Append to the history (never updated or deleted) and tell the other parties."""
    entry = ComplaintEntry(
        complaint_id=complaint.id, kind=kind, from_status=from_status, to_status=to_status,
        decision=decision, actor_user_id=principal.user_id,
        actor_org_id=principal.organisation_id, actor_role=principal.role, body=body, at=now)
    session.add(entry)
    session.flush()
    if kind == "transition":
        # ===== the one call site after a complaint is raised or transitions =====
        _complaint_changed(session, complaint, contract, entry, now)
    else:
        _notify_entry(session, complaint, contract, entry, now)
    return entry


def _complaint_changed(session: Session, complaint: Complaint, contract: Contract,
                       change: ComplaintEntry, now: datetime) -> None:
    """Called once after a complaint is raised or makes a transition, in its transaction (the
    compliance flags it feeds, CON-1 and CON-3, follow the change published with it)."""
    _notify_entry(session, complaint, contract, change, now)
    record_breaches(session, complaint, contract, now)


# -- notifications -------------------------------------------------------------------------------
def _recipients(session: Session, complaint: Complaint, contract: Contract,
                exclude: workflow.Party | None) -> list[tuple[workflow.Party, int]]:
    """Every party concerned, less the one that acted: the complainant, the prime, and the
    reviewer organisations once the complaint is escalated."""
    parties: list[tuple[workflow.Party, int]] = [("complainant", complaint.complainant_org_id),
                                                 ("prime", contract.prime_id)]
    if complaint.escalated_at is not None:
        parties += [("reviewer", org_id) for org_id in session.scalars(
            select(Organisation.id).where(Organisation.kind == "reviewer")
            .order_by(Organisation.id))]
    return [(party, org_id) for party, org_id in parties if party != exclude]


def _recipient_principal(party: workflow.Party, org_id: int) -> Principal:
    roles: dict[workflow.Party, Role] = {"complainant": "provider_user",
                                         "prime": "prime_manager", "reviewer": "reviewer"}
    return Principal(role=roles[party], organisation_id=org_id)


def _notify(session: Session, complaint: Complaint, contract: Contract, now: datetime, *,
            kind: str, subject: str, lines: list[str],
            exclude: workflow.Party | None) -> None:
    complainant = session.get_one(Organisation, complaint.complainant_org_id).name
    for party, org_id in _recipients(session, complaint, contract, exclude):
        reveal = reveals_complainant(_recipient_principal(party, org_id), complaint)
        header = [f'Complaint #{complaint.public_id} "{complaint.title}" on contract '
                  f"{contract.cpa_code} ({contract.cpa_name})",
                  f"Complainant: {complainant if reveal else CONFIDENTIAL_COMPLAINANT}",
                  f"Status: {complaint.status} (stage {complaint.stage})"]
        queue_notification(session, kind=kind, recipient_org_id=org_id,
                           subject=f"Complaint #{complaint.public_id}: {subject}",
                           body="\n".join(header + [""] + lines) + "\n",
                           complaint_id=complaint.id, now=now)


def _notify_entry(session: Session, complaint: Complaint, contract: Contract,
                  entry: ComplaintEntry, now: datetime) -> None:
    actor = PARTY_OF_ROLE[entry.actor_role]
    by = PARTY_LABELS[actor]
    if entry.kind == "transition":
        subject = (f"raised by {by}" if entry.from_status is None
                   else f"{entry.from_status} -> {entry.to_status} by {by}")
        lines = [f"Decision: {entry.decision}"] if entry.decision else []
        lines.append(f"Note: {entry.body}")
    elif entry.kind == "message":
        subject, lines = f"new message from {by}", [entry.body]
    else:
        subject, lines = "confidentiality lifted", [entry.body]
    _notify(session, complaint, contract, now, kind=f"complaint.{entry.kind}", subject=subject,
            lines=lines, exclude=None if actor == "admin" else actor)


def record_breaches(session: Session, complaint: Complaint, contract: Contract,
                    now: datetime) -> list[str]:
    """Record (and notify) each SLA breach of the complaint not recorded yet: once per breach,
    however often this runs. Returns the breaches recorded now."""
    clock = clock_for(complaint, contract, now)
    recorded = []
    for breached, column, what, due in (
            (clock.acknowledgement_breached, Complaint.acknowledgement_breach_at,
             "acknowledgement", clock.acknowledge_by),
            (clock.resolution_breached, Complaint.resolution_breach_at, "resolution",
             clock.resolve_by)):
        if not breached or getattr(complaint, column.key) is not None:
            continue
        # Claimed with a conditional UPDATE so two concurrent sweeps notify once.
        claimed = session.execute(
            update(Complaint).where(Complaint.id == complaint.id, column.is_(None))
            .values({column.key: now}).execution_options(synchronize_session="fetch"))
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        recorded.append(what)
        step = "acknowledged" if what == "acknowledgement" else "given a proposed resolution"
        _notify(session, complaint, contract, now, kind=f"complaint.{what}_breach",
                subject=f"{what} SLA breached",
                lines=[f"The complaint was not {step} by {due.isoformat()}. The complainant "
                       "may now escalate it to the reviewer."], exclude=None)
    return recorded


def sweep_breaches(session: Session, now: datetime | None = None) -> list[tuple[str, str]]:
    """Record the SLA breaches of complaints still in the prime's procedure (run on a
    schedule: `chainboard complaints-sweep`). Returns (complaint public id, breach) pairs."""
    now = now or utcnow()
    candidates = list(session.scalars(select(Complaint).where(
        Complaint.status.in_(workflow.PRIME_PROCEDURE),
        Complaint.acknowledgement_breach_at.is_(None) | Complaint.resolution_breach_at.is_(None))
        .order_by(Complaint.id)))
    found = []
    for complaint in candidates:
        contract = session.get_one(Contract, complaint.contract_id)
        breaches = record_breaches(session, complaint, contract, now)
        if breaches:
            publish(session, contract.id, Kind.COMPLAINT)
        session.commit()
        found += [(complaint.public_id, what) for what in breaches]
    return found
