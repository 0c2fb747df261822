"""Calendar arithmetic for the league-table horizon (DOMAIN.md section 5).

A participant referred on day d is *eligible* for a horizon of H months once
``add_months(d, H) <= as_of``; its job outcome counts when dated ``<= add_months(d, H)``.
``horizon_cutoff`` turns the per-participant test into one date, so a query can filter with
``referral_date <= cutoff`` instead of doing month arithmetic in SQL.
"""

import calendar
from datetime import date


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, keeping the day of month.

    When the target month is shorter the day is clipped to its last day:
    31 Jan + 1 month = 28 Feb (29 Feb in a leap year); 31 Aug + 6 months = 28/29 Feb.
    ``months`` may be negative or zero.
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(d.day, _last_day(year, month)))


def horizon_cutoff(as_of: date, months: int) -> date:
    """The latest referral date d with ``add_months(d, months) <= as_of``.

    ``add_months`` is non-decreasing in d, so the eligible referral dates are exactly those
    ``<= cutoff``. Start from ``c = add_months(as_of, -months)``: ``add_months(c, months)`` is
    never after ``as_of``. If ``as_of`` is the last day of its month, every later day of c's
    month is clipped onto that same last day (as_of 2025-02-28, H = 1: 29, 30 and 31 January
    all map to 28 February), so the cutoff is the last day of c's month. Otherwise a later day
    of c's month lands after ``as_of`` and the next month's days land in the next month.
    """
    if months < 0:
        raise ValueError("months must be >= 0")
    candidate = add_months(as_of, -months)
    if as_of.day == _last_day(as_of.year, as_of.month):
        return candidate.replace(day=_last_day(candidate.year, candidate.month))
    return candidate
