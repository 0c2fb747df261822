from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import audit, schemas, service
from app.auth.principal import MAX_RECORD_ID, PrincipalDep, SessionDep, public_id_path
from app.core.errors import Forbidden
from app.core.http import client_address
from app.core.pagination import Page, PageParams, page_params

router = APIRouter(tags=["authentication"])
PageDep = Annotated[PageParams, Depends(page_params)]
KeyId = Annotated[str, public_id_path("key_id", "API key")]
UserId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]


@router.post("/auth/token", response_model=schemas.Token)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          request: Request) -> object:
    """A bearer token for a new sign-in session (429 while a sign-in limit is spent)."""
    signed_in = service.sign_in(
        session, form.username, form.password,
        client_address(request.client.host if request.client else None,
                       request.headers.getlist("x-forwarded-for")))
    if signed_in is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "username or password is wrong",
                            headers={"WWW-Authenticate": "Bearer"})
    return schemas.Token(access_token=signed_in[1])


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, principal: PrincipalDep) -> Response:
    """End the calling token's session: the token answers 401 from now on."""
    if principal.session_id is None:
        raise Forbidden("an API key is not signed in; revoke it with DELETE /api-keys/{id}")
    service.sign_out(session, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(payload: schemas.PasswordChange, session: SessionDep,
                    principal: PrincipalDep) -> Response:
    """Change your own password; your other sessions are signed out, this one stays."""
    service.change_password(session, principal, payload)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", response_model=schemas.Me)
def me(principal: PrincipalDep) -> object:
    return schemas.Me(role=principal.role, organisation_id=principal.organisation_id,
                      user_id=principal.user_id, username=principal.username)


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=schemas.UserRead)
def create_user(payload: schemas.UserCreate, session: SessionDep,
                principal: PrincipalDep) -> object:
    return service.create_user(session, principal, payload)


@router.get("/users", response_model=Page[schemas.UserRead])
def list_users(session: SessionDep, principal: PrincipalDep, page: PageDep,
               filters: Annotated[schemas.UserFilters, Query()]) -> object:
    """Admins: every user; others: their own organisation's users with a role they could give."""
    rows, cursor = service.list_users(session, principal, page, filters)
    return {"rows": rows, "next_cursor": cursor}


@router.get("/users/{user_id}", response_model=schemas.UserRead)
def get_user(user_id: UserId, session: SessionDep, principal: PrincipalDep) -> object:
    return service.get_user(session, principal, user_id)


@router.post("/users/{user_id}/deactivate", response_model=schemas.UserRead)
def deactivate_user(user_id: UserId, payload: schemas.Deactivation, session: SessionDep,
                    principal: PrincipalDep) -> object:
    """At once: no sign-in, every session revoked, the API keys the user created revoked."""
    return service.deactivate_user(session, principal, user_id, payload.reason)


@router.post("/users/{user_id}/reactivate", response_model=schemas.UserRead)
def reactivate_user(user_id: UserId, session: SessionDep, principal: PrincipalDep) -> object:
    """The user may sign in again (revoked sessions and keys stay revoked)."""
    return service.reactivate_user(session, principal, user_id)


@router.post("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(user_id: UserId, payload: schemas.PasswordReset, session: SessionDep,
                   principal: PrincipalDep) -> Response:
    """Set a user's password (admin); every session of the user is signed out."""
    service.reset_password(session, principal, user_id, payload.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED,
             response_model=schemas.ApiKeyCreated)
def create_api_key(payload: schemas.ApiKeyCreate, session: SessionDep,
                   principal: PrincipalDep) -> object:
    api_key, key = service.create_api_key(session, principal, payload)
    return schemas.ApiKeyCreated(**schemas.ApiKeyRead.model_validate(api_key).model_dump(),
                                 key=key)


@router.get("/api-keys", response_model=Page[schemas.ApiKeyRead])
def list_api_keys(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    rows, cursor = service.list_api_keys(session, principal, page)
    return {"rows": rows, "next_cursor": cursor}


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: KeyId, session: SessionDep, principal: PrincipalDep) -> Response:
    service.revoke_api_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit", response_model=Page[schemas.AuditEntryRead], tags=["audit"])
def list_audit(session: SessionDep, principal: PrincipalDep, page: PageDep,
               filters: Annotated[schemas.AuditFilters, Query()]) -> object:
    """Who changed what, oldest first. Admins read every entry; reviewers those about
    compliance flags and the complaints they may see (escalated ones). Filter by `action`,
    `entity_type`, `entity_id`, `actor_user_id`, and a time window `since` <= at < `until`
    (ISO 8601; UTC when no zone is given)."""
    rows, cursor = audit.list_audit(session, principal, filters, page)
    return {"rows": rows, "next_cursor": cursor}
