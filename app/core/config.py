"""Settings from the environment (and `.env`), refusing unsafe defaults outside development."""

from functools import lru_cache
from ipaddress import ip_network
from typing import Literal

from limits import parse_many
from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./chainboard.db"
    secret_key: str = DEV_SECRET_KEY
    access_token_minutes: int = 8 * 60
    # The programme is English: "today" for event-date checks is the date in London.
    timezone: str = "Europe/London"
    max_batch_events: int = 10_000
    sql_echo: bool = False
    # Notifications (app.complaints.notifications): e-mailed through this SMTP server when
    # SMTP_HOST is set, otherwise only logged.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "chainboard@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    # A notification that failed this many times is left for an operator to look at.
    smtp_max_attempts: int = 5
    # Limits (docs/operations.md). A request body larger than this answers 413; a 10,000-event
    # batch is about 3 MB of JSON.
    max_body_bytes: int = 16 * 1024 * 1024
    # Requests per API key or user, in the `limits` notation ("1200/minute", "20/second;1000/
    # hour"); empty turns it off. Signing in (API and dashboard alike, app.auth.service.sign_in)
    # has its own limits against password guessing: every attempt per username, failed
    # attempts per client address, and failed attempts across all users (a password spray
    # over many usernames and addresses).
    rate_limit: str = "1200/minute"
    login_rate_limit: str = "20/minute"
    login_global_rate_limit: str = "300/minute"
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR
    # networks). Empty: the header is ignored and the client is the TCP peer
    # (app.core.http.client_address).
    trusted_proxies: str = ""
    # Where the counters live: memory:// is per process; several app processes behind a load
    # balancer share one store instead, e.g. redis://host:6379 (pip install "limits[redis]").
    rate_limit_storage: str = "memory://"
    # PostgreSQL aborts a statement running longer than this (0: never); SQLite waits this long
    # for another writer's lock before answering "database is locked".
    statement_timeout_ms: int = 60_000
    sqlite_busy_timeout_ms: int = 30_000
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("rate_limit", "login_rate_limit", "login_global_rate_limit")
    @classmethod
    def readable_rate_limit(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # a typo fails at start-up, not on the first request
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def readable_proxies(cls, value: str) -> str:
        for entry in value.split(","):
            if entry.strip():
                ip_network(entry.strip(), strict=False)  # a typo fails at start-up
        return value.strip()

    @model_validator(mode="after")
    def refuse_dev_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError("SECRET_KEY must be set to a private value in production")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
