"""Write new Salesforce ids back to HubSpot's id property (e.g. ``salesforce_id``).

A record born in HubSpot gets its Salesforce twin by upsert on the external-id field;
the forward leg upserts HubSpot by ``salesforce_id``, so that property must hold the
new Id before the forward leg next sees the record, or it would create a second
HubSpot record. After each batch, every written or linked record whose HubSpot
payload (``_crm_destination_id``) does not name its Salesforce id yet is updated in
HubSpot, 100 per batch update, through :mod:`crm_sync.hubspot`; what is shared with
the forward leg's write-back (which records, dead letters ``WRITE_BACK_FAILED``, quota
stops) is :class:`crm_sync.sync.writeback.IdWriteBack`'s. A Salesforce edit of a
record whose write-back was refused reaching the forward leg first is written to
HubSpot by HubSpot id with the id (:func:`crm_sync.sync.batch.keyed`), which closes
the dead letter as well.

HubSpot's daily limit, or this sync's share of it (``hs_max_daily_share``, read from
the portal's daily headers by :class:`crm_sync.hubspot.daily.DailyShare`), stops the
write-back the same way: the ids not written are dead letters of the same kind, the
batch (its Salesforce ids linked) is committed, and then the run stops (exit 3).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from crm_sync.http import QuotaExhausted
from crm_sync.hubspot import BATCH_LIMIT, HubSpotClient
from crm_sync.salesforce import chunks
from crm_sync.sync.writeback import IdWriteBack, Items, Refusals, stopped
from crm_sync.vocabulary import RecordError


class WriteBack(IdWriteBack):
    """Writes Salesforce ids to one HubSpot object's id property."""

    def __init__(
        self, client: HubSpotClient, hs_object: str, id_property: str, pool: ThreadPoolExecutor
    ) -> None:
        super().__init__(id_property, hs_object)
        self.client = client
        self.hs_object = hs_object
        self.id_property = id_property
        self.pool = pool
        self._object_type: str | None = None
        self._lock = threading.Lock()

    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        try:
            object_type = self._resolve()
        except QuotaExhausted as exc:
            return stopped(items, exc), exc
        return self._update(object_type, items)

    def _update(self, object_type: str, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        """Batch updates of 100 on the pool: refusals by HubSpot id, and a quota stop
        (the ids of the calls it kept from HubSpot are refused as ``WRITE_BACK_STOPPED``)."""

        def update(part: Items) -> tuple[Refusals, QuotaExhausted | None]:
            inputs = [(hs_id, {self.id_property: sf_id}) for hs_id, sf_id in part]
            try:
                outcome = self.client.batch_update(object_type, inputs)
            except QuotaExhausted as stop:
                return stopped(part, stop), stop
            bad = {r.key: RecordError(r.category, r.message) for r in outcome.refusals if r.key}
            if outcome.refusals and not bad:  # an error naming no input: all of the call
                first = outcome.refusals[0]
                bad = {hs_id: RecordError(first.category, first.message) for hs_id, _ in part}
            return bad, None

        parts = list(chunks(items, BATCH_LIMIT))
        refusals: Refusals = {}
        stop: QuotaExhausted | None = None
        answers = self.pool.map(update, parts) if len(parts) > 1 else map(update, parts)
        for bad, stopped_by in answers:
            refusals |= bad
            stop = stop or stopped_by
        return refusals, stop

    def _resolve(self) -> str:
        with self._lock:
            if self._object_type is None:
                found = self.client.resolve_object_type(self.hs_object)
                if found is None:
                    raise ValueError(
                        f"HubSpot object {self.hs_object!r} (the mapping's hubspot.object) "
                        "does not exist: cannot write Salesforce ids back"
                    )
                self._object_type = found
            return self._object_type
