"""SQL feeding the compliance rules: one small query per input, aggregated in the database
(referrals come back one row per provider and day, never one per participant)."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.compliance import rules
from app.core.timeutil import local_date
from app.models import (
    Complaint,
    Contract,
    ImprovementPlan,
    Membership,
    MembershipStatusChange,
    Organisation,
    Participant,
    Payment,
    SpecialistReferral,
)
from app.performance import overdispersion
from app.performance.service import contract_league_table


def daily_referrals(session: Session, contract_id: int, first: date,
                    last: date) -> dict[tuple[int, date], int]:
    rows = session.execute(
        select(Participant.provider_id, Participant.referral_date, func.count())
        .where(Participant.contract_id == contract_id, Participant.referral_date >= first,
               Participant.referral_date <= last)
        .group_by(Participant.provider_id, Participant.referral_date))
    return {(provider, day): int(n) for provider, day, n in rows}


def daily_specialist_referrals(session: Session, contract_id: int, first: date,
                               last: date) -> dict[tuple[int, date], int]:
    """Specialist referrals (DOMAIN.md section 12) by specialist and referral date."""
    r = SpecialistReferral
    rows = session.execute(
        select(r.specialist_id, r.referral_date, func.count())
        .where(r.contract_id == contract_id, r.referral_date >= first, r.referral_date <= last)
        .group_by(r.specialist_id, r.referral_date))
    return {(specialist, day): int(n) for specialist, day, n in rows}


def members(session: Session, contract_id: int) -> list[rules.MemberFacts]:
    joined = (select(MembershipStatusChange.membership_id,
                     func.min(MembershipStatusChange.effective_date).label("joined_on"))
              .group_by(MembershipStatusChange.membership_id).subquery())
    rows = session.execute(
        select(Membership, Organisation.name, joined.c.joined_on)
        .join(Organisation, Organisation.id == Membership.provider_id)
        .outerjoin(joined, joined.c.membership_id == Membership.id)
        .where(Membership.contract_id == contract_id).order_by(Membership.provider_id))
    contract_start = session.scalars(select(Contract.start_date)
                                     .where(Contract.id == contract_id)).one()
    return [rules.MemberFacts(provider_id=m.provider_id, name=name, membership_id=m.id,
                              status=m.status, contracted_share=m.contracted_share,
                              joined_on=joined_on or contract_start, tier=m.tier)
            for m, name, joined_on in rows]


def payments(session: Session, contract_id: int) -> list[rules.PaymentFacts]:
    rows = session.execute(
        select(Payment, Organisation.name).join(Organisation,
                                                Organisation.id == Payment.provider_id)
        .where(Payment.contract_id == contract_id).order_by(Payment.id))
    return [rules.PaymentFacts(payment_id=p.id, public_id=p.public_id,
                               provider_id=p.provider_id, provider_name=name,
                               invoice_date=p.invoice_date, amount=p.amount,
                               paid_date=p.paid_date, terms_days=p.terms_days)
            for p, name in rows]


def complaints(session: Session, contract_id: int) -> list[rules.ComplaintFacts]:
    found = []
    for c in session.scalars(select(Complaint).where(Complaint.contract_id == contract_id)
                             .order_by(Complaint.id)):
        ended = c.closed_at if c.closed_at is not None else (
            c.updated_at if c.status == "withdrawn" else None)
        found.append(rules.ComplaintFacts(
            complaint_id=c.id, public_id=c.public_id, complainant_org_id=c.complainant_org_id,
            confidential=c.confidential, status=c.status,
            submitted_on=local_date(c.submitted_at),
            acknowledged_on=local_date(c.acknowledged_at) if c.acknowledged_at else None,
            resolved_on=local_date(c.resolved_at) if c.resolved_at else None,
            ended_on=local_date(ended) if ended is not None else None))
    return found


def status_changes(session: Session, contract_id: int) -> list[rules.StatusChangeFacts]:
    rows = session.execute(
        select(MembershipStatusChange, Membership.provider_id, Organisation.name)
        .join(Membership, Membership.id == MembershipStatusChange.membership_id)
        .join(Organisation, Organisation.id == Membership.provider_id)
        .where(Membership.contract_id == contract_id)
        .order_by(MembershipStatusChange.effective_date, MembershipStatusChange.id))
    return [rules.StatusChangeFacts(change_id=c.id, membership_id=c.membership_id,
                                    provider_id=provider, provider_name=name, status=c.status,
                                    effective_date=c.effective_date)
            for c, provider, name in rows]


def improvement_plans(session: Session, contract_id: int) -> list[rules.PlanFacts]:
    """The contract's improvement plans, oldest first (CON-2 reads the latest before each
    exit)."""
    return [rules.PlanFacts(plan.public_id, plan.provider_id, plan.state,
                            plan.opened_at.date(), plan.agreed_on, plan.decided_on,
                            plan.remedy_days)
            for plan in session.scalars(select(ImprovementPlan).where(
                ImprovementPlan.contract_id == contract_id).order_by(ImprovementPlan.id))]


def retaliation_referrals(session: Session, contract_id: int,
                          complaints: list[rules.ComplaintFacts], window_days: int,
                          as_of: date) -> dict[tuple[int, date], int]:
    """Daily referrals around the complaints: one query over the span they need."""
    if not complaints:
        return {}
    first = min(c.submitted_on for c in complaints) - timedelta(days=window_days)
    last = min(max(c.submitted_on for c in complaints) + timedelta(days=window_days), as_of)
    return daily_referrals(session, contract_id, first, last)


def league_results(session: Session, contract: Contract, as_of: date,
                   flag_rag_basis: str = "overdispersed"
                   ) -> tuple[list[rules.ProviderResult], rules.LeaguePeriod]:
    """The contract's league table with its defaults (referrals from the contract's start
    to as_of, the default horizon and min_n): the figures the league page shows. The RAG the
    flags judge by is the overdispersed one when the contract's `flag_rag_basis` says so and
    phi was estimated, else section 5's (DOMAIN.md section 10)."""
    # Flags are computed for everyone and scoped when they are read (app.auth.scope).
    table = contract_league_table(session, contract, as_of=as_of)
    statuses = dict(session.execute(select(Membership.provider_id, Membership.status)
                                    .where(Membership.contract_id == contract.id)).all())
    results = [rules.ProviderResult(row, statuses.get(row.provider_id))
               for row in table.rows if row.provider_id is not None]
    period = rules.LeaguePeriod(period_from=table.period_from, period_to=table.period_to,
                                as_of=table.as_of, horizon_months=table.horizon_months,
                                min_n=table.min_n, pooled_rate=table.pooled_rate,
                                rag_basis=overdispersion.rag_basis(
                                    flag_rag_basis, table.overdispersion.phi),
                                phi=table.overdispersion.phi, tau2=table.overdispersion.tau2)
    return results, period
