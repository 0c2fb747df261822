"""Settings from the environment (and `.env`), refusing unsafe defaults outside development."""

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
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
