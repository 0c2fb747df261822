"""In-work check milestones (DOMAIN.md section 4), as pure functions.

`scheduled_checks` turns a participant's job spells, outcome, exit and reported checks into the
checks it owes; `check_status` says where one stands on a given day. Ingestion stores the
scheduled checks (table `milestones`), so statuses for any `as_of` come from one query.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

GRACE_DAYS = 7  # a check is on time in [due, due + 7]


@dataclass(frozen=True)
class ScheduledCheck:
    milestone: str
    basis_date: date  # the spell's start (D checks) or the outcome's date (S checks)
    due_date: date
    checked_on: date | None
    result: str | None
    cancelled_on: date | None


@dataclass(frozen=True)
class SpellCheckRule:
    days: int
    min_outcome_weeks: int | None = None


def scheduled_checks(
    spells: Iterable[tuple[date, date | None]],
    outcome_date: date | None,
    exit_date: date | None,
    checks: Mapping[tuple[str, date], tuple[date, str | None]],
    spell_checks: Mapping[str, SpellCheckRule],
    outcome_weeks: int,
    max_sustainments: int,
    sustainment_interval_days: int = 28,
) -> list[ScheduledCheck]:
    """The checks a participant owes. `checks` maps (milestone, start of the spell the check
    matched) to (date, result), as ingestion records them."""
    spells = sorted(spells)
    owed: list[ScheduledCheck] = []
    for start, end in spells:
        for code, rule in spell_checks.items():
            if rule.min_outcome_weeks is not None and outcome_weeks < rule.min_outcome_weeks:
                continue
            due = start + timedelta(days=rule.days)
            done = checks.get((code, start))
            # The spell ended, or the participant left, before the check fell due.
            stops = [d for d in (end, exit_date) if d is not None and d < due]
            owed.append(ScheduledCheck(code, start, due, done[0] if done else None,
                                       done[1] if done else None, min(stops) if stops else None))
    if outcome_date is not None:
        stops_after_outcome = sorted(
            [end for _, end in spells if end is not None and end >= outcome_date]
            + ([exit_date] if exit_date is not None and exit_date >= outcome_date else []))
        s_checks: dict[str, tuple[date, str | None]] = {}
        for (code, _spell), done in sorted(checks.items(), key=lambda item: item[1][0]):
            if code.startswith("S"):
                s_checks.setdefault(code, done)  # the earliest check of each Sk counts
        for k in range(1, max_sustainments + 1):
            code = f"S{k}"
            due = outcome_date + timedelta(days=sustainment_interval_days * k)
            done = s_checks.get(code)
            stops = [d for d in stops_after_outcome if d < due]
            owed.append(ScheduledCheck(code, outcome_date, due, done[0] if done else None,
                                       done[1] if done else None, stops[0] if stops else None))
    return owed


def check_timing(due_date: date, checked_on: date | None) -> str | None:
    """early / on_time / late: where a check fell against its due date."""
    if checked_on is None:
        return None
    if checked_on < due_date:
        return "early"
    return "on_time" if checked_on <= due_date + timedelta(days=GRACE_DAYS) else "late"


def check_status(due_date: date, checked_on: date | None, cancelled_on: date | None,
                 as_of: date) -> str:
    """Where a check stands on `as_of`. Only what had happened by `as_of` counts; a
    cancellation outranks a check (a check after the job ended verifies nothing).
    app.performance.queries.status_case is the same rule in SQL."""
    if cancelled_on is not None and cancelled_on <= as_of:
        return "cancelled"
    if checked_on is not None and checked_on <= as_of:
        return check_timing(due_date, checked_on) or "pending"
    return "overdue" if as_of > due_date + timedelta(days=GRACE_DAYS) else "pending"


def check_compliance(statuses_due_in_period: Iterable[tuple[date, str]],
                     as_of: date) -> float | None:
    """On-time checks over checks due in the period whose grace has passed by `as_of`, less
    cancelled ones. None when nothing counts."""
    counted = on_time = 0
    for due, status in statuses_due_in_period:
        if due + timedelta(days=GRACE_DAYS) > as_of or status == "cancelled":
            continue
        counted += 1
        on_time += status == "on_time"
    return on_time / counted if counted else None
