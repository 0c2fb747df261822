"""Password hashing (argon2 via pwdlib), access tokens (PyJWT), API keys and join codes."""

import hashlib
import secrets
from datetime import timedelta

import jwt
from pwdlib import PasswordHash

from app.core.config import get_settings
from app.core.timeutil import utcnow

_password_hash = PasswordHash.recommended()
_JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "cbk_"
JOIN_CODE_PREFIX = "cbj_"


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)


def create_access_token(user_id: int) -> str:
    settings = get_settings()
    now = utcnow()
    claims = {"sub": str(user_id), "iat": now,
              "exp": now + timedelta(minutes=settings.access_token_minutes)}
    return jwt.encode(claims, settings.secret_key, algorithm=_JWT_ALGORITHM)


def user_id_from_token(token: str) -> int | None:
    """The token's user id, or None when it is forged, expired, without an expiry or
    malformed (a token that never expires could never be taken back by time)."""
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[_JWT_ALGORITHM],
                            options={"require": ["exp", "sub"]})
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # A key carries 256 random bits, so a fast hash is as safe as argon2 here and keeps
    # per-request authentication cheap for bulk ingestion (passwords still use argon2).
    return hashlib.sha256(key.encode()).hexdigest()


def new_join_code() -> str:
    return JOIN_CODE_PREFIX + secrets.token_urlsafe(32)


def hash_join_code(code: str) -> str:
    # As random as an API key, so the same fast hash: a stored digest gives nothing away.
    return hash_api_key(code)
