"""SQL feeding the performance engine: aggregation happens in the database, one row per
provider, group or cohort comes back."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session

from app.core.bulk import is_postgresql
from app.models import Milestone, Participant
from app.models.participants import BANDED, decode_characteristics_key
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
    # The levels of the covariates asked for, in their order (None: unknown).
    characteristics: tuple[str | None, ...] = ()


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def provider_group_counts(session: Session, contract_id: int, period_from: date,
                          period_to: date, as_of: date, cutoff: date,
                          horizon_months: int, covariates: Sequence[str] = ()
                          ) -> list[ProviderGroupCounts]:
    """Per provider and payment group, over participants referred in the period: referrals,
    eligible (referred on or before `cutoff`), outcomes within the horizon, job starters.
    With `covariates` (characteristic columns), per provider, group and their levels too:
    the risk model's cells in the same pass (DOMAIN.md section 10)."""
    in_period = and_(Participant.referral_date >= period_from,
                     Participant.referral_date <= min(period_to, as_of))
    eligible = Participant.referral_date <= cutoff
    measures = (eligible, and_(eligible, outcome_within_horizon(horizon_months, as_of)),
                Participant.first_job_start_date <= as_of)
    where = [Participant.contract_id == contract_id]
    if is_postgresql(session):
        # With the period in WHERE, PostgreSQL scans the table (referral_date follows the
        # grouping columns in the covering index, no range to seek); with the period in each
        # count's FILTER it reads the covering index alone, about twice as fast on a large
        # contract. SQLite reads that index either way, and filtered counts cost it more per
        # row.
        counts: list[Any] = [func.count().filter(in_period),
                             *(func.count().filter(and_(in_period, m)) for m in measures)]
    else:
        counts = [func.count(), *map(_count, measures)]
        where.append(in_period)
    # The banded characteristics come as one number (characteristics_key), whichever of them
    # the contract's model uses: decoded and summed into the asked-for cells below.
    banded = [name for name in covariates if name in BANDED]
    keys = [Participant.provider_id, Participant.payment_group,
            *([Participant.characteristics_key] if banded else []),
            *([Participant.area] if "area" in covariates else [])]
    # In the covering index's column order, so that the database reads it in order.
    stmt = select(*keys, *counts).where(*where).group_by(*keys)
    with_area = "area" in covariates
    decoded: dict[tuple[int, str | None], tuple[str | None, ...]] = {}

    def levels(key: int, area: str | None) -> tuple[str | None, ...]:
        """The row's levels in the order of `covariates` (a few hundred distinct keys)."""
        if (key, area) not in decoded:
            named: dict[str, str | None] = dict(zip(BANDED, decode_characteristics_key(key),
                                                    strict=True))
            named["area"] = area
            decoded[key, area] = tuple(named[name] for name in covariates)
        return decoded[key, area]

    rows: Sequence[Any] = session.execute(stmt).all()
    found = [ProviderGroupCounts(int(row[0]), row[1], int(row[-4]), int(row[-3]),
                                 int(row[-2]), int(row[-1]),
                                 levels(row[2] if banded else 0,
                                        row[len(keys) - 1] if with_area else None))
             for row in rows]
    if len(banded) == len(BANDED):
        return found  # every band asked for: each row is a cell already
    # A subset of the bands: rows that differ only in the others make one cell.
    cells: dict[tuple[int, str, tuple[str | None, ...]], list[int]] = {}
    for c in found:
        totals = cells.setdefault((c.provider_id, c.payment_group, c.characteristics),
                                  [0, 0, 0, 0])
        for i, value in enumerate((c.referrals, c.eligible, c.outcomes, c.job_starts)):
            totals[i] += value
    return [ProviderGroupCounts(provider_id, group, referrals, eligible_n, outcomes,
                                job_starts, characteristics)
            for (provider_id, group, characteristics), (referrals, eligible_n, outcomes,
                                                        job_starts) in cells.items()]


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


CellKey = tuple[Any, ...]  # (provider_id, payment_group, level of each covariate or None)


def cell_refs(session: Session, contract_id: int, period_from: date, period_to: date,
              as_of: date, cutoff: date, horizon_months: int, covariates: Sequence[str],
              cells: Sequence[CellKey]) -> dict[CellKey, tuple[list[str], list[str]]]:
    """The participant refs of the eligible participants of these cells (the same conditions
    as provider_group_counts), (with a counted outcome, without) per cell: one query over the
    cells' providers and payment groups, the rows of other cells dropped here. Calibration
    needs them only for the cells of a run of equal p that straddles a group boundary."""
    wanted = set(cells)
    found: dict[CellKey, tuple[list[str], list[str]]] = {key: ([], []) for key in wanted}
    if not wanted:
        return found
    outcome = and_(Participant.referral_date <= cutoff,
                   outcome_within_horizon(horizon_months, as_of))
    stmt = (select(Participant.participant_ref, case((outcome, 1), else_=0),
                   Participant.provider_id, Participant.payment_group,
                   *(getattr(Participant, name) for name in covariates))
            .where(Participant.contract_id == contract_id,
                   Participant.referral_date >= period_from,
                   Participant.referral_date <= min(period_to, as_of, cutoff),
                   Participant.provider_id.in_({key[0] for key in wanted}),
                   Participant.payment_group.in_({key[1] for key in wanted})))
    for ref, counted, *key in session.execute(stmt):
        refs = found.get(tuple(key))
        if refs is not None:
            refs[0 if counted else 1].append(ref)
    return found
