"""app.core.bulk: the SQLite fast path stores what SQLAlchemy's own insert would; look-ups by
a unique key find each key's row and, on PostgreSQL, probe the index whatever the statistics."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Date,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.core.bulk import add_counts, array_literal, insert_rows, select_by_unique_key
from app.core.db import make_engine
from app.models.base import UTCDateTime

_ROWS: list[dict[str, Any]] = [
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


@pytest.fixture()
def keyed(engine: Engine) -> Iterator[tuple[Session, Table]]:
    """A table with a unique (org, key), 3,000 rows of one organisation and 10 of another,
    never analysed (as after a bulk load, or with autovacuum off)."""
    metadata = MetaData()
    table = Table("bulk_probe_test", metadata, Column("id", Integer, primary_key=True),
                  Column("org", Integer, nullable=False), Column("key", String(16), nullable=False),
                  Column("digest", String(8)), UniqueConstraint("org", "key"))
    metadata.create_all(engine)
    try:
        with Session(engine) as session:
            insert_rows(session, table, [
                {"id": n, "org": 1 if n <= 3000 else 2, "key": f"K{n % 3000:05d}",
                 "digest": f"d{n}"} for n in range(1, 3011)])
            session.commit()
            yield session, table
    finally:
        metadata.drop_all(engine)


def test_select_by_unique_key_finds_each_present_key_once(keyed: tuple[Session, Table]) -> None:
    session, table = keyed
    wanted = ["K00007", "K02999", "nope", "K00001"]
    rows = session.execute(select_by_unique_key(
        session, (table.c.key, table.c.digest), table.c.key, wanted, table.c.org == 2)).all()
    # org 2 holds K03001..K03010 as keys K00001..K00010: only K00001 and K00007 are its own.
    assert sorted(map(tuple, rows)) == [("K00001", "d3001"), ("K00007", "d3007")]


def test_select_by_unique_key_probes_the_index_without_statistics(
        keyed: tuple[Session, Table]) -> None:
    session, table = keyed
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the planner question is PostgreSQL's")
    stmt = select_by_unique_key(session, (table.c.key,), table.c.key,
                                [f"K{n:05d}" for n in range(2000)], table.c.org == 1)
    compiled = stmt.compile(session.get_bind())
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(
        f"EXPLAIN {compiled}", compiled.params))
    # Each key is an index condition: no scan of all of org 1's rows filtered by the list.
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("org = 1" in line and "keys.value" in line for line in conditions), plan


def test_add_counts_adds_to_rows_with_awkward_keys(engine: Engine) -> None:
    """Upserted counts add up per key, whatever characters a text key holds (PostgreSQL gets
    them inside an array literal)."""
    metadata = MetaData()
    table = Table("bulk_counts_test", metadata,
                  Column("name", String(16), primary_key=True),
                  Column("day", Date, primary_key=True), Column("events", Integer))
    names = ['plain', 'with "quotes"', "back\\slash", "{brace},comma", " spaced ", "NULL", "é"]
    day = date(2026, 3, 2)
    metadata.create_all(engine)
    try:
        with Session(engine) as session:
            add_counts(session, table, ("name", "day"), ("events",),
                       [{"name": name, "day": day, "events": 1} for name in names])
            add_counts(session, table, ("name", "day"), ("events",),
                       [{"name": name, "day": day, "events": 2} for name in names[:3]])
            session.commit()
            stored = dict(session.execute(select(table.c.name, table.c.events)).all())
        assert stored == {name: 3 if name in names[:3] else 1 for name in names}
        assert set(stored) == set(names)
    finally:
        metadata.drop_all(engine)


@pytest.mark.parametrize("values", [[], [3, -1, 2], [date(2026, 3, 2), date(999, 1, 9)],
                                    ['a "b"', "c\\d", "{e},f", " g ", "NULL", ""]])
def test_array_literal_reads_back_as_the_values(engine: Engine, values: list[object]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL array literal")
    element = {int: "int8", date: "date", str: "text"}[type(values[0]) if values else int]
    with engine.connect() as conn:
        read = conn.execute(text(f"SELECT CAST(:values AS {element}[])"),
                            {"values": array_literal(values)}).scalar_one()
    assert read == values
