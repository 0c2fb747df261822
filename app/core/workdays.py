"""Working days (Monday to Friday, less a contract's holiday list) for complaint SLA clocks.

A deadline of n working days from a date is the n-th working day *after* that date: a complaint
submitted on a Friday with a 5-day SLA is due by the end of the next Friday; one submitted on a
Saturday is due by the end of the Friday after (the clock starts on Monday).
"""

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The `days`-th working day after `start` (`start` itself when days is 0)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days in (start, end]: 0 when end <= start. The inverse of add_working_days."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, holidays)
    return count
