"""Who is asking: a user (by bearer token) or a machine client (by API key)."""

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import get_read_session, get_session, lookup_apart
from app.core.logs import request_context
from app.core.ratelimit import principal_limiter
from app.core.security import hash_api_key, token_claims
from app.core.timeutil import utcnow
from app.models import ApiKey, AuthSession, User
from app.models.auth import Role
from app.models.base import is_public_id

MAX_RECORD_ID = 2**31 - 1  # the largest integer primary key on either backend


@dataclass(frozen=True)
class Principal:
    role: Role
    organisation_id: int | None
    user_id: int | None = None  # None for an API key
    api_key_id: int | None = None
    username: str | None = None
    session_id: str | None = None  # the sign-in session a bearer token belongs to

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]  # a POST that only reads

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)

_UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'",
    headers={"WWW-Authenticate": "Bearer"},
)


def principal_for_user(user: User, session_id: str | None = None) -> Principal:
    return Principal(role=user.role, organisation_id=user.organisation_id, user_id=user.id,
                     username=user.username, session_id=session_id)


def resolve_principal(session: Session, token: str | None, api_key: str | None) -> Principal | None:
    if api_key:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(api_key),
                                                  ApiKey.revoked_at.is_(None)))
        if key is None:
            return None
        return Principal(role=key.role, organisation_id=key.organisation_id, api_key_id=key.id)
    if token:
        claims = token_claims(token)
        # Ids beyond a 32-bit key cannot exist (and SQLite refuses to bind them).
        if claims is None or not 0 < claims.user_id <= MAX_RECORD_ID:
            return None
        # One query, by the session's primary key: the session live and the user active, so
        # a sign-out, a password change or a deactivation counts from the next request.
        user = session.scalar(
            select(User).join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == claims.session_id, User.id == claims.user_id,
                   AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow(),
                   User.is_active.is_(True)))
        return principal_for_user(user, claims.session_id) if user is not None else None
    return None


def current_principal(
    session: SessionDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    with lookup_apart(session):  # a write session's writes begin afresh, with the lock
        principal = resolve_principal(session, token, api_key)
    if principal is None:
        raise _UNAUTHENTICATED
    identity = (("api key", str(principal.api_key_id)) if principal.is_api_key
                else ("user", str(principal.user_id)))
    context = request_context.get()
    if context is not None:  # for the access log line
        context.update(principal_role=principal.role, principal_org=principal.organisation_id,
                       principal=" ".join(identity))
    principal_limiter().check(*identity)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def public_id_path(name: str, what: str) -> object:
    """A path parameter `name` naming a record by its public id (app.models.base.PublicId).
    A value not shaped like one (an old integer id, a typo, a NUL byte) is handed on made
    safe to query with and still naming no record, so the service answers as for an unknown
    id, after its own checks (401, 403): 404, never a 422 or a database error that would
    tell the two apart."""
    def checked(value: Annotated[str, Path(alias=name, description=f"the {what}'s id")]) -> str:
        if is_public_id(value):
            return value
        return re.sub(r"[^A-Za-z0-9_-]", "?", value[:40]) or "?"
    return Depends(checked)
