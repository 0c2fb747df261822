"""What the improvement-plan pages share (pages/plans.py, the list; pages/plan.py, one
plan): the states' and measures' names, a plan's address and a target's figure."""

from dashboard.auth import PREFIX
from dashboard.components.formatting import DASH

STATE_NAMES = {"proposed": "Proposed", "agreed": "Agreed", "in_review": "In review",
               "met": "Met", "extended": "Extended", "failed": "Failed"}
METRICS = {"performance_index": "Performance index", "rate": "Outcome rate",
           "check_compliance": "Check compliance", "data_timeliness": "Data timeliness"}


def plan_href(plan_id: str) -> str:
    return f"{PREFIX}plans/{plan_id}"


def figure(metric: str, value: float | None) -> str:
    """A target's figure as the league table shows it: rates as percentages, the index as a
    number."""
    if value is None:
        return DASH
    return f"{value:.2f}" if metric == "performance_index" else f"{value:.1%}"
