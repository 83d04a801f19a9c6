"""Portable upserts and batched ``IN`` lists.

``INSERT ... ON CONFLICT (...) DO UPDATE`` through each dialect's own ``insert()``
(SQLite and PostgreSQL spell it the same way and SQLAlchemy builds both), executed as
one executemany for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's parameter limits."""

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
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update: UpdateBuilder | None,
) -> None:
    """Insert ``rows``; on a conflict on ``conflict_columns`` update (or, None, skip)."""
    if not rows:
        return
    name = connection.dialect.name
    if name == "sqlite":
        statement: Any = sqlite.insert(table)
    elif name == "postgresql":
        statement = postgresql.insert(table)
    else:  # pragma: no cover - create_ledger_engine refuses other dialects
        raise NotImplementedError(f"upsert on {name}")
    if update is None:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    else:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict_columns), set_=dict(update(statement.excluded, table))
        )
    connection.execute(statement, list(rows))


def greatest(current: ColumnElement[Any], incoming: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two nullable timestamps (portable: no GREATEST/MAX on SQLite)."""
    return case(
        (incoming.is_(None), current),
        (current.is_(None), incoming),
        (incoming > current, incoming),
        else_=current,
    )
