"""SQL feeding the performance engine: aggregation happens in the database, one row per
provider, group or cohort comes back."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case

from app.models import Milestone
from app.performance.milestones import GRACE_DAYS


def status_case(as_of: date) -> ColumnElement[Any]:
    """A milestone's status on `as_of` in SQL: app.performance.milestones.check_status."""
    return case(
        (Milestone.cancelled_on <= as_of, "cancelled"),
        (Milestone.checked_on <= as_of, Milestone.check_timing),
        (Milestone.due_date < as_of - timedelta(days=GRACE_DAYS), "overdue"),
        else_="pending",
    )
