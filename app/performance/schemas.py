from datetime import date
from typing import Literal

from pydantic import BaseModel

MilestoneStatus = Literal["on_time", "late", "early", "overdue", "pending", "cancelled"]


class MilestoneRow(BaseModel):
    participant_ref: str
    provider_id: int
    milestone: str
    due_date: date
    status: MilestoneStatus
    checked_on: date | None
    result: str | None


class MilestonePage(BaseModel):
    contract_id: int
    as_of: date
    counts: dict[str, int]
    rows: list[MilestoneRow]
    next_cursor: str | None
