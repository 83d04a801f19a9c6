"""Write new HubSpot ids back to Salesforce's id field (e.g. ``HubSpot_Id__c``).

HubSpot's own Salesforce integration keeps the HubSpot record id on the Salesforce
record; here that field is also the key the reverse leg upserts on. After each batch,
every record the forward leg created in HubSpot (or found linked) whose Salesforce row
does not hold its HubSpot id yet (the payload's ``_crm_destination_id``, the mapper's
copy of the id field as the tap read it) gets it: sObject collections updates of 200
records by Id, or one Bulk 2.0 update job when a batch has at least ``bulk_threshold``
of them (cheaper in calls from about 1,400 records). Which records, and how refusals
and quota stops become ``WRITE_BACK_FAILED`` dead letters retried by the next run, is
:class:`crm_sync.sync.writeback.IdWriteBack`'s.

Only an id field the payload carries and finds blank is written: a record read without it
(a partial refresh record, a catalog that deselected it) is left alone, so a write-back
never repeats on every run; one that holds another HubSpot id keeps it (the reverse leg
upserts by it).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from crm_sync.http import QuotaExhausted
from crm_sync.salesforce import (
    COLLECTION_LIMIT,
    BulkJobFailed,
    SalesforceAPIError,
    SalesforceClient,
    SaveResult,
    chunks,
)
from crm_sync.sync.writeback import IdWriteBack, Items, Refusals, stopped
from crm_sync.vocabulary import RecordError

DEFAULT_BULK_THRESHOLD = 2000
"""Write-backs in one batch from which a Bulk 2.0 job is used (at least 6 calls: create,
upload, close, poll, two result files) instead of collections (one call per 200)."""


def _refusals(part: Items, results: Sequence[SaveResult]) -> Refusals:
    return {
        sf_id: RecordError.joined(saved.errors)
        for (sf_id, _), saved in zip(part, results, strict=True)
        if not saved.success
    }


class SalesforceWriteBack(IdWriteBack):
    """Writes HubSpot ids to one Salesforce object's id field."""

    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        id_field: str,
        pool: ThreadPoolExecutor,
        bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    ) -> None:
        super().__init__(id_field, sobject, needs_key=True)
        self.client = client
        self.sobject = sobject
        self.pool = pool
        self.bulk_threshold = max(1, bulk_threshold)

    def _row(self, item: tuple[str, tuple[object, str]]) -> dict[str, str]:
        sf_id, (_, hs_id) = item
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
