"""Users and API keys."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import schemas
from app.auth.passwords import check_password
from app.auth.permissions import GRANTABLE_KEY_ROLES, authorize
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.security import hash_api_key, hash_password, new_api_key, verify_password
from app.core.timeutil import utcnow
from app.models import ApiKey, Organisation, User
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


def create_user(session: Session, principal: Principal | None,
                payload: schemas.UserCreate) -> User:
    """`principal` is None when the operator runs the CLI on the server."""
    if principal is not None:
        authorize(principal, "users.create")
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
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


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
        if role not in GRANTABLE_KEY_ROLES[principal.role]:
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
