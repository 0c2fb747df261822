"""Rate limits with the `limits` library: per API key or user on every authenticated request,
and per username and client address on the token endpoint. Over the limit: 429 with
Retry-After and a JSON detail.

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


class RateLimiter:
    def __init__(self, limits: str, storage_uri: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits) if limits else []
        self.limiter = MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def check(self, *identity: str) -> None:
        """Count one request for `identity`; 429 when any of the limits is spent."""
        for item in self.items:
            if not self.limiter.hit(item, *identity):
                reset_at, _remaining = self.limiter.get_window_stats(item, *identity)
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    f"rate limit: at most {item} for this {identity[0]}; "
                    f"try again in {retry_after} s",
                    headers={"Retry-After": str(retry_after)})


@lru_cache
def principal_limiter() -> RateLimiter:
    settings = get_settings()
    return RateLimiter(settings.rate_limit, settings.rate_limit_storage)


@lru_cache
def login_limiter() -> RateLimiter:
    settings = get_settings()
    return RateLimiter(settings.login_rate_limit, settings.rate_limit_storage)
