from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import audit, schemas, service
from app.auth.principal import PrincipalDep, ReadSessionDep, SessionDep, public_id_path
from app.core.pagination import Page, PageParams, page_params
from app.core.ratelimit import login_limiter
from app.core.security import create_access_token

router = APIRouter(tags=["authentication"])
PageDep = Annotated[PageParams, Depends(page_params)]
KeyId = Annotated[str, public_id_path("key_id", "API key")]


@router.post("/auth/token", response_model=schemas.Token)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: ReadSessionDep,
          request: Request) -> object:
    # Counted before the password is checked: guesses cost the guesser, right or wrong.
    client = request.client.host if request.client else "unknown"
    login_limiter().check("username", form.username.strip().lower()[:64], client)
    user = service.authenticate(session, form.username, form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "username or password is wrong",
                            headers={"WWW-Authenticate": "Bearer"})
    return schemas.Token(access_token=create_access_token(user.id))


@router.get("/auth/me", response_model=schemas.Me)
def me(principal: PrincipalDep) -> object:
    return schemas.Me(role=principal.role, organisation_id=principal.organisation_id,
                      user_id=principal.user_id, username=principal.username)


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=schemas.UserRead)
def create_user(payload: schemas.UserCreate, session: SessionDep,
                principal: PrincipalDep) -> object:
    return service.create_user(session, principal, payload)


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
