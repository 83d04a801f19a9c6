"""Executemany of plain tuples: a Core statement compiled once per dialect, run by the driver.

SQLAlchemy's own executemany of a compiled statement processes every row in Python: a
dict per row, then each column's bind processor (the JSON serializer, the date-time
formatter) and, for an ``IN`` list, the statement rendered again per call. On the
ledger's hot writes (a link, a queued write-back, a dead letter stamped, per record)
that was most of a batch's commit. A :class:`BulkStatement` is the same Core statement
compiled once per dialect to its positional SQL; :meth:`BulkStatement.run` hands the
driver the caller's tuples as they are, through the connection's
``exec_driver_sql`` (so the transaction, the statement events and the SQLite busy
handler are the connection's), and the caller passes each value in the form its
column stores (see :func:`crm_sync.ledger.models.stamp_binder`, JSON as text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any, cast

from sqlalchemy import BindParameter, Connection, Select, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["BulkStatement", "InQuery"]


class BulkStatement:
    """A statement whose bound parameters are ``names``, in that order.

    ``build(dialect_name)`` makes the Core statement (dialect-specific constructs such as
    ``ON CONFLICT`` need the dialect's ``insert()``); its positional parameters must be
    exactly ``names`` in order, checked when it is first compiled.

    ``arrays``: on PostgreSQL, ``build`` binds the last ``arrays`` names as arrays
    (``column = ANY(...)``; two for pairs, ``unnest(...)``) and the rows sharing their
    other values go as one statement: psycopg runs an executemany as one pipelined
    statement per row, in Python.
    """

    def __init__(self, names: Sequence[str], build: Any, *, arrays: int = 0) -> None:
        self.names = tuple(names)
        self._build = build
        self._sql: dict[tuple[str, str], str] = {}
        self._lock = Lock()
        self.arrays = arrays

    def sql(self, dialect: Dialect) -> str:
        """The statement's positional SQL for ``dialect`` (compiled on first use)."""
        key = (dialect.name, dialect.driver)  # each driver its own SQL (casts, paramstyle)
        found = self._sql.get(key)
        if found is None:
            with self._lock:
                found = self._sql.get(key) or self._compile(dialect)
                self._sql[key] = found
        return found

    def _compile(self, dialect: Dialect) -> str:
        positional = dialect if dialect.positional else _format_dialect(dialect)
        statement: ClauseElement = self._build(dialect.name)
        compiled = cast(SQLCompiler, statement.compile(dialect=positional, for_executemany=True))
        order = tuple(compiled.positiontup or ())
        if order != self.names:
            raise AssertionError(f"bulk statement binds {order}, declared {self.names}")
        return compiled.string

    def run(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Execute once per row of ``rows`` (an executemany; nothing if empty)."""
        if not rows:
            return
        sql = self.sql(connection.dialect)
        if not (self.arrays and connection.dialect.name == "postgresql"):
            connection.exec_driver_sql(sql, list(rows))
            return
        split = len(self.names) - self.arrays
        groups: dict[tuple[Any, ...], list[list[Any]]] = {}
        for row in rows:
            arrays = groups.setdefault(tuple(row[:split]), [[] for _ in range(self.arrays)])
            for array, value in zip(arrays, row[split:], strict=True):
                array.append(value)
        connection.exec_driver_sql(sql, [(*lead, *arrays) for lead, arrays in groups.items()])


def _format_dialect(dialect: Dialect) -> Dialect:
    """``dialect``'s class with the ``format`` paramstyle (``%s``): psycopg takes both."""
    return type(dialect)(paramstyle="format")  # type: ignore[call-arg]


ListBinds = Mapping[str, Sequence[BindParameter[Any]]]
"""Each ``IN`` list's name -> one bound parameter per item (what a query builder takes)."""


class InQuery:
    """A SELECT with ``IN`` lists, compiled once per dialect and list lengths, run by the
    driver; each value of its rows processed by its column's own type, as SQLAlchemy's
    result would (a JSON base decoded, a SQLite date-time made aware UTC).

    ``build(lists)`` makes the statement: ``lists`` maps each list's name to its binds
    (``column.in_(lists["ids"])``; for an empty list, leave its condition out); other
    values are ``bindparam(name)``. An ``IN`` list's
    expanding parameter is rendered again on every call by SQLAlchemy: a batch's lookups
    asked it several times per batch. Lists are padded to a power of two (:func:`_padded`),
    so a query has a few compiled shapes, not one per list length.
    """

    def __init__(self, build: Callable[[ListBinds], Select[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[Any, ...], _Shape] = {}
        self._lock = Lock()

    def rows(
        self,
        connection: Connection,
        values: Mapping[str, Any],
        lists: Mapping[str, Sequence[Any]],
    ) -> list[tuple[Any, ...]]:
        """The rows for ``values`` (by bind name) and ``lists`` (by list name)."""
        dialect = connection.dialect
        lists = {name: _padded(items) for name, items in lists.items()}
        key = (dialect.name, dialect.driver, *((name, len(items)) for name, items in lists.items()))
        shape = self._compiled.get(key)
        if shape is None:
            with self._lock:
                shape = self._compile(dialect, {name: len(items) for name, items in lists.items()})
                self._compiled[key] = shape
        named = {**shape.constants, **values}
        args = tuple(
            named[name] if at is None else lists[name][at] for name, at in shape.parameters
        )
        rows = connection.exec_driver_sql(shape.sql, args).fetchall()
        if not any(shape.processors):
            return [tuple(row) for row in rows]
        steps = shape.processors
        return [tuple(_processed(steps, row)) for row in rows]

    def _compile(self, dialect: Dialect, lengths: Mapping[str, int]) -> _Shape:
        binds: dict[str, list[BindParameter[Any]]] = {
            name: [bindparam(f"{name}_{k}") for k in range(n)] for name, n in lengths.items()
        }
        at = {b.key: (name, k) for name, items in binds.items() for k, b in enumerate(items)}
        statement = self._build(binds)
        positional = dialect if dialect.positional else _format_dialect(dialect)
        compiled = statement.compile(dialect=positional)
        order = compiled.positiontup or ()
        parameters = tuple(at.get(key, (key, None)) for key in order)
        constants = {  # a literal of the statement (a side's name) is a bound parameter too
            key: compiled.binds[key].effective_value
            for key in order
            if key not in at and not compiled.binds[key].required
        }
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        return _Shape(compiled.string, parameters, constants, processors)


def _padded(items: Sequence[Any]) -> Sequence[Any]:
    """``items`` lengthened to the next power of two by repeating its last one: an ``IN``
    list means the same with repeats, and a query compiles once per length, so its
    shapes stay a few per list (1, 2, 4 ... 1,024) instead of one per length seen."""
    n = len(items)
    size = 1 << (n - 1).bit_length() if n else 0
    if size == n:
        return items
    return [*items, *([items[-1]] * (size - n))]


def _processed(steps: Sequence[Callable[[Any], Any] | None], row: Sequence[Any]) -> Iterator[Any]:
    for step, value in zip(steps, row, strict=True):
        yield value if step is None else step(value)


@dataclass(frozen=True, slots=True)
class _Shape:
    sql: str
    parameters: tuple[tuple[str, int | None], ...]
    """Per positional parameter: ``(bind name, None)`` or ``(list name, index)``."""
    constants: Mapping[str, Any]
    """The statement's own literals, by bind name."""
    processors: tuple[Callable[[Any], Any] | None, ...]
