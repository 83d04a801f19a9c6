"""Opening the ledger database: URL handling, SQLite settings, schema creation.

SQLite (the default, a file) is set up for several processes at once: WAL journal
(readers never block the writer), a busy timeout (a second writer waits instead of
failing, for :data:`BUSY_TIMEOUT_S`: a ledger write is a short transaction, so a longer
wait means something holds the file and the run stops with :class:`LedgerBusyError`
naming it), and write transactions that start with ``BEGIN IMMEDIATE`` so two writers
queue on the lock up front rather than deadlocking on a read-to-write upgrade.
The driver's own transaction handling is turned off so SQLAlchemy's ``begin`` is the
only place a transaction starts (the documented pysqlite recipe).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.pool import StaticPool

from crm_sync.ledger.migrations import MIGRATIONS
from crm_sync.ledger.models import SCHEMA_VERSION, LedgerBase, SchemaVersionRow
from crm_sync.ledger_errors import LedgerBusyError, LedgerError

WRITE = "ledger_write"
"""Execution option marking a connection whose transactions write (``BEGIN IMMEDIATE``)."""

_PG_SCHEMA_LOCK = 0x6C656467  # "ledg": advisory lock serialising schema creation

BUSY_TIMEOUT_S = 10.0
"""How long a SQLite ledger write waits for another writer before the run stops."""


def ledger_url(location: str | Path) -> str:
    """A SQLAlchemy URL for a path (SQLite file) or an URL given as is."""
    text_location = str(location)
    if isinstance(location, Path) or "://" not in text_location:
        path = Path(location).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return text_location


def create_ledger_engine(
    location: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_S, echo: bool = False
) -> Engine:
    """An engine for the ledger at ``location`` (path or URL), configured per dialect."""
    url = make_url(ledger_url(location))
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise LedgerError(f"ledger: unsupported database {backend!r} (use SQLite or PostgreSQL)")
    kwargs: dict[str, Any] = {
        "echo": echo,
        "json_serializer": json_text,
        "json_deserializer": _JSON_DECODER.decode,
    }
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except ImportError as error:
        raise LedgerError(
            f"ledger: no driver for {url.drivername!r} ({error}); for PostgreSQL install "
            "crm-sync[postgres] and use a postgresql+psycopg:// URL"
        ) from error
    if backend == "sqlite":
        _configure_sqlite(engine, busy_timeout)
    return engine


_JSON_ENCODER = msgspec.json.Encoder()
_JSON_DECODER = msgspec.json.Decoder()


def json_text(value: Any) -> str:
    """A JSON column's text (bases, dead-letter payloads), by msgspec: a first import
    writes a base per record, several times faster than with the ``json`` module. Same
    JSON as before, without spaces after separators and with UTF-8 text unescaped."""
    return _JSON_ENCODER.encode(value).decode()


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # STATE follows commit: keep it durable
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # sqlite3's own wording once the busy timeout has passed; raised here, the error
        # names the file instead of a statement (SQLAlchemy re-raises it as is).
        if "database is locked" in str(context.original_exception):
            raise LedgerBusyError(
                str(engine.url.database), busy_timeout
            ) from context.original_exception

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock up front."""
    return engine.connect().execution_options(**{WRITE: True})


def ensure_schema(engine: Engine) -> int:
    """Create missing tables, run pending migrations; return the schema version.

    Safe when several processes open a new ledger at once: creation runs in one
    write transaction (SQLite lock, PostgreSQL advisory lock).
    """
    with write_connection(engine) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
        LedgerBase.metadata.create_all(connection)
        current = connection.execute(select(func.max(SchemaVersionRow.version))).scalar()
        if current is None:
            connection.execute(SchemaVersionRow.__table__.insert().values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        if current > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger schema version {current} is newer than this crm-sync "
                f"({SCHEMA_VERSION}); upgrade crm-sync"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](connection)
            connection.execute(SchemaVersionRow.__table__.insert().values(version=version))
    return SCHEMA_VERSION


def sqlite_journal_mode(engine: Engine) -> str:
    """The journal mode of a SQLite ledger (diagnostics and tests)."""
    with engine.connect() as connection:
        return str(connection.execute(text("PRAGMA journal_mode")).scalar())
