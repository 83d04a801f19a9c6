"""Upgrades of an existing ledger, one step per schema version.

The tables are created from the models (:mod:`crm_sync.ledger.models`) when missing, so
a new ledger is always at :data:`~crm_sync.ledger.models.SCHEMA_VERSION`; a ledger file
written by an earlier crm-sync only gets the columns added since, here.
:func:`crm_sync.ledger.engine.ensure_schema` runs the steps in one write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Connection, Table, inspect, select, update

from crm_sync.ledger.models import DeadLetterRow, PendingAssociationRow, PendingWriteBackRow

__all__ = ["MIGRATIONS"]


def _add_column(connection: Connection, table: Table, name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a model column a ledger lacks (nullable only)."""
    if name in {c["name"] for c in inspect(connection).get_columns(table.name)}:
        return
    kind = table.c[name].type.compile(dialect=connection.dialect)
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {kind}")


def _v2_typed_associations_and_errors(connection: Connection) -> None:
    """Association types and error fields get their own columns.

    Version 1 kept a pending association's type as JSON text in ``label`` (``{"lookup",
    "label", "type_id", "category"}``) when it had more than a lookup; it is split into
    ``label``, ``type_id`` and ``category`` here.
    """
    pending = PendingAssociationRow.__table__
    _add_column(connection, pending, "type_id")
    _add_column(connection, pending, "category")
    _add_column(connection, DeadLetterRow.__table__, "error_fields")
    rows = connection.execute(
        select(pending.c.id, pending.c.label).where(pending.c.label.like("{%"))
    ).all()
    for row_id, text in rows:
        try:
            rule = json.loads(text)
        except ValueError:
            continue  # a label that only looks like JSON stays a label
        if not isinstance(rule, dict):
            continue
        type_id = rule.get("type_id")
        connection.execute(
            update(pending)
            .where(pending.c.id == row_id)
            .values(
                label=rule.get("label"),
                type_id=int(type_id) if type_id is not None else None,
                category=rule.get("category"),
            )
        )


def _v3_reasons_and_repeats(connection: Connection) -> None:
    """A pending association says why it waits (``reason``), a dead letter how many times
    in a row it was refused the same way (``repeats``); older rows: NULL (unknown, 1)."""
    _add_column(connection, PendingAssociationRow.__table__, "reason")
    _add_column(connection, DeadLetterRow.__table__, "repeats")


def _v4_dead_letters_seen_in_run(connection: Connection) -> None:
    """A dead letter remembers the last run that read its record (``seen_run``)."""
    _add_column(connection, DeadLetterRow.__table__, "seen_run")


def _v5_pending_write_backs(connection: Connection) -> None:
    """Write-backs of destination ids wait in their own table (``pending_write_back``)
    until enough of them fill one Bulk job; a ledger of version 4 has none waiting."""
    PendingWriteBackRow.__table__.create(connection, checkfirst=True)


def _v6_write_backs_without_payloads(connection: Connection) -> None:
    """A queued write-back keeps only its id pair: the table is made again without the
    ``payload`` column (portable: no ``DROP COLUMN`` on an older SQLite), its rows kept."""
    table = PendingWriteBackRow.__table__
    if "payload" not in {c["name"] for c in inspect(connection).get_columns(table.name)}:
        return
    kept = [c.name for c in table.columns if c.name != "id"]
    rows = [dict(r._mapping) for r in connection.execute(select(*(table.c[n] for n in kept)))]
    table.drop(connection)
    table.create(connection)
    if rows:
        connection.execute(table.insert(), rows)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_typed_associations_and_errors,
    3: _v3_reasons_and_repeats,
    4: _v4_dead_letters_seen_in_run,
    5: _v5_pending_write_backs,
    6: _v6_write_backs_without_payloads,
}
"""``version -> step`` upgrading a ledger from ``version - 1``."""
