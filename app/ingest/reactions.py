"""What ingestion does when a contract's set-up changes (app.core.changes)."""

from sqlalchemy.orm import Session

from app.core import changes
from app.core.changes import Change, Kind
from app.ingest.service import reschedule_checks
from app.models import Contract


def _reschedule(session: Session, change: Change) -> None:
    # Which checks are owed, and when, follows the schedule and the tariff.
    reschedule_checks(session, session.get_one(Contract, change.contract_id))


def register() -> None:
    changes.on({Kind.SCHEDULE, Kind.TARIFF}, _reschedule)
