"""Fast multi-row writes and key look-ups, the same on both backends in effect.

PostgreSQL gets COPY (one round trip, no statement text to parse for thousands of rows) and
look-ups with one array parameter, sent as a literal; SQLite gets the driver's executemany and
look-ups with one JSON parameter read by json_each.
"""

import json
from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def column_in(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` with the values as one parameter: an array on PostgreSQL, a JSON
    array read by json_each on SQLite (thousands of bound parameters cost more to compile
    than to look up). `column`: a mapped attribute or a table column; the values are numbers
    or strings."""
    if is_postgresql(session):
        return column == any_(_array_parameter(values, column.type))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def select_by_unique_key(session: Session, columns: Sequence[Any], key_column: Any,
                         values: Sequence[Any], *conditions: ColumnElement[bool]
                         ) -> Select[*tuple[Any, ...]]:
    """`columns` of the rows where `conditions` hold and `key_column` is one of `values`; with
    the conditions, a value matches at most one row (a unique index on them).

    On PostgreSQL, one index probe per value (a LATERAL subquery with LIMIT 1), whatever the
    table's statistics say. With `= ANY(array)` on the key's last column and statistics out of
    date (autovacuum off or behind, a table just bulk loaded), the planner seeks the index on
    `conditions` alone, reads every row they match (all of an organisation's events) and
    filters those by the array: each batch then costs in proportion to everything stored
    before it. (A one-column index keeps the array as its condition: `column_in` suffices.)"""
    if not is_postgresql(session):
        return select(*columns).where(*conditions, column_in(session, key_column, values))
    keys = func.unnest(_array_parameter(values, key_column.type)
                       ).table_valued("value").render_derived(name="keys")
    probe = (select(*columns).where(*conditions, key_column == keys.c.value)
             .limit(1).lateral("probe"))
    return select(probe).select_from(keys).join(probe, true())


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]],
                return_ids: bool = False) -> list[int]:
    """Insert `rows` (dicts with the same keys) in the session's transaction; with
    `return_ids`, the new primary keys in the order of `rows`."""
    if not rows:
        return []
    if not is_postgresql(session):
        if return_ids:
            # The caller holds SQLite's write lock (BEGIN IMMEDIATE), so the next ids are ours;
            # per-row RETURNING would cost a statement per row.
            first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
            rows = [{**row, "id": new_id} for new_id, row in enumerate(rows, start=first)]
        _sqlite_executemany(session, table, rows)
        return [row["id"] for row in rows] if return_ids else []
    ids: list[int] = []
    if return_ids:
        ids = list(session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}).scalars())
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    columns = list(rows[0])
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        # Binary COPY with declared types: about three times cheaper per row than text.
        copy.set_types([_postgres_type(table.c[name].type) for name in columns])
        for row in rows:
            copy.write_row([row[column] for column in columns])
    return ids


_POSTGRES_TYPES = {"BIGINT": "int8", "INTEGER": "int4", "SMALLINT": "int2", "VARCHAR": "varchar",
                   "TEXT": "text", "DATE": "date", "TIMESTAMP WITH TIME ZONE": "timestamptz",
                   "FLOAT": "float8", "DOUBLE PRECISION": "float8", "NUMERIC": "numeric",
                   "BOOLEAN": "bool", "JSON": "json"}


def _postgres_type(column_type: Any) -> str:
    name = column_type.compile(dialect=postgresql.dialect()).split("(")[0].strip()
    return _POSTGRES_TYPES[name]


def add_counts(session: Session, table: Table, keys: Sequence[str], counts: Sequence[str],
               rows: list[dict[str, Any]]) -> None:
    """Upsert `rows` adding their `counts` to the stored row with the same `keys` (the primary
    key), in one statement on PostgreSQL (`unnest` of one array per column) and the driver's
    executemany on SQLite. Rows must have distinct keys; callers sort them so that concurrent
    transactions lock shared rows in the same order."""
    if not rows:
        return
    columns = [*keys, *counts]
    upsert = (f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
              + ", ".join(f"{count} = {table.name}.{count} + excluded.{count}"
                          for count in counts))
    if not is_postgresql(session):
        _sqlite_executemany(session, table, rows, suffix=upsert)
        return
    arrays = ", ".join(f"CAST(:{name} AS {_postgres_type(table.c[name].type)}[])"
                       for name in columns)
    session.execute(
        text(f"INSERT INTO {table.name} ({', '.join(columns)}) "
             f"SELECT * FROM unnest({arrays}) {upsert}"),
        {name: array_literal([row[name] for row in rows]) for name in columns})


def _array_parameter(values: Sequence[Any], element_type: Any) -> ColumnElement[Any]:
    """One PostgreSQL array parameter of `values`, sent as a literal (see array_literal)."""
    return cast(bindparam(None, array_literal(values), type_=Text()), ARRAY(element_type))


def array_literal(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of numbers, dates or strings (no NULLs), for the statement
    to cast: psycopg adapts a list element by element in Python, at about four times the cost
    of this join (a tenth of an ingestion batch's server time went there)."""
    if values and isinstance(values[0], str):
        quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
                  for value in values)
        return "{" + ",".join(quoted) + "}"
    return "{" + ",".join(map(str, values)) + "}"


def _sqlite_executemany(session: Session, table: Table, rows: list[dict[str, Any]],
                        suffix: str = "") -> None:
    """The driver's executemany with the column types' bind processors applied once per value
    (what SQLAlchemy does, without its per-row bookkeeping); `suffix` ends the INSERT."""
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    # Column by column with C-level map and zip: the per-row Python work was a tenth of a
    # batch's time.
    column_values = []
    for name in columns:
        values = list(map(itemgetter(name), rows))
        column_type = table.c[name].type
        process = column_type.bind_processor(dialect)
        if isinstance(column_type, JSON):  # dicts and lists: not hashable, rarely repeated
            values = [None if value is None else _sqlite_text(process(value) if process
                                                              else value)
                      for value in values]
        elif process is not None or column_type.python_type in (date, datetime):
            # Dates and the batch's one timestamp repeat across rows: convert each once
            # (the columns written here hold scalars, which are hashable).
            converted = {value: _sqlite_text(process(value) if process else value)
                         for value in set(values)}
            values = list(map(converted.__getitem__, values))
        column_values.append(values)
    placeholders = ", ".join("?" * len(columns))
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    driver_connection.executemany(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders}) {suffix}",
        zip(*column_values, strict=True))


def _sqlite_text(value: Any) -> Any:
    """A date or datetime as the text sqlite3's default adapters store (deprecated in Python
    3.12), converted here once per distinct value instead of by the driver once per row."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
