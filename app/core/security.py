"""Password hashing (argon2 via pwdlib), access tokens (PyJWT), API keys and join codes."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str  # the sign-in session (table auth_sessions) that can be revoked


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def create_access_token(user_id: int, session_id: str, expires_at: datetime) -> str:
    claims = {"sub": str(user_id), "sid": session_id, "iat": utcnow(), "exp": expires_at}
    return jwt.encode(claims, get_settings().secret_key, algorithm=_JWT_ALGORITHM)


def token_claims(token: str) -> TokenClaims | None:
    """Who the token speaks for, or None when it is forged, expired, malformed or lacks its
    expiry, user or session (a token that never expires could never be taken back by time,
    one without a session not by signing out)."""
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=[_JWT_ALGORITHM],
                            options={"require": ["exp", "sub", "sid"]})
        session_id = claims["sid"]
        if not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
            return None
        return TokenClaims(int(claims["sub"]), session_id)
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
