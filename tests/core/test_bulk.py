"""app.core.bulk on SQLite: the fast path stores what SQLAlchemy's own insert would."""

from datetime import UTC, date, datetime

from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.orm import Session

from app.core.bulk import insert_rows
from app.core.db import make_engine
from app.models.base import UTCDateTime

_ROWS = [
    {"id": 1, "day": date(2026, 3, 2), "at": datetime(2026, 3, 2, 9, 30, 5, 123456, tzinfo=UTC),
     "hours": 37.5, "note": "a"},
    # Microseconds 0, a year below 1000 and empty values: the edges of the text formats.
    {"id": 2, "day": date(999, 1, 9), "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
     "hours": None, "note": None},
    {"id": 3, "day": None, "at": None, "hours": 16, "note": "c"},
]


def _table(metadata: MetaData, name: str) -> Table:
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("day", Date),
                 Column("at", UTCDateTime), Column("hours", Float), Column("note", String(8)))


def test_sqlite_bulk_insert_stores_what_sqlalchemy_stores() -> None:
    metadata = MetaData()
    ours, theirs = _table(metadata, "ours"), _table(metadata, "theirs")
    engine = make_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        insert_rows(session, ours, [dict(row) for row in _ROWS])
        session.execute(insert(theirs), [dict(row) for row in _ROWS])
        stored = {name: session.execute(text(
            f"SELECT id, day, at, typeof(hours), hours, note FROM {name} ORDER BY id")).all()
            for name in ("ours", "theirs")}
        read_back = session.execute(select(ours).order_by(ours.c.id)).all()
    # Dates and numbers: the same text and values as SQLAlchemy's insert.
    assert [row[:2] + row[3:] for row in stored["ours"]] == \
        [row[:2] + row[3:] for row in stored["theirs"]]
    # Timestamps: sqlite3's text, as this path has always written them (SQLAlchemy's own
    # insert writes .000000 for a whole second; both read back the same).
    assert [row.at for row in stored["ours"]] == [
        "2026-03-02 09:30:05.123456", "2026-03-02 09:00:00", None]
    assert [tuple(row) for row in read_back] == [
        (r["id"], r["day"], r["at"], r["hours"], r["note"]) for r in _ROWS]
