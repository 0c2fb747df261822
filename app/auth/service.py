"""Users, signing in and out (one service for the API and the dashboard), and API keys."""

from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import schemas
from app.auth.passwords import check_password
from app.auth.permissions import GRANTABLE_ROLES, authorize
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.config import get_settings
from app.core.db import lookup_apart
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.ratelimit import ALL_USERS, global_login_limiter, login_limiter
from app.core.security import (
    create_access_token,
    hash_api_key,
    hash_password,
    new_api_key,
    new_session_id,
    verify_password,
)
from app.core.timeutil import utcnow
from app.models import ApiKey, AuthSession, Organisation, User
from app.models.audit import record_audit

# Which kind of organisation each role belongs to (admins belong to none).
ROLE_ORG_KINDS = {
    "prime_manager": {"prime"},
    "provider_user": {"prime", "subcontractor"},  # a prime's in-house delivery staff too
    "reviewer": {"reviewer"},
}

# A stand-in hash so that a wrong username costs as much time as a wrong password.
_DUMMY_HASH = hash_password("timing-equaliser")


def _check_role_org(session: Session, role: str,
                    organisation_id: int | None) -> Organisation | None:
    """The organisation a user or key with this role would belong to (None for admins)."""
    if role == "admin":
        if organisation_id is not None:
            raise Invalid("organisation_id: admins belong to no organisation")
        return None
    if organisation_id is None:
        raise Invalid(f"organisation_id: required for role {role}")
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise Invalid(f"organisation_id: organisation {organisation_id} does not exist")
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise Invalid(f"role: a {role} cannot belong to a {org.kind} organisation")
    return org


def _check_grantable(principal: Principal, role: str, organisation_id: int | None) -> None:
    """A non-admin acts for its own organisation only (another answers as absent) and gives
    no more rights than it holds."""
    if principal.is_admin:
        return
    if role not in GRANTABLE_ROLES[principal.role]:
        raise Forbidden(f"role: a {principal.role} cannot give the role {role}; an account "
                        "never carries more rights than its creator's")
    if organisation_id != principal.organisation_id:
        raise NotFound(f"organisation_id: organisation {organisation_id} not found")


def create_user(session: Session, principal: Principal | None,
                payload: schemas.UserCreate) -> User:
    """`principal` is None when the operator runs the CLI on the server."""
    if principal is not None:
        authorize(principal, "users.create")
        _check_grantable(principal, payload.role, payload.organisation_id)
    org = _check_role_org(session, payload.role, payload.organisation_id)
    username = payload.username.lower()
    check_password(payload.password, username=username,
                   other_inputs={"the organisation's name": org.name if org else None})
    taken = Conflict(f"username: '{username}' is taken")
    if session.scalar(select(User.id).where(User.username == username)):
        raise taken
    user = User(username=username, password_hash=hash_password(payload.password),
                role=payload.role, organisation_id=payload.organisation_id)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the name after our check
        session.rollback()
        raise taken from exc
    record_audit(session, principal, "user.create", "user", user.id, username=username,
                 role=payload.role, organisation_id=payload.organisation_id)
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password (no limits: callers use `sign_in`)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


# -- signing in and out: the one path for the API's token and the dashboard's cookie -------------
def sign_in(session: Session, username: str, password: str,
            client_address: str) -> tuple[User, str] | None:
    """The user and a new access token, or None when the name or password is wrong.

    The limits come before the password is checked, so a guess over the limit is refused
    even when right (RateLimited, a 429): every attempt counts per username, failed ones per
    client address (app.core.http.client_address) and across all users, so neither changing
    the address nor spraying one password over many names goes unnoticed. `session` should be
    a write session: it stores the sign-in session the token names."""
    attempts, failures = login_limiter(), global_login_limiter()
    failures.refuse_when_spent(*ALL_USERS)
    attempts.refuse_when_spent("client address", client_address)
    attempts.check("username", username.strip().lower()[:64])
    with lookup_apart(session):  # argon2's time outside the write lock
        user = authenticate(session, username, password)
    if user is None:
        attempts.count("client address", client_address)
        failures.count(*ALL_USERS)
        return None
    now = utcnow()
    expires_at = now + timedelta(minutes=get_settings().access_token_minutes)
    # Sessions past their end serve no one: dropped at the user's next sign-in, so the table
    # holds about one row per live session.
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id,
                                              AuthSession.expires_at < now))
    auth_session = AuthSession(id=new_session_id(), user_id=user.id, created_at=now,
                               expires_at=expires_at, client_address=client_address[:64])
    session.add(auth_session)
    session.commit()
    return user, create_access_token(user.id, auth_session.id, expires_at)


def sign_out(session: Session, session_id: str) -> None:
    """Revoke one sign-in session: its token answers 401 from now on."""
    session.execute(update(AuthSession).where(AuthSession.id == session_id,
                                              AuthSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoked_reason="sign_out"))
    session.commit()


def _revoke_sessions(session: Session, user_id: int, reason: str,
                     keep: str | None = None) -> int:
    """Revoke the user's live sessions (all but `keep`); how many were revoked."""
    stmt = (update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None),
                   AuthSession.expires_at > utcnow())
            .values(revoked_at=utcnow(), revoked_reason=reason))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return int(result.rowcount or 0)


def _check_new_password(session: Session, user: User, password: str) -> None:
    org = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    check_password(password, username=user.username,
                   other_inputs={"the organisation's name": org.name if org else None})


def change_password(session: Session, principal: Principal,
                    payload: schemas.PasswordChange) -> None:
    """The signed-in user's own password; its other sessions are signed out, this one stays."""
    if principal.user_id is None:
        raise Forbidden("an API key has no password; revoke it and create another")
    # A guess at the current password is a sign-in attempt like any other.
    login_limiter().check("username", principal.username or "")
    user = session.get(User, principal.user_id)
    if user is None or not verify_password(payload.current_password, user.password_hash):
        raise Invalid("current_password: not the current password")
    _check_new_password(session, user, payload.new_password)
    user.password_hash = hash_password(payload.new_password)
    revoked = _revoke_sessions(session, user.id, "password_change", keep=principal.session_id)
    record_audit(session, principal, "user.password_change", "user", user.id,
                 revoked_sessions=revoked)
    session.commit()


# -- user management (API: /users; CLI: users, deactivate-user, reactivate-user, reset-password) --
def _visible_users(principal: Principal | None, stmt: Select[Any]) -> Select[Any]:
    """`principal` None: the operator's CLI, which sees every user."""
    return stmt if principal is None else Scope(principal).users(stmt)


def _user(session: Session, principal: Principal | None, user_id: int) -> User:
    user = session.scalar(_visible_users(principal, select(User).where(User.id == user_id)))
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def list_users(session: Session, principal: Principal | None, page: PageParams,
               filters: schemas.UserFilters) -> tuple[list[User], str | None]:
    if principal is not None:
        authorize(principal, "users.read")
    stmt = _visible_users(principal, select(User))
    if filters.role is not None:
        stmt = stmt.where(User.role == filters.role)
    if filters.organisation_id is not None:
        stmt = stmt.where(User.organisation_id == filters.organisation_id)
    if filters.is_active is not None:
        stmt = stmt.where(User.is_active.is_(filters.is_active))
    return paginate(session, stmt, User.id, page)


def get_user(session: Session, principal: Principal, user_id: int) -> User:
    authorize(principal, "users.read")
    return _user(session, principal, user_id)


def _managed_user(session: Session, principal: Principal | None, user_id: int,
                  action: str = "users.manage") -> User:
    if principal is not None:
        authorize(principal, action)
    return _user(session, principal, user_id)


def deactivate_user(session: Session, principal: Principal | None, user_id: int,
                    reason: str | None) -> User:
    """At once: the user cannot sign in, its sessions are revoked, and so are the API keys it
    created (a key outliving its creator's departure is a door left open). Never the last
    active admin, who alone could undo it."""
    user = _managed_user(session, principal, user_id, "users.activation")
    if not user.is_active:
        raise Conflict(f"user {user_id} is deactivated already")
    if user.role == "admin":
        # Locked, so two admins deactivating each other at once cannot both succeed.
        admins = session.scalars(select(User.id).where(User.role == "admin",
                                                       User.is_active.is_(True))
                                 .with_for_update()).all()
        if len(admins) <= 1:
            raise Conflict("the last active admin cannot be deactivated; "
                           "make another admin first")
    user.is_active = False
    revoked_sessions = _revoke_sessions(session, user.id, "deactivated")
    keys = session.execute(select(ApiKey.id, ApiKey.public_id).where(
        ApiKey.created_by_user_id == user.id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id)).all()
    if keys:
        session.execute(update(ApiKey).where(ApiKey.id.in_([key.id for key in keys]))
                        .values(revoked_at=utcnow()))
    record_audit(session, principal, "user.deactivate", "user", user.id, reason=reason,
                 revoked_sessions=revoked_sessions,
                 revoked_api_key_ids=",".join(key.public_id for key in keys))
    session.commit()
    return user


def reactivate_user(session: Session, principal: Principal | None, user_id: int) -> User:
    """The user may sign in again; its revoked sessions and API keys stay revoked."""
    user = _managed_user(session, principal, user_id, "users.activation")
    if user.is_active:
        raise Conflict(f"user {user_id} is active already")
    user.is_active = True
    record_audit(session, principal, "user.reactivate", "user", user.id)
    session.commit()
    return user


def reset_password(session: Session, principal: Principal | None, user_id: int,
                   new_password: str) -> None:
    """An admin (or the operator's CLI) sets a user's password; all its sessions end."""
    if principal is not None and principal.is_api_key:
        # Whoever sets a password can sign in as that user: people do that, not keys.
        raise Forbidden("passwords are reset by signed-in admins, not by API keys")
    user = _managed_user(session, principal, user_id)
    _check_new_password(session, user, new_password)
    user.password_hash = hash_password(new_password)
    revoked = _revoke_sessions(session, user.id, "password_reset")
    record_audit(session, principal, "user.password_reset", "user", user.id,
                 revoked_sessions=revoked)
    session.commit()


def create_api_key(session: Session, principal: Principal,
                   payload: schemas.ApiKeyCreate) -> tuple[ApiKey, str]:
    authorize(principal, "api_keys.manage")
    if principal.is_api_key:
        # Otherwise a leaked key could mint replacements that outlive its revocation.
        raise Forbidden("API keys are created by signed-in users, not by other API keys")
    if principal.is_admin:
        org_id = payload.organisation_id
        if payload.role is None and org_id is not None:
            raise Invalid("role: required when an admin creates a key for an organisation")
        role = payload.role or principal.role
    else:
        if payload.organisation_id not in (None, principal.organisation_id):
            raise NotFound(f"organisation {payload.organisation_id} not found")
        org_id = principal.organisation_id
        role = payload.role or principal.role
        if role not in GRANTABLE_ROLES[principal.role]:
            raise Forbidden(f"role: a {principal.role} cannot create a key with role {role}; "
                            "a key never carries more rights than its creator")
    _check_role_org(session, role, org_id)
    key = new_api_key()
    api_key = ApiKey(organisation_id=org_id, role=role, name=payload.name, prefix=key[:12],
                     key_hash=hash_api_key(key), created_by_user_id=principal.user_id)
    session.add(api_key)
    session.flush()
    record_audit(session, principal, "api_key.create", "api_key", api_key.public_id,
                 organisation_id=org_id, role=role, name=payload.name, prefix=api_key.prefix)
    session.commit()
    return api_key, key


def list_api_keys(session: Session, principal: Principal,
                  page: PageParams) -> tuple[list[ApiKey], str | None]:
    authorize(principal, "api_keys.manage")
    return paginate(session, Scope(principal).api_keys(select(ApiKey)), ApiKey.id, page)


def revoke_api_key(session: Session, principal: Principal, key_id: str) -> None:
    authorize(principal, "api_keys.manage")
    api_key = session.scalar(Scope(principal).api_keys(
        select(ApiKey).where(ApiKey.public_id == key_id)))
    if api_key is None:
        raise NotFound(f"api key {key_id} not found")
    api_key.revoked_at = utcnow()
    record_audit(session, principal, "api_key.revoke", "api_key", key_id,
                 organisation_id=api_key.organisation_id, prefix=api_key.prefix)
    session.commit()
