"""One batch of one leg: reconcile against the ledger and the destination, then write.

The destination is abstract (:class:`Destination`): the HubSpot target reads with batch
read and writes with batch upsert/archive; the Salesforce target retrieves and writes
with sObject collections (or Bulk 2.0). The order is what makes crash-safety work: plans
are computed, the writes are made (upserts on a stable key, so a replay never
duplicates), and only then the outcome goes to the ledger in one transaction; STATE
follows later, after every sink drained.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import (
    Action,
    DestinationState,
    LedgerState,
    MappingPolicy,
    RecordPlan,
    RunReport,
    SourceRecord,
    needs_destination,
    plan_record,
)
from crm_sync.vocabulary import Direction, RecordError


@dataclass(frozen=True, slots=True)
class RefusedRecord:
    """A planned write the destination refused, with its error and the record as received."""

    plan: RecordPlan
    payload: Mapping[str, Any]
    error: RecordError


@dataclass(slots=True)
class BatchWrite:
    """What writing one batch did; the ledger stores it in one transaction."""

    written: list[tuple[RecordPlan, str]] = field(default_factory=list)
    """Plans that reached the destination, with the destination id."""
    refused: list[RefusedRecord] = field(default_factory=list)
    settled: list[RecordPlan] = field(default_factory=list)
    """Plans that needed no write but carry ledger facts (new base, tombstones)."""
    write_backs: list[tuple[str, str]] = field(default_factory=list)
    """``(source id, destination id)`` of ids to write back into the source's id field
    later, queued in the ledger with this batch (:mod:`crm_sync.sync.writeback`)."""
    write_backs_moot: list[str] = field(default_factory=list)
    """Source ids whose queued write-back is moot: the batch read their id field set
    already; their queued rows go with this batch."""


class WriteStopped(QuotaExhausted):
    """A quota stop in the middle of a batch's write, with what was written before it.

    The leg commits ``done`` to the ledger (those records are in the destination) and
    raises the stop again; the rest of the batch was not written and is read again by
    the next run (no STATE covers it).
    """

    def __init__(self, stop: QuotaExhausted, done: BatchWrite) -> None:
        super().__init__(str(stop), stop.response)
        self.done = done


class Destination(Protocol):
    """The calls a leg's destination must offer to :func:`reconcile_batch`."""

    def read_current(self, destination_ids: Sequence[str]) -> dict[str, DestinationState]:
        """Current values of linked records, keyed by destination id; absent = gone."""
        ...

    def write(
        self, plans: Sequence[RecordPlan], payloads: Mapping[str, Mapping[str, Any]]
    ) -> BatchWrite:
        """Make the creates/updates/archives of ``plans``; say what succeeded."""
        ...


@dataclass(slots=True)
class Reconciled:
    """The plans of a batch, and the destination values that were read for them."""

    plans: list[RecordPlan]
    before: dict[str, Mapping[str, Any]]
    """Source id -> destination values read (only for records that changed)."""


def reconcile_batch(
    policy: MappingPolicy,
    direction: Direction,
    records: Sequence[SourceRecord],
    ledger: Mapping[str, LedgerState],
    destination: Destination,
    report: RunReport | None = None,
    hints: Mapping[str, str] | None = None,
    key_property: str | None = None,
) -> Reconciled:
    """Plan every record of a batch (§3), reading the destination only where needed.

    A record equal to its base is decided from the ledger alone; a never-synced record
    is a create by upsert on its stable key. Only linked records whose source differs
    from the base are read, in one batched call per 100.

    ``hints`` maps source ids to the destination id the source record itself names
    (its id field, e.g. HubSpot's ``salesforce_id``) for records the ledger has not
    linked: those are read too, and an existing twin is planned as an update of that
    record (import of existing pairs) instead of a create beside it.

    ``key_property`` is the destination's property the leg upserts on (HubSpot's
    ``salesforce_id``), read with the linked records: an update of a record that does
    not carry its source id there yet is marked ``key_missing`` (see :func:`keyed`).
    """
    wanted = {
        r.id: ledger[r.id].destination_id
        for r in records
        if needs_destination(policy, direction, r, ledger.get(r.id))
    }
    by_key = {
        r.id: str(hints[r.id])
        for r in records
        if hints
        and hints.get(r.id)
        and r.deleted_at is None
        and (ledger.get(r.id) is None or ledger[r.id].destination_id is None)
    }
    ids = list(dict.fromkeys([*(i for i in wanted.values() if i), *by_key.values()]))
    current = destination.read_current(ids) if ids else {}
    plans: list[RecordPlan] = []
    before: dict[str, Mapping[str, Any]] = {}
    for record in records:
        state = ledger.get(record.id)
        found: DestinationState | None = None
        if record.id in wanted:
            dest_id = wanted[record.id] or ""
            found = current.get(dest_id) or DestinationState.missing(dest_id)
            if found.exists:
                before[record.id] = found.values
        elif record.id in by_key:
            hit = current.get(by_key[record.id])
            if hit is not None and hit.exists:
                found = hit
                before[record.id] = hit.values
        plan = plan_record(policy, direction, record, state, found)
        if key_property and found is not None:
            plan = keyed(plan, found, key_property)
        plans.append(plan)
        if report is not None:
            report.observe(plan, before.get(record.id))
    return Reconciled(plans, before)


def keyed(plan: RecordPlan, found: DestinationState, key_property: str) -> RecordPlan:
    """``plan``, marked ``key_missing`` when it updates a linked record whose key property
    does not hold the source id.

    A HubSpot-born record gets its Salesforce id in ``salesforce_id`` only by the reverse
    leg's write-back; while that is refused (a dead letter) or not yet retried, an upsert
    by ``salesforce_id`` would not find the record and would create a second one. Such an
    update is written by the destination id, with the key, which completes the write-back.
    """
    if plan.action is not Action.UPDATE or not plan.destination_id:
        return plan
    if str(found.values.get(key_property) or "") == plan.source_id:
        return plan
    return replace(plan, key_missing=True)


def settle_without_write(plans: Sequence[RecordPlan]) -> list[RecordPlan]:
    """Plans that write nothing but still move the ledger (new base, tombstones)."""
    return [
        p
        for p in plans
        if not p.writes and p.moves_ledger and p.action in (Action.UNCHANGED, Action.SKIP)
    ]


def latest_per_id(records: Sequence[SourceRecord]) -> list[SourceRecord]:
    """One record per id (the last one wins), keeping first-seen order.

    A batch may carry the same record twice (an edit during the extract); upserting
    both in one call would make HubSpot refuse the batch for duplicate ids.
    """
    last: dict[str, SourceRecord] = {}
    for record in records:
        last[record.id] = record
    return list(last.values())


def jsonable(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as plain JSON (the SDK parsed its date-times), for dead letters."""
    return json.loads(
        json.dumps(
            record, default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v)
        )
    )
