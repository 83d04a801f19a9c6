"""HubSpot as a :class:`crm_sync.sync.batch.Destination`: batched reads and writes in parallel.

Plans are cut into calls of 100 and run on a thread pool of ``max_workers``; the shared
rate limiter inside the session keeps the whole run under the portal's window. The pool
is joined before :meth:`HubSpotDestination.write` returns, so a sink's ``process_batch``
only ends once every write of its batch has an answer (STATE depends on that).

Creates and updates are upserts by the id property (``salesforce_id``), except an update
of a record that does not carry its key yet (``key_missing``: a HubSpot-born record whose
id write-back is still to come): that one is a batch update by HubSpot id setting the key
too, as an upsert would create a twin. The key is read with the linked records, so this
costs no call of its own.

A whole call refused with a 4xx (one bad value can fail the lot) is split in halves and
retried until the bad records are isolated; a 207 keeps the good records and names the
refused ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from crm_sync.convert.codec import HUBSPOT
from crm_sync.http import QuotaExhausted
from crm_sync.hubspot import BatchOutcome, HubSpotClient, chunks
from crm_sync.reconcile import Action, DestinationState, RecordPlan
from crm_sync.sync.batch import BatchWrite, RefusedRecord, WriteStopped, jsonable
from crm_sync.vocabulary import RecordError

T = TypeVar("T")
R = TypeVar("R")


def wire_value(value: Any) -> Any:
    """A property value as HubSpot takes it (the HubSpot codec's form of any value)."""
    return HUBSPOT.encode_any(value)


class HubSpotDestination:
    """Reads and writes one HubSpot object for one stream."""

    def __init__(
        self,
        client: HubSpotClient,
        object_type: str,
        id_property: str,
        read_properties: Sequence[str],
        pool: ThreadPoolExecutor,
        modified_property: str = "hs_lastmodifieddate",
    ) -> None:
        self.client = client
        self.object_type = object_type
        self.id_property = id_property
        self.read_properties = list(
            dict.fromkeys([*read_properties, id_property, modified_property])
        )
        self.modified_property = modified_property
        self.pool = pool

    def _parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        return list(self.pool.map(fn, items))

    # ------------------------------------------------------------------ reads
    def read_current(self, destination_ids: Sequence[str]) -> dict[str, DestinationState]:
        """Batch-read linked records by HubSpot id; archived/missing ones are absent."""

        def read(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
            return self.client.batch_read(self.object_type, ids, self.read_properties)

        found: dict[str, DestinationState] = {}
        for part in self._parallel(read, list(chunks(list(dict.fromkeys(destination_ids))))):
            for hs_id, record in part.items():
                props = record.get("properties") or {}
                found[hs_id] = DestinationState(
                    id=hs_id,
                    values=props,
                    modified_at=HUBSPOT.decode_datetime(
                        props.get(self.modified_property) or record.get("updatedAt")
                    ),
                )
        return found

    # ------------------------------------------------------------------ writes
    def write(
        self, plans: Sequence[RecordPlan], payloads: Mapping[str, Mapping[str, Any]]
    ) -> BatchWrite:
        """Upsert creates/updates by the id property (by HubSpot id an update whose record
        lacks its key), archive deletes; join before return."""
        writes = [p for p in plans if p.action in (Action.CREATE, Action.UPDATE)]
        by_id = [p for p in writes if p.key_missing and p.destination_id]
        upserts = [p for p in writes if not (p.key_missing and p.destination_id)]
        archives = [p for p in plans if p.action is Action.ARCHIVE and p.destination_id]
        result = BatchWrite()
        jobs: list[Callable[[], BatchWrite]] = [
            partial(self._upsert, chunk, payloads) for chunk in chunks(upserts)
        ]
        jobs += [partial(self._update_keys, chunk, payloads) for chunk in chunks(by_id)]
        jobs += [partial(self._archive, chunk) for chunk in chunks(archives)]
        stop: QuotaExhausted | None = None
        for outcome in self._each(jobs):
            if isinstance(outcome, QuotaExhausted):
                stop = stop or outcome
                continue
            result.written += outcome.written
            result.refused += outcome.refused
        if stop is not None:  # the calls that went through are in HubSpot: say which
            raise WriteStopped(stop, result)
        return result

    def _each(self, jobs: Sequence[Callable[[], BatchWrite]]) -> list[BatchWrite | QuotaExhausted]:
        """Every job's outcome; a quota stop of one job does not hide the others' writes."""

        def attempt(job: Callable[[], BatchWrite]) -> BatchWrite | QuotaExhausted:
            try:
                return job()
            except QuotaExhausted as stop:
                return stop

        return self._parallel(attempt, jobs)

    def upsert_plain(
        self, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> tuple[dict[str, str], dict[str, RecordError]]:
        """Plain records: upsert ``(key, properties)``; returns (key→id, key→error)."""

        def one(chunk: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[dict, dict]:
            return self._split(list(chunk))

        ok: dict[str, str] = {}
        bad: dict[str, RecordError] = {}
        for good, refused in self._parallel(one, list(chunks(list(inputs)))):
            ok |= good
            bad |= refused
        return ok, bad

    def _upsert(
        self, plans: Sequence[RecordPlan], payloads: Mapping[str, Mapping[str, Any]]
    ) -> BatchWrite:
        inputs: list[tuple[str, Mapping[str, Any]]] = [
            (p.source_id, {k: wire_value(v) for k, v in p.changes.items()}) for p in plans
        ]
        ok, bad = self._split(inputs)
        return self._outcome(plans, payloads, ok, bad, lambda p: p.source_id)

    def _update_keys(
        self, plans: Sequence[RecordPlan], payloads: Mapping[str, Mapping[str, Any]]
    ) -> BatchWrite:
        """Update records lacking their key by HubSpot id, setting the key with the changes."""
        inputs: list[tuple[str, Mapping[str, Any]]] = [
            (
                str(p.destination_id),
                {**{k: wire_value(v) for k, v in p.changes.items()}, self.id_property: p.source_id},
            )
            for p in plans
        ]
        ok, bad = self._split(inputs, by_id=True)
        return self._outcome(plans, payloads, ok, bad, lambda p: str(p.destination_id))

    @staticmethod
    def _outcome(
        plans: Sequence[RecordPlan],
        payloads: Mapping[str, Mapping[str, Any]],
        ok: Mapping[str, str],
        bad: Mapping[str, RecordError],
        key_of: Callable[[RecordPlan], str],
    ) -> BatchWrite:
        """The plans of one call as written (with their HubSpot id) or refused."""
        out = BatchWrite()
        for plan in plans:
            key = key_of(plan)
            if key in ok:
                out.written.append((plan, ok[key]))
            else:
                error = bad.get(key) or RecordError("UNKNOWN_ERROR", "not in HubSpot's reply")
                out.refused.append(
                    RefusedRecord(plan, jsonable(payloads.get(plan.source_id, {})), error)
                )
        return out

    def _split(
        self, inputs: Sequence[tuple[str, Mapping[str, Any]]], *, by_id: bool = False
    ) -> tuple[dict[str, str], dict[str, RecordError]]:
        """Upsert ``(key, properties)`` inputs (update ``(HubSpot id, properties)`` ones
        ``by_id``) in one call; a whole-call 4xx is split in halves until the refused
        inputs are isolated. Returns (key→HubSpot id, key→error)."""
        outcome: BatchOutcome = (
            self.client.batch_update(self.object_type, inputs)
            if by_id
            else self.client.batch_upsert(self.object_type, self.id_property, inputs)
        )
        if outcome.status >= 400 and len(inputs) > 1:
            half = len(inputs) // 2
            left = self._split(inputs[:half], by_id=by_id)
            right = self._split(inputs[half:], by_id=by_id)
            return left[0] | right[0], left[1] | right[1]
        ok: dict[str, str] = {}
        for record in outcome.results:
            # the trace id is the key exactly as sent; the property may come back
            # normalised (HubSpot lowercases a contact's email); an update's key is its id
            key = record.get("objectWriteTraceId")
            if key is None:
                props = record.get("properties") or {}
                key = record.get("id") if by_id else props.get(self.id_property)
            if key is not None:
                ok[str(key)] = str(record["id"])
        bad: dict[str, RecordError] = {}
        for refusal in outcome.refusals:
            text = RecordError(refusal.category, refusal.message)
            if refusal.key:
                bad[refusal.key] = text
            else:  # an error that names no input: every unanswered input carries it
                for key, _ in inputs:
                    if key not in ok:
                        bad.setdefault(key, text)
        return ok, bad

    def _archive(self, plans: Sequence[RecordPlan]) -> BatchWrite:
        self.client.batch_archive(self.object_type, [str(p.destination_id) for p in plans])
        out = BatchWrite()
        out.written = [(p, str(p.destination_id)) for p in plans]
        return out
