"""add_months and horizon_cutoff: month ends, leap years, and the cutoff's defining property."""

from datetime import date, timedelta

import pytest

from app.performance.dates import add_months, horizon_cutoff


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 15), 1, date(2025, 2, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # clipped to February's last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # from a leap day to a common year
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # across the year end
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 10), -13, date(2023, 12, 10)),
        (date(2025, 1, 31), 24, date(2027, 1, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("as_of", "months", "expected"),
    [
        # 29, 30 and 31 January + 1 month all clip to 28 February.
        (date(2025, 2, 28), 1, date(2025, 1, 31)),
        (date(2024, 2, 29), 1, date(2024, 1, 31)),
        # 28 February 2024 is not a month end: 29 January + 1 month is 29 February, too late.
        (date(2024, 2, 28), 1, date(2024, 1, 28)),
        # 31 August + 6 months = 28 February 2026.
        (date(2026, 2, 28), 6, date(2025, 8, 31)),
        (date(2026, 2, 27), 6, date(2025, 8, 27)),
        # Not a month end, but February is shorter: 28 Feb + 1 = 28 Mar <= 30 Mar; 1 Mar + 1 > it.
        (date(2025, 3, 30), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 2, 28)),
        (date(2025, 4, 30), 1, date(2025, 3, 31)),
        (date(2025, 6, 15), 12, date(2024, 6, 15)),
        (date(2025, 6, 15), 0, date(2025, 6, 15)),
    ],
)
def test_horizon_cutoff(as_of: date, months: int, expected: date) -> None:
    assert horizon_cutoff(as_of, months) == expected


def test_horizon_cutoff_matches_the_definition_everywhere() -> None:
    """For every as_of in 2023-2026 and H in 0..24: add_months(cutoff, H) <= as_of and the
    next day is already too late. add_months is non-decreasing in d (checked here too), so
    `referral_date <= cutoff` is exactly `add_months(referral_date, H) <= as_of`."""
    one_day = timedelta(days=1)
    day = date(2023, 1, 1)
    while day <= date(2026, 12, 31):
        for months in range(25):
            cutoff = horizon_cutoff(day, months)
            assert add_months(cutoff, months) <= day, (day, months)
            assert add_months(cutoff + one_day, months) > day, (day, months)
            assert add_months(day, months) <= add_months(day + one_day, months)
        day += one_day


def test_horizon_cutoff_refuses_a_negative_horizon() -> None:
    with pytest.raises(ValueError):
        horizon_cutoff(date(2025, 1, 1), -1)
