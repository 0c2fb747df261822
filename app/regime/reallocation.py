"""Reallocation of contracted shares (DOMAIN.md section 11), fair by construction.

The prime proposes new shares; the preview shows each member's current and proposed share,
a year's projected referrals, outcomes and payments from its fair figures, and each
guard-rail's result:

- `significant_shortfall`: a cut only for a member whose latest published rating shows a
  shortfall that is significant on the overdispersed limits (PI < m x pi_lower_95);
- `recent_complaint`: no cut within `retaliation_window_days` (90) after the member raised a
  complaint still open, *unless it is confidential*: a confidential complaint is never read
  here, so the prime's preview of a member with one is identical to one without;
- `tier1_shares_sum`: the tier-1 shares still sum to at most 1.

Applying needs a reason, and an override reason while a guard-rail fails (on record for the
reviewer). Every reallocation with a cut, whoever the member, is held for the reviewer for
`reallocation_hold_working_days` (10) and takes effect then, unless the reviewer releases it
earlier or blocks it with a reason: the reviewer, who sees the confidential complaints, is
their protection. One without a cut takes effect at once.

The guard-rails, the hold and the projection are pure functions of plain facts (below); the
service gathers the facts, and nothing it gathers for the prime reads a confidential
complaint.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.complaints.notifications import queue_notification
from app.complaints.workflow import FINAL_STATUSES
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.timeutil import today, utcnow
from app.core.workdays import add_working_days, working_calendar
from app.models import (
    Complaint,
    Contract,
    Membership,
    Organisation,
    Participant,
    Reallocation,
    ReallocationChange,
)
from app.models.audit import record_audit
from app.performance import payments, ratings
from app.performance import schemas as performance_schemas
from app.regime import schemas
from app.supply_chain.service import (
    contract_settings,
    effective_expectations,
    get_managed_contract,
)

ZERO = Decimal("0.0000")


# -- pure ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberFacts:
    provider_id: int
    name: str
    tier: int
    current: Decimal
    proposed: Decimal
    # From the latest published rating: the index, its limit under the member's minimum
    # (minimum x pi_lower_95) and the minimum; None when unrated.
    performance_index: float | None
    significance_limit: float | None
    minimum: float
    shrunk_pi: float | None
    # The day the member last raised a complaint still open, *not confidential*.
    open_complaint_on: date | None

    @property
    def cut(self) -> bool:
        return self.proposed < self.current


def guard_rails(members: list[MemberFacts], on: date,
                complaint_window_days: int) -> list[schemas.GuardRailOut]:
    rails = []
    for m in members:
        if not m.cut:
            continue
        significant = (m.performance_index is not None and m.significance_limit is not None
                       and m.performance_index < m.significance_limit)
        if m.performance_index is None:
            words = f"{m.name} has no published rating to justify a cut"
        elif significant:
            words = (f"{m.name}'s published performance index {m.performance_index:.2f} is "
                     f"below {m.significance_limit:.2f}, the overdispersed limit under its "
                     f"minimum of {m.minimum:.2f}: a significant shortfall")
        else:
            words = (f"{m.name}'s published performance index {m.performance_index:.2f} is "
                     "not significantly below its minimum of "
                     f"{m.minimum:.2f}: no cut on chance")
        rails.append(schemas.GuardRailOut(rule="significant_shortfall",
                                          provider_id=m.provider_id, passed=significant,
                                          detail=words))
        recent = (m.open_complaint_on is not None
                  and m.open_complaint_on >= on - timedelta(days=complaint_window_days))
        rails.append(schemas.GuardRailOut(
            rule="recent_complaint", provider_id=m.provider_id, passed=not recent,
            detail=(f"{m.name} raised a complaint on {m.open_complaint_on} that is still "
                    f"open: no cut within {complaint_window_days} days of it" if recent else
                    f"{m.name} has raised no open complaint in the last "
                    f"{complaint_window_days} days")))
    tier1 = sum((m.proposed for m in members if m.tier == 1), start=ZERO)
    rails.append(schemas.GuardRailOut(
        rule="tier1_shares_sum", provider_id=None, passed=tier1 <= 1,
        detail=f"tier-1 shares sum to {tier1:.4f}" + ("" if tier1 <= 1 else ", above 1")))
    return rails


def effective_on(members: list[MemberFacts], on: date, hold_working_days: int,
                 holidays: set[date] | object) -> date:
    """The hold's end when any share is cut (the same for every member), else `on`."""
    if not any(m.cut for m in members):
        return on
    return add_working_days(on, hold_working_days, holidays)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Volumes:
    """Last year's referrals, pooled outcome rate and fees per referral and per outcome."""

    referrals: int
    pooled_rate: float
    fee_per_referral: Decimal
    fee_per_outcome: Decimal


def projection(share: Decimal, shrunk_pi: float | None,
               volumes: Volumes) -> schemas.ProjectionOut:
    referrals = float(share) * volumes.referrals
    outcomes = referrals * volumes.pooled_rate * (shrunk_pi if shrunk_pi is not None else 1.0)
    money = (Decimal(str(referrals)) * volumes.fee_per_referral
             + Decimal(str(outcomes)) * volumes.fee_per_outcome)
    return schemas.ProjectionOut(referrals=round(referrals, 1), outcomes=round(outcomes, 1),
                                 payments=payments.pennies(money))


# -- gathering the facts ------------------------------------------------------------------------
def _latest_rows(session: Session, contract: Contract
                 ) -> dict[int | None, performance_schemas.LeagueRowOut]:
    """The rows of the latest quarter's publication in force, by provider."""
    quarters = sorted(set(session.scalars(select(ratings.RatingPublication.quarter).where(
        ratings.RatingPublication.contract_id == contract.id))), reverse=True)
    for quarter in quarters:
        publication = ratings.current_publication(session, contract.id, quarter)
        if publication is not None:
            table = performance_schemas.LeagueTableOut.model_validate(publication.table)
            return {row.provider_id: row for row in table.rows}
    return {}


def _facts(session: Session, contract: Contract, shares: dict[int, Decimal],
           on: date) -> list[MemberFacts]:
    members = session.execute(
        select(Membership, Organisation.name)
        .join(Organisation, Organisation.id == Membership.provider_id)
        .where(Membership.contract_id == contract.id, Membership.status != "terminated")
        .order_by(Organisation.name)).all()
    known = {m.provider_id for m, _ in members}
    for provider_id in shares:
        if provider_id not in known:
            raise Invalid(f"shares.{provider_id}: not a member of contract {contract.id}")
    rows = _latest_rows(session, contract)
    # Only complaints the prime may know of: never a confidential one (module docstring).
    complaints = dict(session.execute(
        select(Complaint.complainant_org_id, func.max(Complaint.submitted_at))
        .where(Complaint.contract_id == contract.id, Complaint.confidential.is_(False),
               Complaint.status.not_in(FINAL_STATUSES))
        .group_by(Complaint.complainant_org_id)).all())
    facts = []
    for membership, name in members:
        row = rows.get(membership.provider_id)
        minimum = effective_expectations(contract, membership).min_performance_index
        raised = complaints.get(membership.provider_id)
        facts.append(MemberFacts(
            provider_id=membership.provider_id, name=name, tier=membership.tier,
            current=membership.contracted_share,
            proposed=shares.get(membership.provider_id, membership.contracted_share),
            performance_index=row.performance_index if row else None,
            significance_limit=(minimum * row.pi_lower_95
                                if row and row.pi_lower_95 is not None else None),
            minimum=minimum, shrunk_pi=row.shrunk_pi if row else None,
            open_complaint_on=raised.date() if raised else None))
    return facts


def _volumes(session: Session, contract: Contract, on: date) -> Volumes:
    start = on - timedelta(days=365)
    referrals = session.scalar(select(func.count()).select_from(Participant).where(
        Participant.contract_id == contract.id, Participant.referral_date > start,
        Participant.referral_date <= on)) or 0
    tariff = payments.load_tariff(session, contract.id)
    counts = payments.earned_event_counts(session, contract.id, start + timedelta(days=1), on,
                                          tariff, by_month=False)
    attachment_fees, outcome_fees, outcomes = Decimal(0), Decimal(0), 0
    for c in counts:
        if c.period_start is None:
            continue
        fee = tariff.fee(c.payment_group, c.type, c.period_start) * c.events
        if c.type == "attachment":
            attachment_fees += fee
        else:
            outcome_fees += fee
            outcomes += c.events if c.type == "job_outcome" else 0
    table = _latest_rows(session, contract)
    eligible = sum(r.eligible for r in table.values())
    pooled = sum(r.outcomes for r in table.values()) / eligible if eligible else 0.0
    return Volumes(referrals, pooled,
                   attachment_fees / referrals if referrals else Decimal(0),
                   outcome_fees / outcomes if outcomes else Decimal(0))


# -- the service -------------------------------------------------------------------------------
def _preview(session: Session, contract: Contract, payload: schemas.ReallocationIn,
             on: date) -> tuple[schemas.ReallocationPreviewOut, list[MemberFacts]]:
    settings = contract_settings(contract)
    facts = _facts(session, contract, payload.shares, on)
    volumes = _volumes(session, contract, on)
    hold = settings.reallocation_hold_working_days
    return schemas.ReallocationPreviewOut(
        contract_id=contract.id, reason=payload.reason,
        rows=[schemas.ReallocationRowOut(
            provider_id=m.provider_id, provider_name=m.name, tier=m.tier,
            current_share=m.current, proposed_share=m.proposed,
            current=projection(m.current, m.shrunk_pi, volumes),
            proposed=projection(m.proposed, m.shrunk_pi, volumes)) for m in facts],
        guard_rails=guard_rails(facts, on, settings.retaliation_window_days),
        hold_working_days=hold,
        effective_on=effective_on(facts, on, hold, working_calendar(settings.holidays))), facts


def preview(session: Session, principal: Principal, contract_id: int,
            payload: schemas.ReallocationIn, on: date | None = None
            ) -> schemas.ReallocationPreviewOut:
    """What applying would do: shares, projections, guard-rails and when it takes effect."""
    authorize(principal, "reallocations.apply")
    contract = get_managed_contract(session, principal, contract_id)
    return _preview(session, contract, payload, on or today())[0]


def apply(session: Session, principal: Principal, contract_id: int,
          payload: schemas.ReallocationIn, on: date | None = None) -> schemas.ReallocationOut:
    """Record the reallocation in one transaction: 409 while a guard-rail fails without an
    override reason. Shares change now without a cut, else when the hold ends (`release_due`,
    run by the worker) or the reviewer releases it."""
    authorize(principal, "reallocations.apply")
    on = on or today()
    contract = get_managed_contract(session, principal, contract_id, lock=True)
    shown, facts = _preview(session, contract, payload, on)
    failing = [rail for rail in shown.guard_rails if not rail.passed]
    override = (payload.override_reason or "").strip() or None
    if failing and override is None:
        raise Conflict("override_reason: a guard-rail fails; give the reason for going ahead "
                       "(the reviewer sees it)",
                       guard_rails=[rail.model_dump() for rail in failing])
    changed = [m for m in facts if m.proposed != m.current]
    if not changed:
        raise Invalid("shares: no member's share changes")
    held = any(m.cut for m in changed)
    reallocation = Reallocation(
        contract_id=contract.id, state="held" if held else "effective",
        reason=payload.reason.strip(), override_reason=override,
        guard_rails=[rail.model_dump() for rail in shown.guard_rails],
        applied_by_id=principal.user_id, applied_on=on, effective_on=shown.effective_on)
    session.add(reallocation)
    session.flush()
    for m in changed:
        session.add(ReallocationChange(reallocation_id=reallocation.id,
                                       provider_id=m.provider_id, from_share=m.current,
                                       to_share=m.proposed))
    session.flush()
    if not held:
        _take_effect(session, reallocation)
    for m in changed:
        queue_notification(
            session, kind="reallocation", recipient_org_id=m.provider_id,
            subject="Your contracted share changes",
            body=(f"Your contracted share changes from {m.current:.4f} to {m.proposed:.4f}, "
                  f"taking effect on {shown.effective_on}. The prime's reason: "
                  f"{reallocation.reason}"), complaint_id=None, now=utcnow())
    if held:  # every cut, whoever the member, goes to the reviewer
        for reviewer in session.scalars(select(Organisation.id).where(
                Organisation.kind == "reviewer")):
            queue_notification(
                session, kind="reallocation", recipient_org_id=reviewer,
                subject="A cut in contracted shares is held for your review",
                body=(f"Reallocation {reallocation.public_id} on contract {contract.id} cuts "
                      f"shares; it takes effect on {shown.effective_on} unless you block it or "
                      "release it earlier."
                      + (f" Guard-rails overridden: {override}" if override else "")),
                complaint_id=None, now=utcnow())
    record_audit(session, principal, "reallocation.apply", "reallocation",
                 reallocation.public_id, contract_id=contract.id, held=held,
                 override_reason=override, failing=[r.rule for r in failing])
    session.commit()
    return _out(session, reallocation, shown)


def _take_effect(session: Session, reallocation: Reallocation) -> None:
    for change in session.scalars(select(ReallocationChange).where(
            ReallocationChange.reallocation_id == reallocation.id)):
        membership = session.scalars(select(Membership).where(
            Membership.contract_id == reallocation.contract_id,
            Membership.provider_id == change.provider_id)).one()
        membership.contracted_share = change.to_share
    reallocation.state = "effective"


def _held(session: Session, principal: Principal, reallocation_id: str) -> Reallocation:
    authorize(principal, "reallocations.review")
    found = session.scalar(select(Reallocation).where(
        Reallocation.public_id == reallocation_id).with_for_update())
    if found is None:
        raise NotFound(f"reallocation {reallocation_id} not found")
    if found.state != "held":
        raise Conflict(f"the reallocation is {found.state}, not held")
    return found


def release(session: Session, principal: Principal, reallocation_id: str,
            payload: schemas.ReviewerDecisionIn) -> schemas.ReallocationOut:
    """The reviewer lets a held reallocation take effect now."""
    reallocation = _held(session, principal, reallocation_id)
    reallocation.reviewer_note, reallocation.reviewed_by_id = payload.note, principal.user_id
    reallocation.effective_on = today()
    _take_effect(session, reallocation)
    record_audit(session, principal, "reallocation.release", "reallocation",
                 reallocation.public_id, note=payload.note)
    session.commit()
    return get(session, principal, reallocation.public_id)


def block(session: Session, principal: Principal, reallocation_id: str,
          payload: schemas.ReviewerDecisionIn) -> schemas.ReallocationOut:
    """The reviewer stops a held reallocation, with the reason the prime will read."""
    reallocation = _held(session, principal, reallocation_id)
    reallocation.state = "blocked"
    reallocation.reviewer_note, reallocation.reviewed_by_id = payload.note, principal.user_id
    contract = session.get_one(Contract, reallocation.contract_id)
    queue_notification(session, kind="reallocation", recipient_org_id=contract.prime_id,
                       subject="A reallocation was blocked by the reviewer",
                       body=payload.note, complaint_id=None, now=utcnow())
    record_audit(session, principal, "reallocation.block", "reallocation",
                 reallocation.public_id, note=payload.note)
    session.commit()
    return get(session, principal, reallocation.public_id)


def release_due(session: Session, on: date) -> list[str]:
    """Held reallocations whose hold has ended take effect (the worker, daily)."""
    done = []
    for reallocation in session.scalars(select(Reallocation).where(
            Reallocation.state == "held", Reallocation.effective_on <= on)
            .order_by(Reallocation.id).with_for_update()):
        _take_effect(session, reallocation)
        record_audit(session, None, "reallocation.effective", "reallocation",
                     reallocation.public_id)
        done.append(reallocation.public_id)
    session.commit()
    return done


def get(session: Session, principal: Principal, reallocation_id: str) -> schemas.ReallocationOut:
    """The prime of the contract, the admin and reviewers read reallocations."""
    authorize(principal, "reallocations.read")
    reallocation = session.scalar(select(Reallocation).where(
        Reallocation.public_id == reallocation_id))
    if reallocation is None:
        raise NotFound(f"reallocation {reallocation_id} not found")
    if principal.role == "prime_manager":
        get_managed_contract(session, principal, reallocation.contract_id)  # 404 if not its
    elif principal.role not in ("admin", "reviewer"):
        raise Forbidden("reallocations are read by the prime, the admin and reviewers")
    return _out(session, reallocation, None)


def _changes(session: Session, reallocation_ids: list[int]) -> dict[int, list[Any]]:
    """Each reallocation's changes with the member's name and tier, by member name (one query
    for a page of reallocations)."""
    rows = session.execute(
        select(ReallocationChange, Organisation.name, Membership.tier)
        .join(Reallocation, Reallocation.id == ReallocationChange.reallocation_id)
        .join(Organisation, Organisation.id == ReallocationChange.provider_id)
        .join(Membership, (Membership.provider_id == ReallocationChange.provider_id)
              & (Membership.contract_id == Reallocation.contract_id))
        .where(ReallocationChange.reallocation_id.in_(reallocation_ids))
        .order_by(Organisation.name)).all()
    found: dict[int, list[Any]] = {i: [] for i in reallocation_ids}
    for row in rows:
        found[row[0].reallocation_id].append(row)
    return found


def _out(session: Session, reallocation: Reallocation,
         shown: schemas.ReallocationPreviewOut | None,
         changes: list[Any] | None = None) -> schemas.ReallocationOut:
    contract = session.get_one(Contract, reallocation.contract_id)
    if changes is None:
        changes = _changes(session, [reallocation.id])[reallocation.id]
    projected = {row.provider_id: row for row in shown.rows} if shown else {}
    empty = schemas.ProjectionOut(referrals=0, outcomes=0, payments=Decimal("0.00"))
    return schemas.ReallocationOut(
        id=reallocation.public_id, contract_id=contract.id, reason=reallocation.reason,
        state=reallocation.state,  # type: ignore[arg-type]
        override_reason=reallocation.override_reason, applied_on=reallocation.applied_on,
        reviewer_note=reallocation.reviewer_note,
        rows=[projected.get(change.provider_id) or schemas.ReallocationRowOut(
            provider_id=change.provider_id, provider_name=name, tier=tier,
            current_share=change.from_share, proposed_share=change.to_share,
            current=empty, proposed=empty) for change, name, tier in changes],
        guard_rails=[schemas.GuardRailOut.model_validate(r) for r in reallocation.guard_rails],
        hold_working_days=contract_settings(contract).reallocation_hold_working_days,
        effective_on=reallocation.effective_on)


def list_reallocations(session: Session, principal: Principal, page: PageParams,
                       contract_id: int | None = None,
                       state: str | None = None) -> schemas.ReallocationPage:
    """Oldest first: a prime's of its contracts, the admin's and reviewers' all (a reviewer
    finds the held ones with `state=held`)."""
    authorize(principal, "reallocations.read")
    stmt = select(Reallocation)
    if principal.role == "prime_manager":
        stmt = stmt.where(Reallocation.contract_id.in_(
            select(Contract.id).where(Contract.prime_id == principal.organisation_id)))
    if contract_id is not None:
        stmt = stmt.where(Reallocation.contract_id == contract_id)
    if state is not None:
        stmt = stmt.where(Reallocation.state == state)
    found, cursor = paginate(session, stmt, Reallocation.id, page)
    changes = _changes(session, [r.id for r in found])
    return schemas.ReallocationPage(rows=[_out(session, r, None, changes[r.id]) for r in found],
                                    next_cursor=cursor)
