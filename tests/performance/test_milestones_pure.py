"""In-work check schedule and statuses (DOMAIN.md section 4), hand-computed."""

from datetime import date, timedelta

from app.performance.milestones import (
    SpellCheckRule,
    check_compliance,
    check_status,
    scheduled_checks,
)

DEFAULT = {"D28": SpellCheckRule(28), "D91": SpellCheckRule(91),
           "D182": SpellCheckRule(182, min_outcome_weeks=26)}
START = date(2025, 1, 10)


def owed(**kwargs):
    args = {"spells": [(START, None)], "outcome_date": None, "exit_date": None, "checks": {},
            "spell_checks": DEFAULT, "outcome_weeks": 13, "max_sustainments": 20}
    return scheduled_checks(**{**args, **kwargs})


def test_a_spell_owes_d28_and_d91_and_d182_only_for_26_week_groups():
    assert [(c.milestone, c.due_date) for c in owed()] == [
        ("D28", date(2025, 2, 7)), ("D91", date(2025, 4, 11))]
    assert [c.milestone for c in owed(outcome_weeks=26)] == ["D28", "D91", "D182"]
    assert owed(outcome_weeks=26)[2].due_date == date(2025, 7, 11)


def test_an_outcome_adds_sustainment_checks_every_28_days():
    checks = owed(outcome_date=date(2025, 4, 11), max_sustainments=3)
    assert [(c.milestone, c.due_date) for c in checks[2:]] == [
        ("S1", date(2025, 5, 9)), ("S2", date(2025, 6, 6)), ("S3", date(2025, 7, 4))]


def test_a_check_is_matched_to_its_spell_and_recorded():
    checks = owed(checks={("D28", START): (date(2025, 2, 9), "in_work")})
    assert checks[0].checked_on == date(2025, 2, 9) and checks[0].result == "in_work"
    assert checks[1].checked_on is None


def test_a_job_end_before_the_due_date_cancels_the_check():
    checks = owed(spells=[(START, date(2025, 3, 1))])
    assert checks[0].cancelled_on is None  # D28 fell due before the job ended
    assert checks[1].cancelled_on == date(2025, 3, 1)


def test_an_exit_cancels_sustainment_checks_due_after_it():
    outcome = date(2025, 4, 11)
    checks = owed(outcome_date=outcome, max_sustainments=3, exit_date=outcome + timedelta(days=30))
    s = {c.milestone: c.cancelled_on for c in checks}
    assert s["S1"] is None and s["S2"] == outcome + timedelta(days=30) == s["S3"]


def test_a_job_end_on_the_due_date_does_not_cancel():
    due = START + timedelta(days=28)
    assert owed(spells=[(START, due)])[0].cancelled_on is None


def test_status_on_the_due_date_and_at_the_end_of_grace_is_on_time():
    due = date(2025, 2, 7)
    assert check_status(due, due, None, date(2025, 3, 1)) == "on_time"
    assert check_status(due, due + timedelta(days=7), None, date(2025, 3, 1)) == "on_time"
    assert check_status(due, due + timedelta(days=8), None, date(2025, 3, 1)) == "late"
    assert check_status(due, due - timedelta(days=1), None, date(2025, 3, 1)) == "early"


def test_status_without_a_check_is_pending_until_the_grace_ends_then_overdue():
    due = date(2025, 2, 7)
    assert check_status(due, None, None, due + timedelta(days=7)) == "pending"
    assert check_status(due, None, None, due + timedelta(days=8)) == "overdue"
    assert check_status(due, None, None, due - timedelta(days=30)) == "pending"


def test_status_only_counts_what_had_happened_by_as_of():
    due = date(2025, 2, 7)
    assert check_status(due, date(2025, 2, 20), None, date(2025, 2, 16)) == "overdue"
    assert check_status(due, None, date(2025, 2, 1), date(2025, 1, 31)) == "pending"
    assert check_status(due, None, date(2025, 2, 1), date(2025, 2, 1)) == "cancelled"


def test_check_compliance_counts_on_time_over_due_less_cancelled():
    as_of = date(2025, 3, 1)
    rows = [(date(2025, 2, 1), "on_time"), (date(2025, 2, 2), "late"),
            (date(2025, 2, 3), "overdue"), (date(2025, 2, 4), "cancelled"),
            (date(2025, 2, 5), "on_time"),
            (date(2025, 2, 25), "pending")]  # grace not over by as_of: not counted
    assert check_compliance(rows, as_of) == 2 / 4
    assert check_compliance([], as_of) is None
    assert check_compliance([(date(2025, 2, 4), "cancelled")], as_of) is None
