"""The ledger's tables (DESIGN §2), typed declarative SQLAlchemy 2.0 models.

Portable on purpose: no SQLite-only SQL, generic types only (``JSON``, timezone-aware
``DateTime`` through :class:`UtcDateTime`), constraints named so later migrations
can refer to them. Every table carries the object ``mapping`` name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 6
"""Bump with a migration in :mod:`crm_sync.ledger.migrations` when a table changes."""

_ID = 64  # Salesforce ids are 18 characters, HubSpot ids are integers as text
_NAME = 128


def utcnow() -> datetime:
    """The current time, aware, UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect.

    PostgreSQL gets ``timestamptz`` and aware values; SQLite, which keeps no offset,
    stores naive UTC, read back as aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        value = _aware_utc(value)
        if value is None or dialect.name != "sqlite":
            return value
        return value.replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, one step straight to SQLAlchemy's stored text (``YYYY-MM-DD
        HH:MM:SS.ffffff``, naive UTC) instead of :meth:`process_bind_param` then the
        dialect's ``%``-format of seven fields: a first import binds three times per
        record (two link times, the write-back's), a tenth of the ledger flush's CPU."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _aware_utc(value)


def stamp_binder(dialect_name: str) -> Callable[[datetime | None], Any]:
    """How a date-time column of ``dialect_name`` takes a value bound by the driver itself
    (:mod:`crm_sync.ledger.bulk`): what :class:`UtcDateTime` binds, in one call."""
    return _sqlite_text if dialect_name == "sqlite" else _aware_utc


def _aware_utc(value: datetime | None) -> datetime | None:
    """``value`` aware in UTC (a naive one is UTC already)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    """``value`` as SQLite's ``DATETIME`` column stores it: naive UTC, microseconds."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not None and zone is not UTC:  # a UTC time's text is cut before its offset
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


class LedgerBase(DeclarativeBase):
    """Declarative base of the ledger tables."""

    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}
    __table__: ClassVar[Table]  # every ledger model maps one table


class SchemaVersionRow(LedgerBase):
    """One row per applied schema version; the highest is the ledger's version."""

    __tablename__ = "ledger_schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRecordRow(LedgerBase):
    """The id map, base snapshot and last-seen modification times of one record pair.

    A row exists only once both ids are known; ``sf_id`` and ``hs_id`` are each unique
    within a mapping, so the map is one-to-one both ways.
    """

    __tablename__ = "sync_record"
    __table_args__ = (
        UniqueConstraint("mapping", "sf_id", name="uq_sync_record_sf"),
        UniqueConstraint("mapping", "hs_id", name="uq_sync_record_hs"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mapping: Mapped[str] = mapped_column(String(_NAME))
    sf_id: Mapped[str] = mapped_column(String(_ID))
    hs_id: Mapped[str] = mapped_column(String(_ID))
    base: Mapped[dict[str, Any] | None]
    """``{"salesforce": {...}, "hubspot": {...}}``: the values both sides last agreed on."""
    sf_modified_at: Mapped[datetime | None]
    """Last seen Salesforce ``SystemModstamp``."""
    hs_modified_at: Mapped[datetime | None]
    """Last seen HubSpot ``hs_lastmodifieddate``."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TombstoneRow(LedgerBase):
    """A record deleted on one side; a later update of it is never synced again."""

    __tablename__ = "tombstone"

    mapping: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    deleted_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingAssociationRow(LedgerBase):
    """A lookup/association whose target record is not synced yet; retried each run."""

    __tablename__ = "pending_association"
    __table_args__ = (
        UniqueConstraint(
            "mapping", "direction", "from_id", "lookup", name="uq_pending_association"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mapping: Mapped[str] = mapped_column(String(_NAME))
    direction: Mapped[str] = mapped_column(String(16))
    from_id: Mapped[str] = mapped_column(String(_ID))
    """The source id of the record that holds the lookup."""
    lookup: Mapped[str] = mapped_column(String(_NAME))
    """The Salesforce lookup field the association comes from (its rule's key)."""
    label: Mapped[str | None] = mapped_column(String(_NAME))
    """The HubSpot association label, if the rule names one."""
    type_id: Mapped[int | None] = mapped_column(Integer)
    """The HubSpot association type id, if the rule names one (schema version 2)."""
    category: Mapped[str | None] = mapped_column(String(32))
    """The HubSpot association category of ``type_id`` (schema version 2)."""
    target_mapping: Mapped[str] = mapped_column(String(_NAME))
    target_source_id: Mapped[str] = mapped_column(String(_ID))
    """The target record's id on the leg's source side."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str | None] = mapped_column(String(32))
    """Why it is still pending: a :class:`~crm_sync.ledger.records.PendingReason` value
    (schema version 3); ``last_error`` says it in words, naming the records."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetterRow(LedgerBase):
    """A record the destination refused: retried next run, marked resolved on success."""

    __tablename__ = "dead_letter"
    __table_args__ = (UniqueConstraint("mapping", "direction", "source_id", name="uq_dead_letter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mapping: Mapped[str] = mapped_column(String(_NAME))
    direction: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(_ID))
    payload: Mapped[dict[str, Any]]
    error_code: Mapped[str] = mapped_column(String(_NAME))
    message: Mapped[str] = mapped_column(Text)
    error_fields: Mapped[list[str] | None] = mapped_column(JSON)
    """The fields the error names, when the destination said (schema version 2)."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    repeats: Mapped[int | None] = mapped_column(Integer, default=1)
    """Refusals in a row with the same error (code and message) (schema version 3): a
    record refused the same way run after run has a permanent error, not a passing one."""
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    seen_run: Mapped[str | None] = mapped_column(String(_NAME))
    """The last run that read this record (schema version 4): the end of that run does not
    replay the letter, the record's newer version was handled instead."""


class PendingWriteBackRow(LedgerBase):
    """A destination id to write back into its source record's id field, not made yet
    (schema version 5).

    Committed with the batch that created or linked the record, deleted once the source
    API accepted the write (or refused it: then a dead letter holds it), so a write-back
    waiting to fill a Bulk job survives a kill (:mod:`crm_sync.sync.writeback`). Only the
    id pair: a refusal's dead letter is rebuilt from the linked pair's base (version 5
    also kept the record's payload for it, a copy of each record of a first import).
    """

    __tablename__ = "pending_write_back"
    __table_args__ = (
        UniqueConstraint("mapping", "direction", "source_id", name="uq_pending_write_back"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mapping: Mapped[str] = mapped_column(String(_NAME))
    direction: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(_ID))
    destination_id: Mapped[str] = mapped_column(String(_ID))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunLogRow(LedgerBase):
    """What one run did per mapping and leg (the run report's figures)."""

    __tablename__ = "run_log"

    run_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    mapping: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    dry_run: Mapped[bool] = mapped_column(default=False)
    read: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    associations_made: Mapped[int] = mapped_column(Integer, default=0)
    associations_pending: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)


RUN_COUNTERS = (
    "read",
    "created",
    "updated",
    "unchanged",
    "deleted",
    "skipped",
    "conflicts",
    "failed",
    "associations_made",
    "associations_pending",
    "api_calls",
)
"""The run log's counters; the same names as :class:`crm_sync.reconcile.Counts`."""
