"""Write the destination's new record ids back to the source's id field, after a batch.

Each leg upserts by a key that holds the other side's id: the forward leg by HubSpot's
``salesforce_id``, the reverse leg by Salesforce's ``HubSpot_Id__c``. A record a leg
creates gets the new id in the other side's key only if the leg writes it back to its
source record, so both targets do the same after each batch (their ``after_write``
hook, :class:`~crm_sync.sync.leg.MappedLeg`): every written or linked record whose
payload (``_crm_destination_id``, the source's id field as the tap read it) does not
name its destination id yet gets it, in as few calls as the API allows.

A write-back the source API refuses puts the record in the dead letters with
``WRITE_BACK_FAILED``: the record was written, the letter stands only for its id. The
replay next run finds the destination unchanged and only repeats the write-back; once
that succeeds the letter is closed (the plan goes to ``write.settled``). A quota stop
(:class:`~crm_sync.http.QuotaExhausted`) dead-letters the ids it kept back the same way,
then raises once the batch is committed.

A leg's subclass says how ids are written (:meth:`IdWriteBack.write_ids`). The write-back
moves the source record's modification time (Salesforce ``SystemModstamp``), so its tap
reads the record again next run: the leg's three-way merge finds every mapped value
equal to the base and the payload naming the id, so that echo costs no write.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from crm_sync.http import QuotaExhausted
from crm_sync.reconcile import Action, LedgerState, RecordPlan
from crm_sync.sync.annotations import PARTIAL
from crm_sync.sync.batch import BatchWrite, RefusedRecord, jsonable
from crm_sync.sync.leg import DESTINATION_ID, NOTHING_LINKED, Linked
from crm_sync.vocabulary import WRITE_BACK_FAILED, RecordError

log = logging.getLogger(__name__)

Items = Sequence[tuple[str, tuple[RecordPlan, str]]]
"""Source id → (plan, destination id) of the write-backs to make, as pairs."""
Refusals = dict[str, RecordError]
"""Source id → why its write-back was not made."""


def stopped(items: Items, stop: QuotaExhausted) -> Refusals:
    """The write-backs a quota stop kept back, as refusals naming the stop."""
    return {source_id: RecordError("WRITE_BACK_STOPPED", str(stop)) for source_id, _ in items}


class IdWriteBack(ABC):
    """Writes destination ids to one source object's id field (see the module doc).

    ``needs_key`` (the forward leg): write back only into an id field the payload carries
    and finds blank. A record read without it (a partial refresh, a catalog that deselected
    the field) is not written again on every run; one holding another record's id keeps
    it, since the other leg upserts by that key (overwriting it would make that leg create
    a second record for the one it names).
    """

    def __init__(self, id_field: str, where: str, *, needs_key: bool = False) -> None:
        self.id_field = id_field
        self.where = where
        """The source object, for logs (``Account``, ``companies``)."""
        self.needs_key = needs_key
        self.written = 0

    @abstractmethod
    def write_ids(self, items: Items) -> tuple[Refusals, QuotaExhausted | None]:
        """Write ``items`` to the source; the refused ones, and a quota stop if one came
        (the items it kept back are among the refusals, see :func:`stopped`)."""

    def wanted(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, tuple[RecordPlan, str]]:
        """Source id → (plan, destination id) for records whose source lacks the id."""
        refused = {r.plan.source_id for r in write.refused}
        ids = {
            p.source_id: (p, p.destination_id)
            for p in plans
            if p.destination_id and p.action not in (Action.ARCHIVE, Action.SKIP)
        }
        ids |= {p.source_id: (p, d) for p, d in write.written if p.action is not Action.ARCHIVE}
        out: dict[str, tuple[RecordPlan, str]] = {}
        for source_id, (plan, dest_id) in ids.items():
            payload = payloads.get(source_id, {})
            if source_id in refused or not dest_id:
                continue
            if self.needs_key and (
                DESTINATION_ID not in payload or payload.get(PARTIAL) or payload[DESTINATION_ID]
            ):
                continue  # not read, or it holds an id already: another record's, leave it
            if str(payload.get(DESTINATION_ID) or "") != str(dest_id):
                out[source_id] = (plan, str(dest_id))
        return out

    def after_write(
        self,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> Linked:
        """Write the ids; refused ones become dead letters (see the module doc).

        A quota stop dead-letters the ids it kept back, then raises (the leg commits
        ``write`` first).
        """
        wanted = self.wanted(plans, write, payloads)
        if not wanted:
            return NOTHING_LINKED
        items = list(wanted.items())
        refusals, stop = self.write_ids(items)
        in_write = {p.source_id for p, _ in write.written} | {p.source_id for p in write.settled}
        for source_id, (plan, dest_id) in items:
            if source_id in refusals:
                why = refusals[source_id]
                error = RecordError(
                    WRITE_BACK_FAILED, f"{self.id_field}={dest_id}: {why}", (self.id_field,)
                )
                write.refused.append(RefusedRecord(plan, jsonable(payloads[source_id]), error))
            else:
                self.written += 1
                if source_id not in in_write:
                    write.settled.append(plan)  # closes a dead letter of an earlier failure
        if refusals:
            log.warning(
                "%s %d of %d id write-back(s) to %s.%s; kept as dead letters, "
                "written by the next run",
                "quota stop: not written" if stop is not None else "refused",
                len(refusals),
                len(items),
                self.where,
                self.id_field,
            )
        if stop is not None:
            raise stop
        return NOTHING_LINKED
