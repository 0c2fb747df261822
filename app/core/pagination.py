"""Keyset pagination shared by every list endpoint: `{"rows": [...], "next_cursor": ...}`."""

import base64
import hashlib
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.config import get_settings
from app.core.errors import Invalid

RowT = TypeVar("RowT")
MAX_LIMIT = 1000


class Page(BaseModel, Generic[RowT]):
    rows: list[RowT]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 100
    cursor: str | None = None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=256,
                                        description="the previous page's next_cursor")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


# A cursor holds the last row's internal id, encrypted and authenticated (Fernet, with a key
# derived from SECRET_KEY): a readable id would tell a reader how many records were made
# between two of its own, those it may not see included (issue 13, finding 1).
@cache
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"chainboard pagination cursor\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _decode(cursor: str) -> int:
    try:
        last_id = int(_fernet(get_settings().secret_key).decrypt(cursor.encode()).decode())
    except (InvalidToken, ValueError, UnicodeError) as exc:
        raise Invalid("cursor: not a cursor this service gave out") from exc
    if not 0 <= last_id < 2**63:  # ids are 64-bit; anything else was made up
        raise Invalid("cursor: not a cursor this service gave out")
    return last_id


def _encode(last_id: int) -> str:
    return _fernet(get_settings().secret_key).encrypt(str(last_id).encode()).decode()


def paginate(session: Session, stmt: Select[Any], id_column: InstrumentedAttribute[int],
             params: PageParams) -> tuple[list[Any], str | None]:
    """Rows of `stmt` (ordered by `id_column`) after the cursor, and the next cursor."""
    if params.cursor:
        stmt = stmt.where(id_column > _decode(params.cursor))
    rows = list(session.scalars(stmt.order_by(id_column).limit(params.limit + 1)))
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, _encode(getattr(rows[-1], id_column.key))
