"""What the performance engine does when a contract's set-up changes (app.core.changes)."""

from sqlalchemy.orm import Session

from app.core import changes
from app.core.changes import Change, Kind
from app.models import Contract
from app.performance import daily_totals, fit_cache


def _rebuild_daily_totals(session: Session, change: Change) -> None:
    # Timely events follow timeliness_days, fees the tariff (new checks are counted as they
    # are written, so a schedule change needs no rebuild).
    daily_totals.rebuild(session, session.get_one(Contract, change.contract_id))


def register() -> None:
    changes.on({Kind.TARIFF, Kind.TIMELINESS}, _rebuild_daily_totals)
    # In the writer's transaction: the new token commits with the participants it describes.
    changes.on(Kind.EVENTS, fit_cache.renew_on_change)
