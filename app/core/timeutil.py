"""Clock helpers. One place decides what "today" and "now" mean for the service."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.core.config import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """The programme's calendar date of a moment (Europe/London by default)."""
    return moment.astimezone(ZoneInfo(get_settings().timezone)).date()


def today() -> date:
    return local_date(utcnow())
