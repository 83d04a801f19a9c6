"""Write new Salesforce ids back to HubSpot's id property (e.g. ``salesforce_id``).

A record born in HubSpot gets its Salesforce twin by upsert on the external-id field;
the forward leg upserts HubSpot by ``salesforce_id``, so that property must hold the
new Id before the forward leg next sees the record, or it would create a second
HubSpot record. After each batch, every written or linked record whose HubSpot
payload (``_crm_destination_id``) does not name its Salesforce id yet is updated in
HubSpot, 100 per batch update, through :mod:`crm_sync.hubspot`. A write-back
HubSpot refuses puts the record in the dead letters (error ``WRITE_BACK_FAILED``): the
replay next run finds Salesforce unchanged and only repeats the write-back; once it
succeeds the record is settled and its dead letter closed. A Salesforce edit of that
record reaching the forward leg first is written to HubSpot by HubSpot id with the id
(:func:`crm_sync.sync.batch.keyed`), which closes the dead letter as well.

HubSpot's daily limit, or this sync's share of it (``hs_max_daily_share``, read from
the portal's daily headers by :class:`crm_sync.hubspot.daily.DailyShare`), stops the
write-back the same way: the ids not written are dead letters of the same kind, the
batch (its Salesforce ids linked) is committed, and then the run stops (exit 3).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from crm_sync.http import QuotaExhausted
from crm_sync.hubspot import BATCH_LIMIT, HubSpotClient
from crm_sync.reconcile import Action, LedgerState, RecordPlan
from crm_sync.salesforce import chunks
from crm_sync.sync.batch import BatchWrite, RefusedRecord, jsonable
from crm_sync.sync.leg import DESTINATION_ID, NOTHING_LINKED, Linked
from crm_sync.vocabulary import WRITE_BACK_FAILED, RecordError

log = logging.getLogger(__name__)

Items = Sequence[tuple[str, tuple[RecordPlan, str]]]
"""HubSpot id → (plan, Salesforce id) of the write-backs to make, as pairs."""


def stopped(items: Items, stop: QuotaExhausted) -> dict[str, RecordError]:
    """The write-backs a quota stop kept from HubSpot, as refusals naming the stop."""
    return {hs_id: RecordError("WRITE_BACK_STOPPED", str(stop)) for hs_id, _ in items}


class WriteBack:
    """Writes Salesforce ids to one HubSpot object's id property."""

    def __init__(
        self, client: HubSpotClient, hs_object: str, id_property: str, pool: ThreadPoolExecutor
    ) -> None:
        self.client = client
        self.hs_object = hs_object
        self.id_property = id_property
        self.pool = pool
        self._object_type: str | None = None
        self._lock = threading.Lock()
        self.written = 0

    def wanted(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, tuple[RecordPlan, str]]:
        """HubSpot id → (plan, Salesforce id) for records whose HubSpot side lacks the id."""
        refused = {r.plan.source_id for r in write.refused}
        sf_ids = {
            p.source_id: (p, p.destination_id)
            for p in plans
            if p.destination_id and p.action not in (Action.ARCHIVE, Action.SKIP)
        }
        sf_ids |= {
            p.source_id: (p, dest) for p, dest in write.written if p.action is not Action.ARCHIVE
        }
        return {
            hs_id: (plan, str(sf_id))
            for hs_id, (plan, sf_id) in sf_ids.items()
            if hs_id not in refused
            and sf_id
            and str(payloads.get(hs_id, {}).get(DESTINATION_ID) or "") != str(sf_id)
        }

    def after_write(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> Linked:
        """Batch-update HubSpot; refused write-backs become dead letters (see module doc).

        A quota stop dead-letters the ids it kept from HubSpot, then raises (the leg
        commits ``write`` first).
        """
        wanted = self.wanted(plans, write, payloads)
        if not wanted:
            return NOTHING_LINKED
        items = list(wanted.items())
        stop: QuotaExhausted | None
        try:
            object_type = self._resolve()
        except QuotaExhausted as exc:
            refusals, stop = stopped(items, exc), exc
        else:
            refusals, stop = self._update(object_type, items)
        in_write = {p.source_id for p, _ in write.written} | {p.source_id for p in write.settled}
        for hs_id, (plan, sf_id) in items:
            if hs_id in refusals:
                why = refusals[hs_id]
                error = RecordError(
                    WRITE_BACK_FAILED, f"{self.id_property}={sf_id}: {why}", (self.id_property,)
                )
                write.refused.append(RefusedRecord(plan, jsonable(payloads[hs_id]), error))
            else:
                self.written += 1
                if hs_id not in in_write:
                    write.settled.append(plan)  # closes a dead letter of an earlier failure
        if refusals:
            log.warning(
                "HubSpot %s %d of %d id write-back(s) to %s.%s; kept as dead letters, "
                "written by the next run",
                "quota stop: not written" if stop is not None else "refused",
                len(refusals),
                len(items),
                self.hs_object,
                self.id_property,
            )
        if stop is not None:
            raise stop
        return NOTHING_LINKED

    def _update(
        self, object_type: str, items: Items
    ) -> tuple[dict[str, RecordError], QuotaExhausted | None]:
        """Batch updates of 100 on the pool: refusals by HubSpot id, and a quota stop
        (the ids of the calls it kept from HubSpot are refused as ``WRITE_BACK_STOPPED``)."""

        def update(part: Items) -> tuple[dict[str, RecordError], QuotaExhausted | None]:
            inputs = [(hs_id, {self.id_property: sf_id}) for hs_id, (_, sf_id) in part]
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
        refusals: dict[str, RecordError] = {}
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
