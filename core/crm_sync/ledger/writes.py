"""The unit of work's per-record writes as :class:`~crm_sync.ledger.bulk.BulkStatement`.

Each is one row's statement, run as an executemany of plain tuples (values in the form
the column stores). Updates and deletes of one record go by a unique index
(``uq_sync_record_hs``, ``uq_pending_association``, ``uq_dead_letter``): a probe a row,
never a scan, and no ``IN`` list rendered per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnClause,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    literal_column,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from crm_sync.ledger.bulk import BulkStatement
from crm_sync.ledger.models import DeadLetterRow, PendingAssociationRow, SyncRecordRow
from crm_sync.ledger.upsert import UpdateBuilder, greatest, on_conflict

__all__ = [
    "LINK",
    "LINK_WITH_BASE",
    "PENDING",
    "PENDING_DROP",
    "RESOLVE_LETTER",
    "RESOLVE_LETTER_OF_CODE",
    "SEEN_LETTER",
    "UNPAIR",
    "one_of",
    "upsert_statement",
]

_RECORDS = SyncRecordRow.__table__
_PENDING = PendingAssociationRow.__table__
_LETTERS = DeadLetterRow.__table__
ONE: ColumnClause[Any] = literal_column("1")
"""The constant 1 written into the SQL (a bound 1 would be a parameter of each row)."""


def upsert_statement(
    table: Table, columns: tuple[str, ...], conflict: list[str], update: UpdateBuilder | None
) -> BulkStatement:
    """:func:`~crm_sync.ledger.upsert.on_conflict` binding ``columns``, in the table's
    order (SQLAlchemy's), every column with a default included: the driver applies none."""
    return BulkStatement(
        columns,
        lambda dialect: on_conflict(dialect, table, conflict, update).values(
            {name: bindparam(name) for name in columns}
        ),
    )


def _link_update(with_base: bool) -> Any:
    def set_(excluded: Any, table: Table) -> dict[str, Any]:
        """A new hs_id, later times only, the base if the batch set one."""
        return {
            "hs_id": excluded.hs_id,
            "sf_modified_at": greatest(table.c.sf_modified_at, excluded.sf_modified_at),
            "hs_modified_at": greatest(table.c.hs_modified_at, excluded.hs_modified_at),
            "updated_at": excluded.updated_at,
            **({"base": excluded.base} if with_base else {}),
        }

    return set_


_TIMES = ("sf_modified_at", "hs_modified_at", "updated_at")
LINK_WITH_BASE = upsert_statement(
    _RECORDS, ("mapping", "sf_id", "hs_id", "base", *_TIMES), ["mapping", "sf_id"],
    _link_update(with_base=True),
)  # fmt: skip
"""Link a pair and set its base: ``(mapping, sf_id, hs_id, base JSON text, sf_modified_at,
hs_modified_at, updated_at)``."""
LINK = upsert_statement(
    _RECORDS, ("mapping", "sf_id", "hs_id", *_TIMES), ["mapping", "sf_id"],
    _link_update(with_base=False),
)  # fmt: skip
"""Link a pair keeping its stored base: ``LINK_WITH_BASE`` without the base."""

UNPAIR = BulkStatement(
    ("mapping", "hs_id", "sf_id"),
    lambda _dialect: delete(_RECORDS).where(
        _RECORDS.c.mapping == bindparam("mapping"),
        _RECORDS.c.hs_id == bindparam("hs_id"),
        _RECORDS.c.sf_id != bindparam("sf_id"),
    ),
)
"""Drop the link of ``hs_id`` to another Salesforce id than ``sf_id`` (a re-link)."""

PENDING = upsert_statement(
    _PENDING,
    ("mapping", "direction", "from_id", "lookup", "label", "type_id", "category",
     "target_mapping", "target_source_id", "attempts", "reason", "last_error", "created_at",
     "updated_at"),
    ["mapping", "direction", "from_id", "lookup"],
    lambda ex, t: {
        "label": ex.label,
        "type_id": ex.type_id,
        "category": ex.category,
        "target_mapping": ex.target_mapping,
        "target_source_id": ex.target_source_id,
        "reason": ex.reason,
        "last_error": ex.last_error,
        "attempts": t.c.attempts + ONE,
        "updated_at": ex.updated_at,
    },
)  # fmt: skip
"""Park an association (attempts 1; parked again: attempts + 1)."""

PENDING_DROP = BulkStatement(
    ("mapping", "direction", "lookup", "from_id"),
    lambda dialect: delete(_PENDING).where(
        _PENDING.c.mapping == bindparam("mapping"),
        _PENDING.c.direction == bindparam("direction"),
        _PENDING.c.lookup == bindparam("lookup"),
        one_of(dialect, _PENDING.c.from_id, "from_id"),
    ),
    arrays=1,
)
"""Drop a parked association that was made."""


def one_of(dialect: str, column: Any, name: str) -> Any:
    """``column = :name``; on PostgreSQL ``column = ANY(:name)``, ``name`` an array (the
    last column of a :class:`BulkStatement` with ``arrays=1``)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String())))
    return column == bindparam(name)


def _open_letter(dialect: str, *extra: Any) -> Any:
    return and_(
        _LETTERS.c.mapping == bindparam("mapping"),
        _LETTERS.c.direction == bindparam("direction"),
        *extra,
        _LETTERS.c.resolved_at.is_(None),
        one_of(dialect, _LETTERS.c.source_id, "source_id"),
    )


RESOLVE_LETTER = BulkStatement(
    ("at", "mapping", "direction", "source_id"),
    lambda dialect: (
        update(_LETTERS).where(_open_letter(dialect)).values(resolved_at=bindparam("at"))
    ),
    arrays=1,
)
"""Close a record's open dead letter: ``(resolved_at, mapping, direction, source_id)``."""
RESOLVE_LETTER_OF_CODE = BulkStatement(
    ("at", "mapping", "direction", "code", "source_id"),
    lambda dialect: (
        update(_LETTERS)
        .where(_open_letter(dialect, _LETTERS.c.error_code == bindparam("code")))
        .values(resolved_at=bindparam("at"))
    ),
    arrays=1,
)
"""``RESOLVE_LETTER`` of a letter of one error code only."""
SEEN_LETTER = BulkStatement(
    ("run", "mapping", "direction", "source_id"),
    lambda dialect: update(_LETTERS).where(_open_letter(dialect)).values(seen_run=bindparam("run")),
    arrays=1,
)
"""Stamp a record's open dead letter with the run that read it."""
