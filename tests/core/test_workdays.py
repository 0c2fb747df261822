from datetime import date

from app.core.workdays import add_working_days, working_calendar, working_days_between

FRI, SAT, MON = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23)


def test_five_working_days_from_a_friday_end_the_next_friday() -> None:
    assert add_working_days(FRI, 5, ()) == date(2026, 11, 27)


def test_a_weekend_submission_starts_the_clock_on_monday() -> None:
    assert add_working_days(SAT, 1, ()) == MON
    assert add_working_days(SAT, 5, ()) == date(2026, 11, 27)


def test_a_holiday_pushes_the_deadline_by_a_day() -> None:
    assert add_working_days(FRI, 5, {date(2026, 11, 25)}) == date(2026, 11, 30)


def test_christmas_week_with_two_bank_holidays() -> None:
    holidays = {date(2026, 12, 25), date(2026, 12, 28)}  # Friday, and Monday in lieu
    assert add_working_days(date(2026, 12, 23), 3, holidays) == date(2026, 12, 30)


def test_counting_back_is_the_inverse() -> None:
    holidays = {date(2026, 11, 25)}
    for start in (FRI, SAT, MON):
        for n in range(0, 25):
            assert working_days_between(start, add_working_days(start, n, holidays),
                                        holidays) == n
    assert working_days_between(MON, FRI, ()) == 0


def test_the_calendar_has_the_substitute_days_of_a_weekend_christmas() -> None:
    # 2027: Christmas Day is a Saturday and Boxing Day a Sunday; Monday 27 and Tuesday 28 are the
    # bank holidays in their place (England and Wales).
    calendar = working_calendar(())
    assert date(2027, 12, 27) in calendar and date(2027, 12, 28) in calendar
    assert add_working_days(date(2027, 12, 24), 1, calendar) == date(2027, 12, 29)


def test_the_calendar_merges_a_contracts_own_holidays() -> None:
    calendar = working_calendar([date(2026, 11, 25)])
    assert date(2026, 11, 25) in calendar and date(2026, 12, 25) in calendar
    assert date(2026, 11, 26) not in calendar
    assert add_working_days(FRI, 5, calendar) == date(2026, 11, 30)
