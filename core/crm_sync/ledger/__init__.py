"""The sync ledger (DESIGN §2): the only durable sync state, on SQLAlchemy 2.0.

A SQLite file by default (WAL, busy timeout, ``BEGIN IMMEDIATE`` writers, so several
processes can share it), or any SQLAlchemy URL: PostgreSQL
(``postgresql+psycopg://...``, install ``crm-sync[postgres]``) when workers share it.
Opening creates the schema and records its version (``ledger_schema_version``).

Public API::

    from crm_sync.ledger import LedgerStore, PendingAssociation, RunLogEntry

    store = LedgerStore(".meltano/crm-sync/ledger.db")   # or a URL
    view = store.load("project", Direction.SF_TO_HS, source_ids)   # batched SELECTs
    state = view.state(source_id)          # -> crm_sync.reconcile.LedgerState
    plan = plan_record(policy, direction, record, state, destination)
    ...write to the destination...
    with store.batch() as uow:             # one transaction on exit
        uow.apply(plan, destination_id=new_id, destination_modified_at=ts)
        uow.dead_letter(mapping, direction, source_id, payload, RecordError(code, msg))
        uow.resolve_dead_letters(mapping, direction, written_ids)
        uow.add_pending(PendingAssociation(...)); uow.resolve_pending(m, d, [(from_id, lookup)])
        uow.log_run(RunLogEntry.from_report(run_id, report))
    # the batch is durable here: emit STATE

Tables, each keyed by the mapping name: ``sync_record`` (sf_id ↔ hs_id, unique both
ways; base snapshot JSON ``{"salesforce": {...}, "hubspot": {...}}``; last seen
``SystemModstamp`` / ``hs_lastmodifieddate``), ``tombstone`` (side, id, deleted_at),
``pending_association``, ``dead_letter``, ``run_log``.

Reads: :meth:`LedgerStore.load` (a batch of source ids → :class:`LedgerView`),
:meth:`LedgerStore.lookup` (id map for associations), :meth:`LedgerStore.record`,
:meth:`LedgerStore.pending_associations`, :meth:`LedgerStore.dead_letters`,
:meth:`LedgerStore.runs`, :meth:`LedgerStore.count_records`.

Writes (buffered on a :class:`LedgerBatch`): ``apply(plan, ...)``, ``link``,
``tombstone``, ``add_pending``, ``resolve_pending``, ``dead_letter``,
``resolve_dead_letters``, ``log_run``.
"""

from crm_sync.ledger.engine import (
    LedgerBusyError,
    LedgerError,
    create_ledger_engine,
    ensure_schema,
    ledger_url,
)
from crm_sync.ledger.models import SCHEMA_VERSION
from crm_sync.ledger.records import (
    DeadLetter,
    LedgerView,
    PendingAssociation,
    PendingReason,
    RunLogEntry,
    SyncRecord,
)
from crm_sync.ledger.store import LedgerBatch, LedgerStore

__all__ = [
    "SCHEMA_VERSION",
    "DeadLetter",
    "LedgerBatch",
    "LedgerBusyError",
    "LedgerError",
    "LedgerStore",
    "LedgerView",
    "PendingAssociation",
    "PendingReason",
    "RunLogEntry",
    "SyncRecord",
    "create_ledger_engine",
    "ensure_schema",
    "ledger_url",
]
