"""Write new HubSpot ids back to Salesforce's id field (e.g. ``HubSpot_Id__c``).

HubSpot's own Salesforce integration keeps the HubSpot record id on the Salesforce
record; here that field is also the key the reverse leg upserts on. Every record the
forward leg created in HubSpot (or found linked) whose Salesforce row does not hold its
HubSpot id yet (the payload's ``_crm_destination_id``, the mapper's copy of the id field
as the tap read it) gets it. The ids wait in the ledger, committed with their batch,
until ``bulk_threshold`` of them fill one Bulk 2.0 update job (≈ 6 calls for 10,000
rows, where collections updates take one call per 200), which runs on a thread of its
own while the HubSpot writes go on; what is left at the end of the run goes by
collections updates of 200 records by Id. Which records, the queue, and how
refusals become ``WRITE_BACK_FAILED`` dead letters retried by the next run is
:class:`crm_sync.sync.writeback.QueuedIdWriteBack`'s.

Only an id field the payload carries and finds blank is written: a record read without it
(a partial refresh record, a catalog that deselected it) is left alone, so a write-back
never repeats on every run; one that holds another HubSpot id keeps it (the reverse leg
upserts by it).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor

from crm_sync.http import QuotaExhausted
from crm_sync.salesforce import (
    COLLECTION_LIMIT,
    BulkJobFailed,
    SalesforceAPIError,
    SalesforceClient,
    SaveResult,
    chunks,
)
from crm_sync.sync.annotations import SOURCE_ID
from crm_sync.sync.ledger import SyncLedger
from crm_sync.sync.writeback import Items, QueuedIdWriteBack, Refusals, stopped
from crm_sync.vocabulary import WRITE_BACK_SOURCE_GONE, Direction, RecordError

DEFAULT_BULK_THRESHOLD = 10_000
"""Write-backs waiting (across batches) that make one Bulk 2.0 update job: about 6 calls
(create, upload, close, poll, two result files) where collections updates would take 50.
An admin watches two daily allocations: API calls, and Bulk batches (15,000 per rolling
24 hours, shared by Bulk API and Bulk API 2.0; Salesforce cuts an ingest job into one
batch per 10,000 records). A job of 10,000 therefore spends one batch and ~6 calls: a
1,000,000-record import costs 100 batches and ~600 calls instead of 5,000 collections
calls. A smaller threshold spends more calls for the same batches (2,000 a job: ~3,000
calls); a larger one saves nothing more and leaves more ids waiting while a run is in
progress."""


GONE = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"})
"""Salesforce's answers, per record, to an update of a record that no longer exists: in
the recycle bin (``ENTITY_IS_DELETED``), or purged / never there (``INVALID_CROSS_REFERENCE_KEY``:
"invalid cross reference id"). Only a record's own result counts, never a whole call's
error (a 404 ``NOT_FOUND`` there means a wrong URL or object, not a deleted record)."""


def _refusal(errors: Sequence[RecordError]) -> RecordError:
    """A record's errors as one; ``WRITE_BACK_SOURCE_GONE`` when the record is gone."""
    error = RecordError.joined(errors)
    if error.code in GONE and set(error.fields) <= {"Id"}:  # not a lookup field's target
        return RecordError(WRITE_BACK_SOURCE_GONE, str(error), error.fields)
    return error


def _refusals(part: Items, results: Sequence[SaveResult]) -> Refusals:
    return {
        sf_id: _refusal(saved.errors)
        for (sf_id, _), saved in zip(part, results, strict=True)
        if not saved.success
    }


class SalesforceWriteBack(QueuedIdWriteBack):
    """Writes HubSpot ids to one Salesforce object's id field."""

    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        id_field: str,
        pool: ThreadPoolExecutor,
        *,
        ledger: SyncLedger,
        mapping: str,
        run_id: str | None = None,
        bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
        source_id_field: str = SOURCE_ID,
        background: Executor | None = None,
    ) -> None:
        self.bulk_threshold = max(1, bulk_threshold)
        super().__init__(
            id_field,
            sobject,
            ledger=ledger,
            mapping=mapping,
            direction=Direction.SF_TO_HS,
            flush_at=self.bulk_threshold,
            run_id=run_id,
            needs_key=True,
            source_id_field=source_id_field,
            background=background,
        )
        self.client = client
        self.sobject = sobject
        self.pool = pool

    def _row(self, item: tuple[str, str]) -> dict[str, str]:
        sf_id, hs_id = item
        return {"Id": sf_id, self.id_field: hs_id}

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        if len(items) >= self.bulk_threshold:
            return self._bulk(items)
        parts = list(chunks(items, COLLECTION_LIMIT))
        answers = self.pool.map(self._update, parts) if len(parts) > 1 else map(self._update, parts)
        refusals: Refusals = {}
        stop: QuotaExhausted | None = None
        for bad, stopped_by in answers:
            refusals |= bad
            stop = stop or stopped_by
        return refusals, stop

    def _update(self, part: Items) -> tuple[Refusals, QuotaExhausted | None]:
        """One collections update (≤200); a whole call refused refuses each of its rows."""
        try:
            results = self.client.update(self.sobject, [self._row(i) for i in part])
        except QuotaExhausted as stop:
            return stopped(part, stop), stop
        except SalesforceAPIError as exc:
            return {sf_id: RecordError(exc.code, exc.message) for sf_id, _ in part}, None
        return _refusals(part, results), None

    def _bulk(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        """One Bulk 2.0 update job; rows it does not report are refused (retried next run)."""
        try:
            results = self.client.bulk_ingest(
                self.sobject, "update", "Id", [self._row(i) for i in items],
                columns=["Id", self.id_field],
            )  # fmt: skip
        except QuotaExhausted as stop:
            return stopped(items, stop), stop
        except (SalesforceAPIError, BulkJobFailed) as exc:
            error = RecordError("BULK_JOB_FAILED", str(exc))
            return {sf_id: error for sf_id, _ in items}, None
        saved = [results.get(sf_id) or SaveResult.from_json(None) for sf_id, _ in items]
        return _refusals(items, saved), None
