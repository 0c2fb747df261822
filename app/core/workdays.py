"""Working days (Monday to Friday, less the bank holidays of England and Wales and a contract's
own holiday list) for complaint SLA clocks.

A deadline of n working days from a date is the n-th working day *after* that date: a complaint
submitted on a Friday with a 5-day SLA is due by the end of the next Friday; one submitted on a
Saturday is due by the end of the Friday after (the clock starts on Monday).
"""

from collections.abc import Container, Iterable
from datetime import date, timedelta
from functools import cache

import holidays as holiday_calendars


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of one year, substitute days included (python-holidays:
    offline, maintained; docs/decisions.md)."""
    return frozenset(holiday_calendars.country_holidays("GB", subdiv="ENG", years=year))


class WorkingCalendar(Container[date]):
    """The days off of one contract: the bank holidays of England and Wales, any year on demand,
    and the contract's own list."""

    def __init__(self, own_holidays: Iterable[date]) -> None:
        self.own_holidays = frozenset(own_holidays)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day in self.own_holidays
                                          or day in bank_holidays(day.year))


def working_calendar(own_holidays: Iterable[date]) -> WorkingCalendar:
    """The one place a contract's working-day calendar is built (complaint SLA, CON-1)."""
    return WorkingCalendar(own_holidays)


def is_working_day(day: date, holidays: Container[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Container[date]) -> date:
    """The `days`-th working day after `start` (`start` itself when days is 0)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def working_days_between(start: date, end: date, holidays: Container[date]) -> int:
    """Working days in (start, end]: 0 when end <= start. The inverse of add_working_days."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, holidays)
    return count
