from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.auth.schemas import Flag, RecordId, StrictInput
from app.models.complaints import ComplaintPrinciple as Principle
from app.models.complaints import ComplaintStage, EntryKind, Outcome, Triage
from app.models.complaints import ComplaintStatus as Status

Party = Literal["complainant", "prime", "reviewer", "admin"]


class ComplaintCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "contract_id": 1, "principle": "supply_chain_design",
        "title": "No referrals since March",
        "description": "We have received 3 referrals in 90 days against a 15% share.",
        "confidential": True}]})

    contract_id: RecordId
    principle: Principle
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    confidential: Flag = False


class MessageCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"body": "The referral figures we used are attached to our invoice of 30 September."}]})

    body: str = Field(min_length=1, max_length=20_000)


class TransitionCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"to": "acknowledged", "note": "Received; our contracts team will reply by Friday."},
        {"to": "triaged", "note": "A question of fair referral allocation.",
         "triage": "merlin"},
        {"to": "decided", "note": "Referrals were withheld without reason.",
         "outcome": "upheld"}]})

    to: Status
    note: str = Field(min_length=1, max_length=20_000)
    outcome: Outcome | None = Field(default=None, description="required when to is decided")
    triage: Triage | None = Field(default=None, description="required when to is triaged")


class ConfidentialityChange(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"confidential": False}]})

    confidential: Flag = Field(description="false lifts confidentiality; it cannot be restored")


class SlaRead(BaseModel):
    acknowledge_by: date
    acknowledged_on: date | None
    acknowledgement_working_days_left: int | None = Field(
        description="working days until acknowledge_by (negative once past); null once the "
                    "clock has stopped")
    acknowledgement_breached: bool
    resolve_by: date
    resolved_on: date | None
    resolution_working_days_left: int | None
    resolution_breached: bool


class EntryRead(BaseModel):
    """A history entry or a message. For the prime's users on a confidential complaint, the
    complainant's entries carry no user or organisation: `actor_party` says "complainant"."""

    id: str = Field(description="the entry's public id")
    kind: EntryKind
    from_status: str | None
    to_status: str | None
    decision: str | None = Field(description="the triage or outcome the transition gave")
    body: str
    at: datetime
    actor_party: Party
    actor_user_id: int | None
    actor_username: str | None
    actor_org_id: int | None
    actor_org_name: str | None


class ComplaintRead(BaseModel):
    """A complaint as one principal may see it (app.complaints.service.complaint_view)."""

    id: str = Field(description="the complaint's public id (random; never a count)")
    contract_id: int
    complainant_org_id: int | None = Field(description="null for the prime's users while the "
                                                       "complaint is confidential")
    complainant_name: str | None
    raised_by_user_id: int | None
    raised_by_username: str | None
    confidential: bool
    principle: Principle
    title: str
    description: str
    status: Status
    stage: ComplaintStage
    triage: Triage | None
    outcome: Outcome | None
    submitted_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    escalated_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    sla: SlaRead
    allowed_transitions: list[Status] = Field(
        description="the statuses you may move the complaint to now")


class ComplaintDetail(ComplaintRead):
    history: list[EntryRead] = Field(description="transitions and confidentiality changes, "
                                                 "oldest first")
    messages: list[EntryRead] = Field(description="the message thread, oldest first")


class ComplaintPage(BaseModel):
    rows: list[ComplaintRead]
    next_cursor: str | None = None


# Columns of the CSV export (the same redacted view as the JSON).
CSV_COLUMNS = (
    "id", "contract_id", "complainant_org_id", "complainant_name", "confidential", "principle",
    "title", "status", "stage", "triage", "outcome", "submitted_at", "acknowledge_by",
    "acknowledgement_breached", "resolve_by", "resolution_breached", "closed_at",
)
