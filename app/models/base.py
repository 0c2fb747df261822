"""Declarative base with one MetaData and a naming convention (stable constraint names in
migrations on both SQLite and PostgreSQL)."""

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; SQLite's rowid alias must be declared INTEGER to autoincrement.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# -- public ids (docs/decisions.md, "Opaque public identifiers") ---------------------------------
# Records whose existence some reader may not be shown (flags, complaints and their entries,
# notifications, audit rows, payments, API keys) are named outside the database by a random
# public id: not a counter, not a time, not derived from the integer key, so an id tells
# nothing about records made before or after it. Integer keys stay internal (joins, ordering).
PUBLIC_ID_LENGTH = 22  # secrets.token_urlsafe(16): 128 random bits
_PUBLIC_ID = re.compile(rf"[A-Za-z0-9_-]{{{PUBLIC_ID_LENGTH}}}")


def new_public_id() -> str:
    """Never starting with "-": a spreadsheet reads such a cell as a formula, so CSV exports
    neutralise it with a leading quote, and the id in the file would no longer be the id."""
    while (value := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return value


def is_public_id(value: str) -> bool:
    """Whether `value` has the form of a public id (anything else names no record)."""
    return _PUBLIC_ID.fullmatch(value) is not None


class PublicId:
    """Mixin: the `public_id` column, set on insert, unique, shown as `id` in every answer."""

    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True, index=True,
                                           default=new_public_id)
