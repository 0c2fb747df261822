"""What the improvement-plan pages share (pages/plans.py, the list; pages/plan.py, one
plan): the states' and measures' names, a plan's address and a target's figure."""

from app.regime.schemas import METRIC_NAMES, target_figure
from dashboard.auth import PREFIX
from dashboard.components.formatting import DASH

STATE_NAMES = {"proposed": "Proposed", "agreed": "Agreed", "in_review": "In review",
               "met": "Met", "extended": "Extended", "failed": "Failed"}
METRICS = METRIC_NAMES


def plan_href(plan_id: str) -> str:
    return f"{PREFIX}plans/{plan_id}"


def figure(metric: str, value: float | None) -> str:
    return target_figure(metric, value, DASH)
