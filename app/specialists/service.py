"""Specialist referrals in the principal's scope, their usage and fees, and distance
travelled (DOMAIN.md section 12). SQL here, aggregated in the database where it can be; the
maths in app.specialists.usage and app.specialists.progress."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.core.timeutil import today
from app.models import (
    Event,
    Membership,
    Organisation,
    Participant,
    Payment,
    SpecialistReferral,
)
from app.performance import fit_cache
from app.performance.service import check_provider
from app.specialists import progress as progress_maths
from app.specialists import schemas, usage
from app.supply_chain.service import contract_settings, get_contract


# -- the referrals -------------------------------------------------------------------------------
def referrals(session: Session, principal: Principal, contract_id: int, page: PageParams, *,
              specialist_id: int | None = None, provider_id: int | None = None,
              open_only: bool = False) -> schemas.SpecialistReferralPage:
    """The contract's specialist referrals the principal may see: the prime all, a provider
    those of its participants, a specialist those made to it."""
    authorize(principal, "specialist_referrals.read")
    get_contract(session, principal, contract_id)
    stmt = Scope(principal).specialist_referrals(select(SpecialistReferral)).where(
        SpecialistReferral.contract_id == contract_id)
    if specialist_id is not None:
        stmt = stmt.where(SpecialistReferral.specialist_id == specialist_id)
    if provider_id is not None:
        stmt = stmt.where(SpecialistReferral.provider_id == provider_id)
    if open_only:
        stmt = stmt.where(SpecialistReferral.closed_on.is_(None))
    found, cursor = paginate(session, stmt, SpecialistReferral.id, page)
    refs = dict(session.execute(select(Participant.id, Participant.participant_ref).where(
        Participant.id.in_({r.participant_id for r in found}))).all())
    return schemas.SpecialistReferralPage(rows=[schemas.SpecialistReferralRow(
        participant_ref=refs[r.participant_id], provider_id=r.provider_id,
        specialist_id=r.specialist_id, intervention=r.intervention, fee=r.fee,
        referral_date=r.referral_date, started_on=r.started_on, closed_on=r.closed_on,
        closing_result=r.closing_result) for r in found], next_cursor=cursor)


# -- usage and fees -----------------------------------------------------------------------------
def usage_counts(session: Session, contract_id: int, first: date, last: date,
                 scope: Scope | None = None) -> list[usage.UsageCounts]:
    """One row per (provider, specialist) with referrals in [first, last]; within `scope`
    (None: every referral, for other domains' reads by contract id)."""
    r = SpecialistReferral
    completed = r.closing_result == "completed"
    fee = func.coalesce(r.fee, 0)

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0), type_=Integer)

    stmt = (select(r.provider_id, r.specialist_id, func.count(),
                   count_if(r.started_on.is_not(None) | completed), count_if(completed),
                   count_if(r.closing_result == "declined"),
                   count_if(r.closing_result == "did_not_attend"),
                   count_if(r.closed_on.is_(None)), func.sum(fee),
                   func.sum(case((completed, fee), else_=0)))
            .where(r.contract_id == contract_id, r.referral_date >= first,
                   r.referral_date <= last)
            .group_by(r.provider_id, r.specialist_id))
    if scope is not None:
        stmt = scope.specialist_referrals(stmt, aggregate=True)
    return [usage.UsageCounts(
        provider_id=p, specialist_id=s, referrals=int(n), started=int(started),
        completed=int(done), declined=int(declined), did_not_attend=int(dna), open=int(still),
        fees_agreed=_money(agreed), fees_owed=_money(owed))
        for p, s, n, started, done, declined, dna, still, agreed, owed in session.execute(stmt)]


def month_counts(session: Session, contract_id: int, first: date, last: date,
                 scope: Scope) -> list[schemas.MonthRow]:
    """The referrals of `usage_counts` by month of referral: counted by day in SQL (the
    same on both dialects), gathered into months here."""
    r = SpecialistReferral
    stmt = scope.specialist_referrals(
        select(r.provider_id, r.specialist_id, r.referral_date, func.count())
        .where(r.contract_id == contract_id, r.referral_date >= first, r.referral_date <= last)
        .group_by(r.provider_id, r.specialist_id, r.referral_date), aggregate=True)
    months: dict[tuple[str, int, int], int] = {}
    for provider_id, specialist_id, day, n in session.execute(stmt):
        key = (f"{day:%Y-%m}", provider_id, specialist_id)
        months[key] = months.get(key, 0) + int(n)
    return [schemas.MonthRow(month=month, provider_id=provider_id, specialist_id=specialist_id,
                             referrals=n)
            for (month, provider_id, specialist_id), n in sorted(months.items())]


def _money(value: Any) -> Decimal:
    # SQLite sums NUMERIC as a float: back to pence.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _figures(totals: usage.UsageTotals) -> dict[str, Any]:
    return {"referrals": totals.referrals, "started": totals.started,
            "completed": totals.completed, "declined": totals.declined,
            "did_not_attend": totals.did_not_attend, "open": totals.open,
            "completion_rate": totals.completion_rate, "fees_agreed": totals.fees_agreed,
            "fees_owed": totals.fees_owed}


def specialist_usage(session: Session, principal: Principal, contract_id: int, *,
                     period_from: date | None = None,
                     period_to: date | None = None) -> schemas.SpecialistUsageOut:
    """Usage per specialist and provider (DOMAIN.md section 12) as the principal may see it:
    the prime (and the admin, and reviewers) every referral and every tier-2 member, used or
    not; a tier-1 provider its own spot purchases; a specialist its referrals in, by
    provider."""
    contract = get_contract(session, principal, contract_id)
    first = period_from or contract.start_date
    last = period_to or today()
    if last < first:
        raise Invalid(f"to: {last} is before from ({first})")
    scope = Scope(principal)
    rows = usage_counts(session, contract.id, first, last, scope)
    named: list[int] = []
    statuses: dict[int, str] = {}
    if principal.role in ("admin", "prime_manager", "reviewer"):
        for provider_id, tier, status in session.execute(
                select(Membership.provider_id, Membership.tier, Membership.status)
                .where(Membership.contract_id == contract.id)):
            statuses[provider_id] = status
            if tier == 2:
                named.append(provider_id)
    else:
        statuses = dict(session.execute(scope.memberships(
            select(Membership.provider_id, Membership.status)
            .where(Membership.contract_id == contract.id))).all())
    by_specialist = usage.totals_by(rows, "specialist_id", keep=named)
    by_provider = usage.totals_by(rows, "provider_id")
    ids = {*by_specialist, *by_provider}
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.id.in_(ids)))}
    paid = _fees_paid(session, scope, contract.id, list(by_specialist), first, last)
    return schemas.SpecialistUsageOut.model_validate({
        "contract_id": contract.id, "from": first, "to": last,
        "months": month_counts(session, contract.id, first, last, scope),
        "rows": [{"provider_id": row.provider_id, "provider_name": orgs[row.provider_id].name,
                  "specialist_id": row.specialist_id,
                  "specialist_name": orgs[row.specialist_id].name,
                  **_figures(usage.totals_by([row], "specialist_id")[row.specialist_id])}
                 for row in sorted(rows, key=lambda r: (orgs[r.provider_id].name,
                                                        orgs[r.specialist_id].name))],
        "specialists": [{"specialist_id": sid, "specialist_name": orgs[sid].name,
                         "sector": orgs[sid].sector, "membership_status": statuses.get(sid),
                         "providers": len(totals.providers), "fees_paid": paid.get(sid),
                         **_figures(totals)}
                        for sid, totals in sorted(by_specialist.items(),
                                                  key=lambda item: orgs[item[0]].name)],
        "providers": [{"provider_id": pid, "provider_name": orgs[pid].name,
                       "specialists": len({r.specialist_id for r in rows
                                           if r.provider_id == pid and r.referrals}),
                       **_figures(totals)}
                      for pid, totals in sorted(by_provider.items(),
                                                key=lambda item: orgs[item[0]].name)],
    })


def _fees_paid(session: Session, scope: Scope, contract_id: int, specialist_ids: list[int],
               first: date, last: date) -> dict[int, Decimal | None]:
    """Paid to each specialist in [first, last] by the contract's payments ledger, for the
    specialists whose payments the principal may see (None for the others)."""
    sums = dict(session.execute(scope.payments(
        select(Payment.provider_id, func.sum(Payment.amount))
        .where(Payment.contract_id == contract_id, Payment.provider_id.in_(specialist_ids),
               Payment.paid_date.is_not(None), Payment.paid_date >= first,
               Payment.paid_date <= last)
        .group_by(Payment.provider_id))).all())
    return {sid: (_money(sums.get(sid)) if scope.payments_visible_for(sid) else None)
            for sid in specialist_ids}


# -- distance travelled -------------------------------------------------------------------------
def assessments(session: Session, contract_id: int, scope: Scope | None = None,
                provider_id: int | None = None) -> list[progress_maths.Assessment]:
    """The contract's assessments (one row each: the maths needs each participant's first and
    last score per area, which is not one portable GROUP BY over a JSON column)."""
    stmt = select(Event.id, Event.participant_id, Event.provider_id, Event.event_date,
                  Event.scores).where(Event.contract_id == contract_id,
                                      Event.type == "assessment")
    if scope is not None:
        stmt = stmt.where(scope.aggregate_condition(Event.contract_id, Event.provider_id))
    if provider_id is not None:
        stmt = stmt.where(Event.provider_id == provider_id)
    return [progress_maths.Assessment(participant_id=participant_id, provider_id=provider,
                                      assessed_on=day, scores=scores or {}, order=event_id)
            for event_id, participant_id, provider, day, scores in session.execute(stmt)]


def _changes(session: Session, principal: Principal, contract_id: int,
             areas: tuple[str, ...], provider_id: int | None
             ) -> list[progress_maths.ParticipantChange]:
    """Each participant's change per area, over the assessments the principal may see."""
    return progress_maths.participant_changes(
        assessments(session, contract_id, Scope(principal), provider_id), areas)


def _provider_means(session: Session, principal: Principal, contract_id: int,
                    areas: tuple[str, ...]) -> tuple[progress_maths.ProviderProgress, ...]:
    """Each provider's mean change per area with its interval, over every participant the
    principal may see, cached per data version (app.performance.fit_cache; an assessment is
    an event, so a batch renews it): the provider pages, the league table's optional columns
    and the review packs ask for the same, and reading a contract's assessments is most of
    their time. One entry per scope, whichever provider is asked for, and only these few rows,
    never the participants' changes (a 2,000,000-participant contract has millions). The key
    holds what the scope depends on (the principal's role and organisation), so no reader is
    given another's rows."""
    return fit_cache.cached(
        session, contract_id,
        ("distance travelled", principal.role, principal.organisation_id, areas),
        lambda: tuple(progress_maths.provider_progress(
            _changes(session, principal, contract_id, areas, None), areas)))


def progress(session: Session, principal: Principal, contract_id: int, *,
             provider_id: int | None = None,
             with_participants: bool = False) -> schemas.ProgressOut:
    """Distance travelled per provider and area (DOMAIN.md section 12) over the participants
    the principal may see in aggregate: the prime's every provider, a provider its own. With
    `with_participants`, each participant's change too, for those who may see participants
    (not reviewers)."""
    contract = get_contract(session, principal, contract_id)
    if provider_id is not None:
        check_provider(session, principal, contract, provider_id)
    areas = contract_settings(contract).assessment_areas
    rows = [row for row in _provider_means(session, principal, contract.id, tuple(areas))
            if provider_id is None or row.provider_id == provider_id]
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({row.provider_id for row in rows}))).all())
    participants = None
    if with_participants and principal.role != "reviewer":
        changes = _changes(session, principal, contract.id, tuple(areas), provider_id)
        refs = dict(session.execute(select(Participant.id, Participant.participant_ref).where(
            Participant.id.in_({c.participant_id for c in changes}))).all())
        participants = [schemas.ParticipantProgressRow(
            participant_ref=refs[c.participant_id], provider_id=c.provider_id, area=c.area,
            first_on=c.first_on, first_score=c.first_score, last_on=c.last_on,
            last_score=c.last_score, change=c.change) for c in changes]
    return schemas.ProgressOut(
        participants=participants,
        contract_id=contract.id, provider_id=provider_id,
        min_gap_days=progress_maths.MIN_GAP_DAYS, areas=list(areas),
        rows=[schemas.ProgressRow(provider_id=row.provider_id,
                                  provider_name=names[row.provider_id], area=row.area,
                                  participants=row.participants, mean_first=row.mean_first,
                                  mean_last=row.mean_last, mean_change=row.mean_change,
                                  ci_low=row.ci_low, ci_high=row.ci_high) for row in rows])


