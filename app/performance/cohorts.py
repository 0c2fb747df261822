"""Monthly referral cohorts and their cumulative job-outcome curves (docs/metrics.md, Cohorts).

A cohort is every participant referred in one calendar month. At m months since referral a
participant is *eligible* when ``add_months(referral_date, m) <= as_of`` and counts as an
*outcome* when also ``outcome_date <= add_months(referral_date, m)``: the league table's rules
(DOMAIN.md section 5) at every horizon m = 1..H at once, which is the curve DWP published.

SQL counts participants per (referral month, referred on or before as_of's day of month,
months to outcome); the pure functions below turn those counts into curves. Two facts make
that enough:

- **months to outcome**: the least m with ``outcome_date <= add_months(referral_date, m)`` is
  the calendar-month gap, plus one when the outcome's day of month is later than the
  referral's (``add_months`` clips to the month's end, and every day of a month is <= its last
  day, so a clipped target never needs the extra month). 31 Jan -> 28 Feb is 1 month;
  30 Jan -> 31 May is 5.
- **eligibility** at m for a referral in month M depends only on k = (as_of's month - M):
  m < k, everybody; m > k, nobody; m = k, those referred on a day of month <= as_of's, or
  everybody when as_of is its month's last day (every later day clips onto it).
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, select
from sqlalchemy.orm import Session

from app.models import Participant

MAX_HORIZON_MONTHS = 24


# -- pure maths ----------------------------------------------------------------------------------
def month_index(day: date) -> int:
    """Months since year 0: consecutive calendar months differ by 1."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def months_to_outcome(referral_date: date, outcome_date: date) -> int:
    """The least m >= 0 with ``outcome_date <= add_months(referral_date, m)``."""
    if outcome_date < referral_date:
        raise ValueError("outcome before referral")
    gap = month_index(outcome_date) - month_index(referral_date)
    return gap + (1 if outcome_date.day > referral_date.day else 0)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


@dataclass(frozen=True)
class CohortCount:
    """Participants of one referral month with the same eligibility and outcome timing."""

    referral_month: int  # month_index of the referral date
    referred_by_as_of_day: bool  # referral day of month <= as_of's day of month
    months_to_outcome: int | None  # None: no job outcome on or before as_of
    participants: int


def cohort_count_key(referral_date: date, outcome_date: date | None,
                     as_of: date) -> tuple[int, bool, int | None]:
    """What the SQL groups one participant by (a participant referred on or before as_of)."""
    counted = outcome_date if outcome_date is not None and outcome_date <= as_of else None
    return (month_index(referral_date), referral_date.day <= as_of.day,
            None if counted is None else months_to_outcome(referral_date, counted))


@dataclass(frozen=True)
class CurvePoint:
    month_since_referral: int
    eligible: int
    outcomes: int
    rate: float | None  # outcomes / eligible; None when nobody is eligible yet


@dataclass(frozen=True)
class Cohort:
    month: str  # "YYYY-MM" of the referrals
    referrals: int  # referred in the month, on or before as_of
    points: tuple[CurvePoint, ...]  # m = 1..horizon


def _point(m: int, eligible: int, outcomes: int) -> CurvePoint:
    return CurvePoint(m, eligible, outcomes, outcomes / eligible if eligible else None)


def _eligible(rows: list[CohortCount], m: int, k: int, whole_last_month: bool
              ) -> list[CohortCount]:
    """The rows of one referral month eligible at m, k = as_of's month - the referral month
    (the module's docstring)."""
    if m > k:
        return []
    if m < k or whole_last_month:
        return rows
    return [r for r in rows if r.referred_by_as_of_day]


def _by_month(counts: Iterable[CohortCount], as_of: date, horizon: int
              ) -> dict[int, list[CohortCount]]:
    if not 1 <= horizon <= MAX_HORIZON_MONTHS:
        raise ValueError(f"horizon must be 1..{MAX_HORIZON_MONTHS}")
    by_month: dict[int, list[CohortCount]] = {}
    for count in counts:
        if count.participants < 0 or count.referral_month > month_index(as_of):
            raise ValueError("counts of participants referred after as_of, or negative")
        by_month.setdefault(count.referral_month, []).append(count)
    return by_month


def cohort_curves(counts: Iterable[CohortCount], as_of: date, horizon: int) -> list[Cohort]:
    """One cohort per referral month with referrals, oldest first, each with the cumulative
    eligible / outcome counts and rate at m = 1..horizon months since referral."""
    as_of_month = month_index(as_of)
    whole_last_month = is_month_end(as_of)
    by_month = _by_month(counts, as_of, horizon)
    cohorts = []
    for month in sorted(by_month):
        rows = by_month[month]
        k = as_of_month - month  # the month since referral that ends in as_of's month
        points = []
        for m in range(1, horizon + 1):
            eligible_rows = _eligible(rows, m, k, whole_last_month)
            eligible = sum(r.participants for r in eligible_rows)
            outcomes = sum(r.participants for r in eligible_rows
                           if r.months_to_outcome is not None and r.months_to_outcome <= m)
            points.append(_point(m, eligible, outcomes))
        cohorts.append(Cohort(month_label(month), sum(r.participants for r in rows),
                              tuple(points)))
    return cohorts


def overall_curve(cohorts: Sequence[Cohort], horizon: int) -> list[CurvePoint]:
    """The cohorts pooled: at each m, all eligible participants and their outcomes."""
    points = []
    for m in range(1, horizon + 1):
        eligible = sum(c.points[m - 1].eligible for c in cohorts)
        outcomes = sum(c.points[m - 1].outcomes for c in cohorts)
        points.append(_point(m, eligible, outcomes))
    return points


@dataclass(frozen=True)
class LifeTablePoint:
    month_since_referral: int
    at_risk: int  # eligible at m, without an outcome in the months before m
    new_outcomes: int  # of those, with their outcome in month m (by m = 1: on or before it)
    rate: float | None  # 1 - prod over j <= m of (1 - new_outcomes_j / at_risk_j)


def life_table(counts: Iterable[CohortCount], as_of: date, horizon: int
               ) -> list[LifeTablePoint]:
    """The cohorts pooled as a life table (docs/metrics.md, Cohorts): at each m, the chance of
    an outcome in month m for those still without one, chained from month 1. A cumulative
    rate that never falls: pooling outcomes / eligible at each m mixes cohorts, since only the
    oldest are eligible at the longest m. It equals that pooled rate at every m when every
    participant is eligible at every m shown. None from the first m at which nobody is
    eligible; where all those eligible have had their outcome, the rate stays where it was."""
    as_of_month = month_index(as_of)
    whole_last_month = is_month_end(as_of)
    by_month = _by_month(counts, as_of, horizon)
    points = []
    surviving: float | None = 1.0
    for m in range(1, horizon + 1):
        eligible = at_risk = new = 0
        for month, rows in by_month.items():
            for r in _eligible(rows, m, as_of_month - month, whole_last_month):
                eligible += r.participants
                gap = r.months_to_outcome
                if gap is None or gap >= m or (m == 1 and gap == 0):
                    at_risk += r.participants
                    new += r.participants if gap is not None and gap <= m else 0
        if not eligible:  # nobody this far yet (nor at any later m)
            surviving = None
        elif surviving is not None and at_risk:
            surviving *= 1 - new / at_risk
        points.append(LifeTablePoint(m, at_risk, new,
                                     None if surviving is None else 1 - surviving))
    return points


# -- SQL -----------------------------------------------------------------------------------------
def _months(column: Any) -> ColumnElement[int]:
    return extract("year", column) * 12 + extract("month", column) - 1


def cohort_counts(session: Session, contract_id: int, as_of: date
                  ) -> dict[int, tuple[CohortCount, ...]]:
    """Participants referred on or before as_of, counted per provider by cohort_count_key
    (one row per provider, referral month, day-of-month side and months to outcome; never one
    per participant). The contract's counts are every provider's together: the curves sum
    rows with the same key."""
    to_outcome = case((and_(Participant.outcome_date.is_not(None),
                            Participant.outcome_date <= as_of), Participant.months_to_outcome),
                      else_=None)
    # Grouped over a subquery's columns: PostgreSQL would not match a GROUP BY expression
    # whose bound parameters are distinct from the select list's.
    keyed = select(
        Participant.provider_id.label("provider_id"),
        _months(Participant.referral_date).label("month"),
        case((extract("day", Participant.referral_date) <= as_of.day, 1),
             else_=0).label("early"),
        to_outcome.label("to_outcome"),
    ).where(Participant.contract_id == contract_id,
            Participant.referral_date <= as_of).subquery()
    rows = session.execute(
        select(keyed.c.provider_id, keyed.c.month, keyed.c.early, keyed.c.to_outcome,
               func.count())
        .group_by(keyed.c.provider_id, keyed.c.month, keyed.c.early, keyed.c.to_outcome))
    found: dict[int, list[CohortCount]] = {}
    for provider, m, e, gap, n in rows:
        found.setdefault(int(provider), []).append(
            CohortCount(int(m), bool(e), None if gap is None else int(gap), int(n)))
    # Tuples: the result is cached and shared (app.performance.fit_cache).
    return {provider: tuple(counts) for provider, counts in found.items()}
