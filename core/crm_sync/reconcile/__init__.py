"""Reconciliation: the field-level three-way merge of DESIGN §3. Pure functions, no I/O.

Public API (everything a target needs)::

    from crm_sync.reconcile import (
        MappingPolicy, FieldPolicy, Rule, Conflict, DeleteRule, Side, Direction,
        SourceRecord, LedgerState, DestinationState, MISSING,
        needs_destination, plan_record, decide_field,
        RecordPlan, Action, SkipReason, FieldDecision, FieldConflict, Tombstone,
        RunReport, render_table, render_json, canonical, same_value, is_blank,
    )

Per batch, a target:

1. builds ``policy = MappingPolicy.from_dict(spec)`` once per stream;
2. loads the ledger view of the batch (:meth:`crm_sync.ledger.LedgerStore.load`) and
   turns each record into a ``SourceRecord(id, values, modified_at, deleted_at)``;
3. reads the destination, in batches, only for records where
   ``needs_destination(policy, direction, record, ledger_state)`` is true, giving a
   ``DestinationState(id, values, modified_at)`` or ``DestinationState.missing(id)``;
4. calls ``plan_record(policy, direction, record, ledger_state, destination)``: the
   :class:`RecordPlan` says ``create`` / ``update`` (``changes``) / ``unchanged`` /
   ``archive`` / ``skip`` (``skip_reason``), lists ``conflicts`` with the winner and
   the rule that decided, and carries ``base_after`` (the next base, None if
   unchanged) and ``tombstones`` to store once the write succeeded;
5. writes the ``changes`` (nothing for ``unchanged``: a record equal to its base, or
   an echo of the other leg, costs no call), then records every plan in the ledger
   (``uow.apply(plan, destination_id=new_id_if_created)``: links, next base,
   tombstones; a no-op for a record equal to its base);
   a never-linked record may be looked up by key first (``DestinationState`` with
   its id) so importing records that already exist on both sides applies the field
   rules instead of overwriting; without that read it is planned as a ``create``,
   which an upsert on the stable key turns into an overwrite;
6. feeds every plan to a :class:`RunReport` (``observe``, ``failed``) and prints
   ``render_table(reports)`` / ``render_json(reports)``; in a dry run that is the plan.

Field values in ``SourceRecord.values`` and ``DestinationState.values`` use the
destination's names; bases are stored per side (``{"salesforce": {...}, "hubspot":
{...}}``). All comparisons go through :func:`canonical`, so ``"10"`` equals ``10.0``,
``"true"`` equals ``True``, datetimes compare as instants to the millisecond, multi-
selects ignore order and ``None`` equals ``""``.
"""

from crm_sync.reconcile.merge import (
    MISSING,
    Action,
    Base,
    DestinationState,
    FieldConflict,
    FieldDecision,
    LedgerState,
    Outcome,
    Reason,
    RecordPlan,
    SkipReason,
    SourceRecord,
    Tombstone,
    decide_field,
    needs_destination,
    plan_record,
)
from crm_sync.reconcile.normalize import BLANK, canonical, is_blank, same_value
from crm_sync.reconcile.policy import FieldPolicy, MappingPolicy
from crm_sync.reconcile.report import (
    ConflictNote,
    Counts,
    DiffSample,
    RunReport,
    render_json,
    render_table,
)
from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side

__all__ = [
    "BLANK",
    "MISSING",
    "Action",
    "Base",
    "Conflict",
    "ConflictNote",
    "Counts",
    "DeleteRule",
    "DestinationState",
    "DiffSample",
    "Direction",
    "FieldConflict",
    "FieldDecision",
    "FieldPolicy",
    "LedgerState",
    "MappingPolicy",
    "Outcome",
    "Reason",
    "RecordPlan",
    "Rule",
    "RunReport",
    "Side",
    "SkipReason",
    "SourceRecord",
    "Tombstone",
    "canonical",
    "decide_field",
    "is_blank",
    "needs_destination",
    "plan_record",
    "render_json",
    "render_table",
    "same_value",
]
