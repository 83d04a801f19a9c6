"""Why a pending association waits, and the run's word about those that keep waiting.

Every association parked in the ledger carries a :class:`~crm_sync.ledger.PendingReason`
and a ``last_error`` naming the records (ids only, never values), decided from what the
ledger knows when the batch is committed: whether the record holding the lookup and the
related record are linked, whether the related record is a dead letter, whether the
related mapping ever ran with this ledger. At the end of a run, :func:`warn_stuck` logs
one WARNING line per reason for the associations pending since before the run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from crm_sync.ledger import PendingReason
from crm_sync.vocabulary import Direction

if TYPE_CHECKING:
    from crm_sync.sync.ledger import AssociationRef, SyncLedger

__all__ = ["explain_pending", "warn_stuck"]

Explained = dict[tuple[str, str], tuple[PendingReason, str]]
"""``(source id, lookup) -> (reason, last_error)``."""


def explain_pending(
    ledger: SyncLedger,
    mapping: str,
    direction: Direction,
    refs: Sequence[AssociationRef],
    written: Collection[str] = (),
) -> Explained:
    """The reason each of ``refs`` is pending (``written``: source ids linked by this batch)."""
    if not refs:
        return {}
    store = ledger.store
    mine = set(ledger.destination_ids(mapping, direction, [r.source_id for r in refs]))
    mine |= set(written)
    by_target: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        by_target[ref.to_mapping].add(ref.to_source_id)
    linked: dict[str, set[str]] = {}
    refused: dict[str, dict[str, str]] = {}
    ran: dict[str, bool] = {}
    for to_mapping, ids in by_target.items():
        linked[to_mapping] = set(ledger.destination_ids(to_mapping, direction, sorted(ids)))
        refused[to_mapping] = store.open_dead_letters(to_mapping, direction, ids)
        ran[to_mapping] = bool(linked[to_mapping]) or (
            ledger.mapped_object(to_mapping, direction.destination) is not None
        )
    out: Explained = {}
    for ref in refs:
        target = f"{ref.to_mapping} {ref.to_source_id}"
        code = refused[ref.to_mapping].get(ref.to_source_id)
        if ref.source_id not in mine:
            reason = PendingReason.SOURCE_NOT_SYNCED
            text = f"{mapping} {ref.source_id} is not synced itself"
        elif ref.to_source_id in linked[ref.to_mapping]:
            reason = PendingReason.NO_ASSOCIATION_TYPE
            text = (
                f"{mapping} {ref.source_id} and {target} are both synced, but the "
                f"association ({ref.lookup}) was refused: check the association type or "
                "label between the two objects"
            )
        elif code is not None:
            reason = PendingReason.TARGET_REFUSED
            text = f"{target} was refused ({code}); see its dead letter"
        elif not ran[ref.to_mapping]:
            reason = PendingReason.TARGET_MAPPING_NOT_RUN
            text = (
                f"mapping {ref.to_mapping!r} never ran with this ledger (disabled, unknown, "
                "or not in this job)"
            )
        else:
            reason = PendingReason.TARGET_NOT_SYNCED
            text = f"{target} is not synced yet"
        out[(ref.source_id, ref.lookup)] = (reason, f"{ref.lookup} -> {text}")
    return out


def warn_stuck(
    logger: logging.Logger,
    ledger: SyncLedger,
    mapping: str,
    direction: Direction,
    run_started: datetime,
) -> int:
    """One WARNING per reason for associations pending since before this run; how many."""
    total = 0
    for reason, count, sample in ledger.store.pending_reasons(mapping, direction, run_started):
        total += count
        meaning = PendingReason(reason).meaning if reason else "reason not recorded"
        logger.warning(
            "%s: %d association(s) still pending after more than one run: %s "
            "(%s); e.g. %s; `crm-sync pending list --mapping %s` lists them",
            mapping,
            count,
            reason or "unknown",
            meaning,
            sample or "-",
            mapping,
        )
    return total
