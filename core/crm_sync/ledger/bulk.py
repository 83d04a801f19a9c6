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

from collections.abc import Sequence
from threading import Lock
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["BulkStatement"]


class BulkStatement:
    """A statement whose bound parameters are ``names``, in that order.

    ``build(dialect_name)`` makes the Core statement (dialect-specific constructs such as
    ``ON CONFLICT`` need the dialect's ``insert()``); its positional parameters must be
    exactly ``names`` in order, checked when it is first compiled.
    """

    def __init__(self, names: Sequence[str], build: Any) -> None:
        self.names = tuple(names)
        self._build = build
        self._sql: dict[str, str] = {}
        self._lock = Lock()

    def sql(self, dialect: Dialect) -> str:
        """The statement's positional SQL for ``dialect`` (compiled on first use)."""
        found = self._sql.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._sql.get(dialect.name) or self._compile(dialect)
                self._sql[dialect.name] = found
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
        if rows:
            connection.exec_driver_sql(self.sql(connection.dialect), list(rows))


def _format_dialect(dialect: Dialect) -> Dialect:
    """``dialect``'s class with the ``format`` paramstyle (``%s``): psycopg takes both."""
    return type(dialect)(paramstyle="format")  # type: ignore[call-arg]
