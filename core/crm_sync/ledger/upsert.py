"""Portable upserts and batched ``IN`` lists.

``INSERT ... ON CONFLICT (...) DO UPDATE`` through each dialect's own ``insert()``
(SQLite and PostgreSQL spell it the same way and SQLAlchemy builds both), executed as
one executemany per :data:`UPSERT_CHUNK` rows (all in the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's parameter limits."""

UPSERT_CHUNK = 1_000
"""Rows per executemany of :func:`upsert`: the driver's bound parameters (a JSON base
serialised per row) for a whole 10,000-record batch at once were the largest transient
of the Salesforce target's memory; a chunk bounds them, and changes neither the
transaction nor the statements' count on the wire (one per row either way)."""

_T = TypeVar("_T")

UpdateBuilder = Callable[[Any, Table], Mapping[str, Any]]
"""``(excluded, table) -> {column: value}`` for the DO UPDATE clause."""


def chunked(items: Sequence[_T], size: int = IN_CHUNK) -> Iterator[Sequence[_T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(
    connection: Connection,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update: UpdateBuilder | None,
) -> None:
    """Insert ``rows``; on a conflict on ``conflict_columns`` update (or, None, skip).

    ``rows`` may be a generator: it is read :data:`UPSERT_CHUNK` rows at a time.
    """
    parts = _lists(rows, UPSERT_CHUNK)
    first = next(parts, None)
    if first is None:
        return
    statement = on_conflict(connection.dialect.name, table, conflict_columns, update)
    connection.execute(statement, first)
    for part in parts:
        connection.execute(statement, part)


def on_conflict(
    dialect: str, table: Table, conflict_columns: Sequence[str], update: UpdateBuilder | None
) -> Any:
    """``INSERT INTO table ... ON CONFLICT (conflict_columns)`` ``DO UPDATE`` (or, None,
    ``DO NOTHING``) in ``dialect``'s own ``insert()``; values come with the execution or
    a ``.values()``."""
    if dialect == "sqlite":
        statement: Any = sqlite.insert(table)
    elif dialect == "postgresql":
        statement = postgresql.insert(table)
    else:  # pragma: no cover - create_ledger_engine refuses other dialects
        raise NotImplementedError(f"upsert on {dialect}")
    if update is None:
        return statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update(statement.excluded, table))
    )


def _lists(rows: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``rows`` as lists of at most ``size`` (``itertools.batched`` is Python 3.12)."""
    it = iter(rows)
    while part := list(islice(it, size)):
        yield part


def greatest(current: ColumnElement[Any], incoming: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two nullable timestamps (portable: no GREATEST/MAX on SQLite)."""
    return case(
        (incoming.is_(None), current),
        (current.is_(None), incoming),
        (incoming > current, incoming),
        else_=current,
    )
