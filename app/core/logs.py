"""Structured logs: one JSON object per line, each carrying the request id of the request it
belongs to (or null outside a request), so every line of one request can be found together.

`request_context` holds the current request's fields; app.core.http sets it for each request
and the authentication dependency adds who is asking.
"""

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from app.core.config import get_settings

# A mutable dict per request: sync endpoints run in a worker thread with a *copy* of the
# context, so they add fields to the same dict rather than set the variable again.
request_context: ContextVar[dict[str, Any] | None] = ContextVar("request_context", default=None)


def current_request_id() -> str | None:
    context = request_context.get()
    return context.get("request_id") if context else None


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def logging_config(level: str | None = None, log_format: str | None = None) -> dict[str, Any]:
    """A dictConfig for the app and uvicorn alike (uvicorn's own access log is replaced by
    app.core.http's, which knows the request id and the principal)."""
    settings = get_settings()
    level = (level or settings.log_level).upper()
    if (log_format or settings.log_format) == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "default", "filters": ["request_id"]}},
        "loggers": {
            "chainboard": {"level": level},
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"level": "WARNING"},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure_logging() -> None:
    logging.config.dictConfig(logging_config())
