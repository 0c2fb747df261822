from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.auth.schemas import RecordId, StrictInput
from app.models.compliance import FlagPrinciple as Principle
from app.models.compliance import FlagStatus, RuleCode, Severity, Standard


class FlagFilters(BaseModel):
    contract_id: RecordId | None = None
    standard: Standard | None = None
    principle: Principle | None = None
    status: FlagStatus | None = None
    rule: RuleCode | None = None
    severity: Severity | None = None
    subject_org_id: RecordId | None = None
    cleared: bool | None = None


class FlagRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "hR3kq0V9Xw2LmB7tYc1sQe", "contract_id": 1, "rule": "COM-1", "title": "late payment",
        "standard": "merlin-2012", "principle": "commitment",
        "merlin_2018_principles": ["Funding", "Contract"], "severity": "medium",
        "subject_org_id": 6, "complainant_hidden": False, "complaint_id": None,
        "summary": "Payment Vd2n8QpLx4TgW0sKe7YbJa of £18,450.00 to Wharfedale Mind "
                   "Employment Service, invoiced on 2026-08-01, was paid on 2026-09-20: 20 "
                   "days after its 30-day terms ended (2026-08-31).",
        "evidence": {"payment_id": "Vd2n8QpLx4TgW0sKe7YbJa", "invoice_date": "2026-08-01",
                     "terms_days": 30,
                     "due_date": "2026-08-31", "paid_date": "2026-09-20", "days_late": 20},
        "status": "open", "first_detected_at": "2026-09-20T10:00:00Z",
        "last_detected_at": "2026-11-23T06:00:00Z", "cleared_at": None,
        "status_note": None, "status_changed_at": None, "status_changed_by_user_id": None}]})

    id: str = Field(description="the flag's public id (random; never a count)")
    contract_id: int
    rule: str
    title: str = Field(description="what the rule is about, in words")
    standard: str = Field(description="merlin-2012 (the four principles) or contract")
    principle: str = Field(description="the 2012 principle (supply_chain_design, commitment, "
                                       "conduct, review), or the contract obligation")
    merlin_2018_principles: list[str] = Field(
        description="where the rule sits among the 2018 refresh's eight principles (our "
                    "mapping, docs/compliance.md); empty for contract flags")
    severity: str
    subject_org_id: int | None = Field(
        description="the organisation the flag is about; null when it is a confidential "
                    "complainant the reader may not see")
    complainant_hidden: bool
    complaint_id: str | None = Field(description="the id of the complaint a CON-1 or CON-3 "
                                                 "flag is about")
    summary: str
    evidence: dict[str, Any]
    status: str
    first_detected_at: datetime
    last_detected_at: datetime
    cleared_at: datetime | None = Field(
        description="set when a recomputation no longer finds the condition; cleared again "
                    "(null) if it returns")
    status_note: str | None
    status_changed_at: datetime | None
    status_changed_by_user_id: int | None


FLAG_CSV_COLUMNS = (
    "id", "contract_id", "rule", "title", "standard", "principle", "merlin_2018_principles",
    "severity", "subject_org_id", "complaint_id", "summary", "status", "first_detected_at",
    "last_detected_at", "cleared_at", "status_note", "evidence",
)


class FlagStatusChange(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "acknowledged", "note": "Invoice run moved to weekly from December."}]})

    status: Literal["acknowledged", "resolved"]
    note: str = Field(min_length=1, max_length=2000, description="why; kept with the flag "
                                                                 "and in the audit log")
