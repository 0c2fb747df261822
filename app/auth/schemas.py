import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.auth.principal import MAX_RECORD_ID
from app.models.auth import Role

# A record id in a request body: out-of-range ids are a validation error naming the field,
# never a database error.
RecordId = Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]
# `id` of a record read from its row: the row's public id (app.models.base.PublicId), never
# its integer key. The second choice lets a dumped model be validated again.
PublicIdField: Any = Field(validation_alias=AliasChoices("public_id", "id"),
                           description="the record's public id (random; never a count)")
# A boolean in a request body: JSON true or false only (StrictInput refuses a plain bool).
Flag = StrictBool


def _non_finite_as_text(value: Any, where: str = "") -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": still refused below, but printable in the 422
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL cannot store NUL in text; no honest value holds one.
        raise ValueError(f"{where or 'value'}: contains a NUL character")
    if isinstance(value, dict):
        return {key: _non_finite_as_text(item, f"{where}.{key}".lstrip("."))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_non_finite_as_text(item, f"{where}[{index}]")
                for index, item in enumerate(value)]
    return value


class StrictInput(BaseModel):
    """Base of request bodies: unknown fields refused, strings trimmed, numbers finite, no NUL
    characters in text.

    JSON's NaN/Infinity extensions arrive as floats; the 422 that refuses them echoes the input,
    and a float NaN cannot be written as JSON (the answer would be a 500), so they become text
    before validation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _printable_non_finite_numbers(cls, data: Any) -> Any:
        return _non_finite_as_text(data)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Booleans are strict: JSON true or false, never 0, 1 or "true" (a lax `bool` took
        `{"confidential": 0}` as false). A plain `bool` field is refused when the class is
        defined, so no request body can forget it."""
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            if info.annotation in (bool, bool | None) and not any(
                    getattr(item, "strict", False) for item in info.metadata):
                raise TypeError(f"{cls.__name__}.{name}: a request body's boolean must be "
                                "StrictBool (app.auth.schemas.StrictInput)")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"username": "asha.patel", "password": "a long passphrase",
                      "role": "provider_user", "organisation_id": 3}]})

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(
        min_length=8, max_length=256,
        description="8 characters or more, hard to guess (app.auth.passwords): a passphrase of "
                    "several unrelated words, not containing the username or organisation name")
    role: Role
    organisation_id: RecordId | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    organisation_id: int | None
    is_active: bool
    created_at: datetime


class UserFilters(BaseModel):
    role: Role | None = None
    organisation_id: RecordId | None = None
    is_active: bool | None = Field(None, description="true: active users; false: deactivated")


_NEW_PASSWORD = Field(
    min_length=8, max_length=256,
    description="8 characters or more, hard to guess (app.auth.passwords): a passphrase of "
                "several unrelated words, not containing the username or organisation name")


class PasswordChange(StrictInput):
    """The signed-in user's own password; the user's other sessions are signed out."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = _NEW_PASSWORD


class PasswordReset(StrictInput):
    """An admin sets a user's password; every session of the user is signed out."""

    new_password: str = _NEW_PASSWORD


class Deactivation(StrictInput):
    reason: str | None = Field(None, max_length=200, description="kept in the audit log")


class ApiKeyCreate(StrictInput):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"name": "case-management nightly upload", "organisation_id": 3}]})

    name: str = Field(min_length=1, max_length=100)
    organisation_id: RecordId | None = Field(
        default=None, description="admins choose; others get a key for their own organisation")
    role: Role | None = Field(
        default=None, description="defaults to the creator's role; never more rights than it")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = PublicIdField
    name: str
    organisation_id: int | None
    role: str
    prefix: str
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="shown once; only its hash is stored")


class Me(BaseModel):
    role: str
    organisation_id: int | None
    user_id: int | None
    username: str | None


# -- the audit log (GET /audit) ------------------------------------------------------------------
class AuditFilters(BaseModel):
    """Filters of the audit log's reader; `since` and `until` without a zone are UTC."""

    action: str | None = Field(None, max_length=64, description="e.g. payment.record")
    entity_type: str | None = Field(None, max_length=32, description="e.g. complaint")
    entity_id: str | None = Field(None, max_length=32, description=(
        "the entity's id as answers show it: a public id, or an organisation's, contract's, "
        "user's or membership's number"))
    actor_user_id: RecordId | None = None
    since: datetime | None = Field(None, description="entries at or after this time")
    until: datetime | None = Field(None, description="entries before this time")


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "q8ZfT1mWc0yRb5LdN2xKpA", "at": "2026-03-02T10:14:05Z", "actor_user_id": 3,
        "actor_org_id": 1, "action": "payment.record", "entity_type": "payment",
        "entity_id": "Vd2n8QpLx4TgW0sKe7YbJa",
        "details": {"contract_id": 1, "provider_id": 6, "amount": "18450.00",
                    "invoice_date": "2026-02-01", "paid_date": None, "terms_days": 30}}]})

    id: str = PublicIdField
    at: datetime
    actor_user_id: int | None
    actor_org_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any]
