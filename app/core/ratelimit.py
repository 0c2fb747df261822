"""Rate limits with the `limits` library: per API key or user on every authenticated request,
and on signing in (app.auth.service.sign_in): per username, per client address and across all
users. Over a limit: `RateLimited`, a 429 with Retry-After and a JSON detail.

Counters live in `RATE_LIMIT_STORAGE` (memory:// by default, so each process counts alone;
several processes share a redis:// or memcached:// store instead: docs/operations.md).
"""

import math
import time
from functools import lru_cache

from fastapi import HTTPException, status
from limits import RateLimitItem, parse_many, storage
from limits.strategies import MovingWindowRateLimiter

from app.core.config import get_settings

# The identity of the one counter shared by every username and address.
ALL_USERS = ("failed sign-ins across all users",)


class RateLimited(HTTPException):
    """429 with Retry-After; `retry_after` (seconds) for callers that answer otherwise (the
    dashboard's login page)."""

    def __init__(self, item: RateLimitItem, what: str, retry_after: int) -> None:
        super().__init__(status.HTTP_429_TOO_MANY_REQUESTS,
                         f"rate limit: at most {item} {what}; try again in {retry_after} s",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, limits: str, storage_uri: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits else []
        self.limiter = MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def _refuse(self, item: RateLimitItem, identity: tuple[str, ...]) -> RateLimited:
        reset_at, _remaining = self.limiter.get_window_stats(item, *identity)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        what = identity[0] if identity == ALL_USERS else f"for this {identity[0]}"
        return RateLimited(item, what, retry_after)

    def check(self, *identity: str) -> None:
        """Count one request for `identity`; RateLimited when any of the limits is spent."""
        for item in self.items:
            if not self.limiter.hit(item, *identity):
                raise self._refuse(item, identity)

    def refuse_when_spent(self, *identity: str) -> None:
        """RateLimited when any limit is spent for `identity`, without counting."""
        for item in self.items:
            if not self.limiter.test(item, *identity):
                raise self._refuse(item, identity)

    def count(self, *identity: str) -> None:
        """Count one (failed) attempt; the refusal, if any, comes at the next attempt."""
        for item in self.items:
            self.limiter.hit(item, *identity)


@lru_cache
def principal_limiter() -> RateLimiter:
    settings = get_settings()
    return RateLimiter(settings.rate_limit, settings.rate_limit_storage)


@lru_cache
def login_limiter() -> RateLimiter:
    """Sign-in attempts per username (every attempt) and per client address (failed ones)."""
    settings = get_settings()
    return RateLimiter(settings.login_rate_limit, settings.rate_limit_storage)


@lru_cache
def global_login_limiter() -> RateLimiter:
    """Failed sign-ins across all users: a spray over many names and addresses meets it."""
    settings = get_settings()
    return RateLimiter(settings.login_global_rate_limit, settings.rate_limit_storage)
