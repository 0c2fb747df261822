"""SQL feeding the performance engine: aggregation happens in the database, one row per
provider, group or cohort comes back."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session

from app.core.bulk import is_postgresql
from app.models import Milestone, Participant
from app.performance.milestones import GRACE_DAYS


def status_case(as_of: date) -> ColumnElement[Any]:
    """A milestone's status on `as_of` in SQL: app.performance.milestones.check_status."""
    return case(
        (Milestone.cancelled_on <= as_of, "cancelled"),
        (Milestone.checked_on <= as_of, Milestone.check_timing),
        (Milestone.due_date < as_of - timedelta(days=GRACE_DAYS), "overdue"),
        else_="pending",
    )


def status_condition(status: str, as_of: date) -> ColumnElement[bool]:
    """`status_case(as_of) == status` written so that the database can range-scan due dates
    (overdue: due before as_of - grace) and read the covering index alone."""
    live = or_(Milestone.cancelled_on.is_(None), Milestone.cancelled_on > as_of)
    unchecked = or_(Milestone.checked_on.is_(None), Milestone.checked_on > as_of)
    grace_ended = as_of - timedelta(days=GRACE_DAYS)
    if status == "cancelled":
        return Milestone.cancelled_on <= as_of
    if status == "overdue":
        return and_(live, unchecked, Milestone.due_date < grace_ended)
    if status == "pending":
        return and_(live, unchecked, Milestone.due_date >= grace_ended)
    return and_(live, Milestone.checked_on <= as_of, Milestone.check_timing == status)


def outcome_within_horizon(horizon_months: int, as_of: date) -> ColumnElement[bool]:
    """outcome_date <= add_months(referral_date, H) and <= as_of: the participant's stored
    months to outcome (app.performance.cohorts.months_to_outcome) is at most H."""
    return and_(Participant.outcome_date <= as_of,
                Participant.months_to_outcome <= horizon_months)


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
    in_period = and_(Participant.referral_date >= period_from,
                     Participant.referral_date <= min(period_to, as_of))
    eligible = Participant.referral_date <= cutoff
    measures = (eligible, and_(eligible, outcome_within_horizon(horizon_months, as_of)),
                Participant.first_job_start_date <= as_of)
    where = [Participant.contract_id == contract_id]
    if is_postgresql(session):
        # With the period in WHERE, PostgreSQL scans the table (referral_date is the covering
        # index's fourth column, no range to seek); with the period in each count's FILTER it
        # reads the covering index alone, about twice as fast on a large contract. SQLite
        # reads that index either way, and filtered counts cost it more per row.
        counts: list[Any] = [func.count().filter(in_period),
                             *(func.count().filter(and_(in_period, m)) for m in measures)]
    else:
        counts = [func.count(), *map(_count, measures)]
        where.append(in_period)
    stmt = (select(Participant.provider_id, Participant.payment_group, *counts)
            .where(*where).group_by(Participant.provider_id, Participant.payment_group))
    return [ProviderGroupCounts(*map(_int_or_str, row)) for row in session.execute(stmt)]


def _int_or_str(value: Any) -> Any:
    return value if isinstance(value, str) else int(value)


def _checks_counted(period_from: date, period_to: date, as_of: date) -> ColumnElement[bool]:
    """Checks due in the period whose grace ended by as_of, less those cancelled by then."""
    return and_(Milestone.due_date >= period_from, Milestone.due_date <= period_to,
                Milestone.due_date <= as_of - timedelta(days=GRACE_DAYS),
                or_(Milestone.cancelled_on.is_(None), Milestone.cancelled_on > as_of))


def _checked_on_time(as_of: date) -> ColumnElement[bool]:
    return and_(Milestone.checked_on <= as_of, Milestone.check_timing == "on_time")


def check_compliance_by_month(session: Session, contract_id: int, provider_id: int,
                              period_from: date, as_of: date) -> list[tuple[int, int, int]]:
    """Check compliance's counts for one provider, per month of the due date:
    (app.performance.cohorts.month_index, checks counted, on time), oldest first."""
    month = extract("year", Milestone.due_date) * 12 + extract("month", Milestone.due_date) - 1
    rows = session.execute(
        select(month, func.count(), _count(_checked_on_time(as_of)))
        .where(Milestone.contract_id == contract_id, Milestone.provider_id == provider_id,
               _checks_counted(period_from, as_of, as_of))
        .group_by(month).order_by(month))
    return [(int(m), int(total), int(hits)) for m, total, hits in rows]
