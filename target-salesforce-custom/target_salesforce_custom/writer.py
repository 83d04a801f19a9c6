"""Salesforce as a :class:`crm_sync.sync.batch.Destination`: collections or Bulk 2.0.

* Creates are upserts on the external-id field holding the HubSpot id
  (``PATCH /composite/sobjects/{O}/{ExtField}``), so replaying a batch after a crash or
  a lost reply never creates a second record.
* Updates of linked records go by ``Id`` (``PATCH /composite/sobjects``) and set the
  external-id field too: a record born in Salesforce has no HubSpot id there until the
  reverse leg first writes it, and an upsert on that field would duplicate it.
* Deletes (the mapping's ``delete.to_salesforce: propagate``) by Id; a record already
  deleted (``ENTITY_IS_DELETED``) counts as done.
* A batch with at least ``bulk_threshold`` creates/updates goes through one Bulk 2.0
  ingest job per operation instead.

Calls of 200 run on a thread pool of ``max_workers``; the pool is joined before
:meth:`SalesforceDestination.write` returns (STATE depends on that). Records refused
with ``UNABLE_TO_LOCK_ROW`` are sent again within the run (a few times, with a pause);
any other per-record error is returned as refused, for the ledger's dead letters.

The org's daily API limit (or this sync's ``max_api_share`` of it) reached in the
middle of a batch stops the write as :class:`~crm_sync.sync.batch.WriteStopped`, which
carries the outcome of every call that went through: the leg commits that part (ids
linked, new ids written back to HubSpot) before the run stops; the rest is read and
written again by the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from crm_sync.convert.codec import SALESFORCE
from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, DestinationState, RecordPlan
from crm_sync.salesforce import (
    COLLECTION_LIMIT,
    RETRIEVE_LIMIT,
    SalesforceClient,
    SaveResult,
    chunks,
)
from crm_sync.sync.batch import BatchWrite, RefusedRecord, WriteStopped, jsonable
from crm_sync.vocabulary import RecordError

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)

LOCK_CODES = frozenset({"UNABLE_TO_LOCK_ROW"})
ALREADY_DELETED = frozenset({"ENTITY_IS_DELETED"})
MODSTAMP = "SystemModstamp"


Writer = Callable[[Sequence[Mapping[str, Any]]], list[SaveResult]]


@dataclass(slots=True)
class Outcome:
    """The saves of some calls, and the quota stop that ended them early, if one did."""

    saved: list[tuple[RecordPlan, SaveResult]] = field(default_factory=list)
    stop: QuotaExhausted | None = None

    def add(self, other: Outcome) -> None:
        self.saved += other.saved
        self.stop = self.stop or other.stop


def stoppable(call: Callable[[], list[tuple[RecordPlan, SaveResult]]]) -> Outcome:
    """Run ``call``; a quota stop becomes an :class:`Outcome` saying so (nothing saved)."""
    try:
        return Outcome(call())
    except QuotaExhausted as stop:
        return Outcome(stop=stop)


class SalesforceDestination:
    """Reads and writes one Salesforce object for one stream."""

    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        external_id_field: str,
        read_fields: Sequence[str],
        pool: ThreadPoolExecutor,
        bulk_threshold: int = 10_000,
        lock_retries: int = 3,
        lock_wait_s: float = 0.5,
    ) -> None:
        self.client = client
        self.sobject = sobject
        self.external_id_field = external_id_field
        self.read_fields = list(dict.fromkeys(["Id", *read_fields, MODSTAMP]))
        self.pool = pool
        self.bulk_threshold = bulk_threshold
        self.lock_retries = lock_retries
        self.lock_wait_s = lock_wait_s

    def _parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        return list(self.pool.map(fn, items))

    # ------------------------------------------------------------------ reads
    def read_current(self, destination_ids: Sequence[str]) -> dict[str, DestinationState]:
        """Live records by Id (collections retrieve, 2000 per call); deleted ones are absent."""

        def read(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
            return self.client.retrieve(self.sobject, ids, self.read_fields)

        ids = list(dict.fromkeys(destination_ids))
        found: dict[str, DestinationState] = {}
        for part in self._parallel(read, list(chunks(ids, RETRIEVE_LIMIT))):
            for sf_id, record in part.items():
                values = {k: v for k, v in record.items() if k != "attributes"}
                found[sf_id] = DestinationState(
                    id=sf_id,
                    values=values,
                    modified_at=SALESFORCE.decode_datetime(values.get(MODSTAMP)),
                )
        return found

    # ------------------------------------------------------------------ writes
    def body(self, plan: RecordPlan) -> dict[str, Any]:
        """The record sent for a create or update plan (the HubSpot id always included)."""
        record = {**plan.changes, self.external_id_field: plan.source_id}
        if plan.action is Action.UPDATE and plan.destination_id:
            record["Id"] = plan.destination_id
        return record

    def columns(self, plans: Sequence[RecordPlan]) -> list[str]:
        """Every field a body of ``plans`` may hold (:meth:`body`), in a stable order."""
        fields = dict.fromkeys(k for p in plans for k in p.changes)
        fields[self.external_id_field] = None
        if any(p.action is Action.UPDATE and p.destination_id for p in plans):
            fields["Id"] = None
        return list(fields)

    def write(
        self, plans: Sequence[RecordPlan], payloads: Mapping[str, Mapping[str, Any]]
    ) -> BatchWrite:
        """Make the creates, updates and deletes of ``plans``; join before returning.

        A quota stop raises :class:`WriteStopped` with what the calls before it saved.
        """
        creates = [p for p in plans if p.action is Action.CREATE]
        updates = [p for p in plans if p.action is Action.UPDATE and p.destination_id]
        deletes = [p for p in plans if p.action is Action.ARCHIVE and p.destination_id]
        result = BatchWrite()
        outcome = Outcome()
        if creates or updates:
            if len(creates) + len(updates) >= self.bulk_threshold:
                outcome.add(self._bulk(creates, updates))
            else:
                outcome.add(self._collections(creates, updates))
        if deletes and outcome.stop is None:
            outcome.add(self._deletes(deletes))
        self._settle(result, outcome.saved, payloads)
        if outcome.stop is not None:
            raise WriteStopped(outcome.stop, result)
        return result

    def update_fields(self, values: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """Update fields of records by Id (``{Id: {field: value}}``); the Ids refused."""
        items = list(values.items())
        failed: set[str] = set()
        for part in chunks(items, COLLECTION_LIMIT):
            results = self.client.update(self.sobject, [{"Id": i, **v} for i, v in part])
            failed |= {i for (i, _), r in zip(part, results, strict=True) if not r.success}
        return failed

    def _settle(
        self,
        result: BatchWrite,
        outcome: list[tuple[RecordPlan, SaveResult]],
        payloads: Mapping[str, Mapping[str, Any]],
    ) -> None:
        for plan, saved in outcome:
            if saved.success and saved.id:
                result.written.append((plan, str(saved.id)))
            else:
                payload = jsonable(payloads.get(plan.source_id, {}))
                result.refused.append(
                    RefusedRecord(plan, payload, RecordError.joined(saved.errors))
                )

    def _collections(self, creates: Sequence[RecordPlan], updates: Sequence[RecordPlan]) -> Outcome:
        def upsert(records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
            return self.client.upsert(self.sobject, self.external_id_field, records)

        def update(records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
            return self.client.update(self.sobject, records)

        jobs: list[tuple[Writer, Sequence[RecordPlan]]] = [
            (upsert, part) for part in chunks(list(creates), COLLECTION_LIMIT)
        ]
        jobs += [(update, part) for part in chunks(list(updates), COLLECTION_LIMIT)]
        out = Outcome()
        for part in self._parallel(lambda job: self._send(job[0], job[1]), jobs):
            out.add(part)
        return out

    def _send(self, call: Writer, plans: Sequence[RecordPlan]) -> Outcome:
        """One collections call, then the records locked by another transaction again.

        A quota stop on a resend keeps the first call's saves and leaves out the records
        still locked (not written: the next run sends them).
        """
        try:
            first = call([self.body(p) for p in plans])
        except QuotaExhausted as first_stop:
            return Outcome(stop=first_stop)
        results = dict(zip(range(len(plans)), first, strict=True))
        stop: QuotaExhausted | None = None
        for attempt in range(1, self.lock_retries + 1):
            locked = [i for i, r in results.items() if not r.success and r.codes & LOCK_CODES]
            if not locked:
                break
            time.sleep(self.lock_wait_s * attempt)
            log.info("%s: %d record(s) locked, sending again", self.sobject, len(locked))
            try:
                again = call([self.body(plans[i]) for i in locked])
            except QuotaExhausted as exc:
                stop = exc
                for i in locked:
                    del results[i]
                break
            results.update(zip(locked, again, strict=True))
        return Outcome([(plans[i], results[i]) for i in sorted(results)], stop)

    def _deletes(self, plans: Sequence[RecordPlan]) -> Outcome:
        def delete(part: Sequence[RecordPlan]) -> list[tuple[RecordPlan, SaveResult]]:
            results = self.client.delete([str(p.destination_id) for p in part])
            out = []
            for plan, saved in zip(part, results, strict=True):
                if not saved.success and saved.codes <= ALREADY_DELETED and saved.codes:
                    saved = SaveResult(plan.destination_id, True)
                out.append((plan, saved))
            return out

        out = Outcome()
        parts = list(chunks(list(plans), COLLECTION_LIMIT))
        for part in self._parallel(lambda p: stoppable(lambda: delete(p)), parts):
            out.add(part)
        return out

    def _bulk(self, creates: Sequence[RecordPlan], updates: Sequence[RecordPlan]) -> Outcome:
        """One ingest job per operation; lock failures go again through collections.

        A quota stop during a job leaves its records unwritten as far as this run knows
        (an upsert on the external id and an update by Id are safe to send again).
        """
        out = Outcome()
        locked_creates: list[RecordPlan] = []
        locked_updates: list[RecordPlan] = []
        jobs = [
            ("upsert", self.external_id_field, creates, locked_creates),
            ("update", "Id", updates, locked_updates),
        ]
        for operation, key, plans, locked in jobs:
            if not plans or out.stop is not None:
                continue
            try:
                results = self.client.bulk_ingest(
                    self.sobject,
                    operation,
                    key,
                    (self.body(p) for p in plans),  # made row by row into the CSV
                    self.external_id_field if operation == "upsert" else None,
                    columns=self.columns(plans),
                )
            except QuotaExhausted as stop:
                out.stop = stop
                continue
            for plan in plans:
                ident = plan.source_id if operation == "upsert" else str(plan.destination_id)
                saved = results.get(ident) or SaveResult.from_json(None)
                if not saved.success and saved.codes & LOCK_CODES:
                    locked.append(plan)
                else:
                    out.saved.append((plan, saved))
        if (locked_creates or locked_updates) and out.stop is None:
            out.add(self._collections(locked_creates, locked_updates))
        return out
