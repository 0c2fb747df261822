"""Builders for event dicts in the ingestion format."""

from datetime import date, timedelta
from itertools import count
from typing import Any

_serial = count(1)


def ev(contract_id: int, ref: str, type_: str, day: date | str, **fields: Any) -> dict[str, Any]:
    return {"event_id": fields.pop("event_id", f"{ref}-{type_}-{next(_serial)}"),
            "contract_id": contract_id, "participant_ref": ref, "type": type_,
            "event_date": day if isinstance(day, str) else day.isoformat(), **fields}


def journey(contract_id: int, ref: str, provider_id: int, referred: date,
            group: str = "jsa_ex_ib", weeks_in_work: int = 13) -> list[dict[str, Any]]:
    """Referral, attachment, a job start and, once enough days in work, the job outcome."""
    start = referred + timedelta(days=10)
    outcome = start + timedelta(days=7 * weeks_in_work)
    return [
        ev(contract_id, ref, "referral", referred, payment_group=group, provider_id=provider_id),
        ev(contract_id, ref, "attachment", referred + timedelta(days=3)),
        ev(contract_id, ref, "job_start", start, hours_per_week=30),
        ev(contract_id, ref, "in_work_check", start + timedelta(days=28), milestone="D28",
           result="in_work"),
        ev(contract_id, ref, "job_outcome", outcome),
    ]
