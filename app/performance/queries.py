"""SQL feeding the performance engine: aggregation happens in the database, one row per
provider, group or cohort comes back."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session

from app.models import Event, Milestone, Participant
from app.performance.milestones import GRACE_DAYS


def status_case(as_of: date) -> ColumnElement[Any]:
    """A milestone's status on `as_of` in SQL: app.performance.milestones.check_status."""
    return case(
        (Milestone.cancelled_on <= as_of, "cancelled"),
        (Milestone.checked_on <= as_of, Milestone.check_timing),
        (Milestone.due_date < as_of - timedelta(days=GRACE_DAYS), "overdue"),
        else_="pending",
    )


def _months(column: Any) -> ColumnElement[int]:
    return extract("year", column) * 12 + extract("month", column)


def outcome_within_horizon(horizon_months: int, as_of: date) -> ColumnElement[bool]:
    """outcome_date <= add_months(referral_date, H) and <= as_of, in portable SQL.

    add_months keeps the day of month, clipped to the month's end, so an outcome in the
    horizon's last month counts when its day is <= the referral's day (a clipped target day is
    that month's last day, which every day of the month is <= to anyway)."""
    gap = _months(Participant.outcome_date) - _months(Participant.referral_date)
    return and_(
        Participant.outcome_date.is_not(None), Participant.outcome_date <= as_of,
        or_(gap < horizon_months,
            and_(gap == horizon_months, extract("day", Participant.outcome_date)
                 <= extract("day", Participant.referral_date))))


@dataclass(frozen=True)
class ProviderGroupCounts:
    provider_id: int
    payment_group: str
    referrals: int
    eligible: int
    outcomes: int
    job_starts: int


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def provider_group_counts(session: Session, contract_id: int, period_from: date,
                          period_to: date, as_of: date, cutoff: date,
                          horizon_months: int) -> list[ProviderGroupCounts]:
    """Per provider and payment group, over participants referred in the period: referrals,
    eligible (referred on or before `cutoff`), outcomes within the horizon, job starters."""
    eligible = Participant.referral_date <= cutoff
    stmt = (
        select(Participant.provider_id, Participant.payment_group, func.count(),
               _count(eligible),
               _count(and_(eligible, outcome_within_horizon(horizon_months, as_of))),
               _count(Participant.first_job_start_date <= as_of))
        .where(Participant.contract_id == contract_id,
               Participant.referral_date >= period_from,
               Participant.referral_date <= min(period_to, as_of))
        .group_by(Participant.provider_id, Participant.payment_group))
    return [ProviderGroupCounts(*map(_int_or_str, row)) for row in session.execute(stmt)]


def _int_or_str(value: Any) -> Any:
    return value if isinstance(value, str) else int(value)


def check_compliance_by_provider(session: Session, contract_id: int, period_from: date,
                                 period_to: date, as_of: date) -> dict[int, float | None]:
    """On-time checks / checks due in the period whose grace ended by as_of, less cancelled."""
    counted = and_(Milestone.due_date >= period_from, Milestone.due_date <= period_to,
                   Milestone.due_date <= as_of - timedelta(days=GRACE_DAYS),
                   or_(Milestone.cancelled_on.is_(None), Milestone.cancelled_on > as_of))
    on_time = and_(Milestone.checked_on <= as_of, Milestone.check_timing == "on_time")
    rows = session.execute(
        select(Milestone.provider_id, func.count(), _count(on_time))
        .where(Milestone.contract_id == contract_id, counted).group_by(Milestone.provider_id))
    return {provider: (int(hits) / int(total) if total else None)
            for provider, total, hits in rows}


def data_timeliness_by_provider(session: Session, contract_id: int, period_from: date,
                                period_to: date, as_of: date,
                                limit_days: int) -> dict[int, float | None]:
    """Share of the events dated in the period that were reported within `limit_days`."""
    rows = session.execute(
        select(Event.provider_id, func.count(), _count(Event.lag_days <= limit_days))
        .where(Event.contract_id == contract_id, Event.event_date >= period_from,
               Event.event_date <= min(period_to, as_of))
        .group_by(Event.provider_id))
    return {provider: int(timely) / int(total) for provider, total, timely in rows}


def check_compliance_by_month(session: Session, contract_id: int, provider_id: int,
                              period_from: date, as_of: date) -> list[tuple[int, int, int]]:
    """check_compliance_by_provider's counts for one provider, per month of the due date:
    (year * 12 + month, checks counted, on time), oldest first."""
    counted = and_(Milestone.due_date >= period_from,
                   Milestone.due_date <= as_of - timedelta(days=GRACE_DAYS),
                   or_(Milestone.cancelled_on.is_(None), Milestone.cancelled_on > as_of))
    on_time = and_(Milestone.checked_on <= as_of, Milestone.check_timing == "on_time")
    month = _months(Milestone.due_date)
    rows = session.execute(
        select(month, func.count(), _count(on_time))
        .where(Milestone.contract_id == contract_id, Milestone.provider_id == provider_id,
               counted).group_by(month).order_by(month))
    return [(int(m), int(total), int(hits)) for m, total, hits in rows]
