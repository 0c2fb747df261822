"""The complaint SLA clock (DOMAIN.md section 8), pure: dates in, deadlines and breaches out.

Both deadlines count working days from the submission date in Europe/London: the prime must
acknowledge by `acknowledge_by` and propose a resolution by `resolve_by` (each met on any moment
of its last day). A clock stops when its step is done, or when the complaint leaves the prime's
procedure another way (escalated, withdrawn, closed); a clock that stopped after its deadline
stays breached, so a late acknowledgement is still a breach (CON-1 flags the same fact).
"""

from collections.abc import Container
from dataclasses import dataclass
from datetime import date

from app.core.workdays import add_working_days, working_days_between


@dataclass(frozen=True)
class SlaClock:
    acknowledge_by: date
    acknowledged_on: date | None
    # Working days from today to the deadline (negative once past it); None once stopped.
    acknowledgement_working_days_left: int | None
    acknowledgement_breached: bool
    resolve_by: date
    resolved_on: date | None
    resolution_working_days_left: int | None
    resolution_breached: bool

    @property
    def breached(self) -> bool:
        return self.acknowledgement_breached or self.resolution_breached


def _days_left(today: date, due: date, holidays: Container[date]) -> int:
    if today <= due:
        return working_days_between(today, due, holidays)
    return -working_days_between(due, today, holidays)


def sla_clock(*, submitted_on: date, acknowledged_on: date | None, resolved_on: date | None,
              left_procedure_on: date | None, today: date, ack_working_days: int,
              resolve_working_days: int, holidays: Container[date]) -> SlaClock:
    """`left_procedure_on`: the day the complaint left the prime's procedure without the step
    being done (escalated, withdrawn or closed), None while it is still there."""
    acknowledge_by = add_working_days(submitted_on, ack_working_days, holidays)
    resolve_by = add_working_days(submitted_on, resolve_working_days, holidays)
    ack_stop = acknowledged_on or left_procedure_on
    resolve_stop = resolved_on or left_procedure_on
    return SlaClock(
        acknowledge_by=acknowledge_by, acknowledged_on=acknowledged_on,
        acknowledgement_working_days_left=(
            None if ack_stop else _days_left(today, acknowledge_by, holidays)),
        acknowledgement_breached=(ack_stop or today) > acknowledge_by,
        resolve_by=resolve_by, resolved_on=resolved_on,
        resolution_working_days_left=(
            None if resolve_stop else _days_left(today, resolve_by, holidays)),
        resolution_breached=(resolve_stop or today) > resolve_by,
    )
