from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import schemas, service
from app.auth.principal import PrincipalDep, SessionDep
from app.core.pagination import Page
from app.core.security import create_access_token

router = APIRouter(tags=["authentication"])


@router.post("/auth/token", response_model=schemas.Token)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> object:
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
def list_api_keys(session: SessionDep, principal: PrincipalDep) -> object:
    return {"rows": service.list_api_keys(session, principal), "next_cursor": None}


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    service.revoke_api_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
