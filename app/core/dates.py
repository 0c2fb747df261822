"""The range of every date a request may carry (docs/decisions.md, "Dates and their floor")."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator

# Wide enough for any contract of an employment programme (the Work Programme began in 2011, its
# predecessors in the 1990s) and narrow enough that date arithmetic downstream (contract years,
# payment terms, sustainment due dates) cannot leave Python's date range. An event is also held
# to its contract's start (app.ingest.rules).
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def in_range(day: date) -> date:
    """`day`, or a ValueError whose message a 422 shows after the field's name."""
    if day < EARLIEST_DATE:
        raise ValueError(f"before {EARLIEST_DATE}, the earliest date chainboard takes")
    if day > LATEST_DATE:
        raise ValueError(f"after {LATEST_DATE}, the latest date chainboard takes")
    return day


Day = Annotated[date, AfterValidator(in_range)]
