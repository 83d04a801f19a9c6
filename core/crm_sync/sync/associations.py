"""Associations of a mapped batch: which to make, which to undo, which to park (both legs).

A mapped record carries ``_crm_associations`` (:func:`~crm_sync.sync.annotations.
record_associations`): per association rule, the related record's *source* id. The value
an association was last made from is kept in the record's base, in its ``hubspot`` half,
under ``@assoc:<lookup>`` (:data:`ASSOC_KEY`), valued with the related record's
*Salesforce* id on both legs, so a lookup made by one leg is an unchanged base for the
other and an unchanged lookup costs nothing on the next run.

What differs between the legs is only the API call:

* forward (HubSpot): :class:`AssociationDiff` after the write: the associations to make
  and the ones to remove (their lookup changed), made by the target's
  :class:`AssociationWriter` (v4 batch calls);
* reverse (Salesforce): :class:`LookupFolder` before the write: a lookup is a field of
  the record, folded into its own create/update (no extra call).

Either way a reference whose related record is not linked yet is parked in the ledger's
pending associations, and :func:`make_pending` tries them again at the end of the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from crm_sync.reconcile import Action, Base, LedgerState, RecordPlan, RunReport
from crm_sync.sync.annotations import AssociationSpec, record_associations
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import AssociationRef
from crm_sync.sync.leg import Linked
from crm_sync.vocabulary import Direction

if TYPE_CHECKING:
    from crm_sync.sync.ledger import SyncLedger

ASSOC_KEY = "@assoc:"
"""Prefix of the base keys remembering the lookup an association was made from."""

_NO_LOOKUP = (Action.ARCHIVE, Action.SKIP)

PENDING_PAGE = 5_000
"""Parked associations made per page at the end of a run: a multiple of the 100 pairs of
a HubSpot association batch, so paging adds no call where the pairs share one type."""


def with_lookup(base: Mapping[str, Any] | None, values: Mapping[str, Any]) -> Base:
    """``base`` with the ``@assoc:`` keys of ``values`` (lookup -> value) in its hubspot half."""
    out = dict(base or {})
    hub = dict(out.get("hubspot") or {})
    hub.update({ASSOC_KEY + lookup: value for lookup, value in values.items()})
    return {**out, "hubspot": hub}


def _ref(mapping: str, source_id: str, spec: AssociationSpec, to_source_id: str) -> AssociationRef:
    return AssociationRef(mapping, source_id, spec.to_mapping, to_source_id, spec.association)


class Made(NamedTuple):
    """What an :class:`AssociationWriter` did with the references it was given."""

    made: list[AssociationRef]
    pending: list[AssociationRef]
    """Not made: an end is not synced, or the destination refused the association."""
    held: list[AssociationRef]
    """Both ends synced, kept back to fill a later batch call (the ledger parks them)."""


class AssociationWriter(Protocol):
    """The destination calls that make and remove associations (HubSpot v4)."""

    def make(self, refs: Sequence[AssociationRef], mine: Mapping[str, str]) -> Made:
        """Associate what can be (``mine``: source id -> destination id)."""
        ...

    def unmake(
        self,
        refs: Sequence[AssociationRef],
        mine: Mapping[str, str],
        shared: Collection[AssociationRef] = (),
    ) -> None:
        """Remove the associations ``refs`` name (made from a lookup's old value): the
        whole pair, except for the ``shared`` ones, whose pair another lookup of the
        record still implies (only their own label goes)."""
        ...


@dataclass(slots=True)
class AssociationDiff:
    """What a written batch changes in its records' associations."""

    wanted: list[AssociationRef] = field(default_factory=list)
    """Associations to make (new or changed lookups)."""
    stale: list[AssociationRef] = field(default_factory=list)
    """Associations made from a lookup's previous value, to remove."""
    bases: dict[str, Base] = field(default_factory=dict)
    """New bases of records whose ``@assoc:`` keys changed."""
    shared: set[AssociationRef] = field(default_factory=set)
    """Stale ones whose related record another of the record's lookups still names: the
    pair stays associated, only the stale rule's own label goes."""

    @classmethod
    def of(
        cls,
        mapping: str,
        plans: Sequence[RecordPlan],
        write: BatchWrite,
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> AssociationDiff:
        """Compare each written or unchanged record's references with its base."""
        refused = {r.plan.source_id for r in write.refused}
        diff = cls()
        for plan in plans:
            if plan.source_id in refused or plan.action in _NO_LOOKUP:
                continue
            state = states.get(plan.source_id)
            old_base = (state.base if state is not None else None) or {}
            base = plan.base_after or old_base
            hub = dict(base.get("hubspot") or {})
            old_hub = old_base.get("hubspot")
            kept = {k: v for k, v in old_hub.items() if k.startswith(ASSOC_KEY)} if old_hub else {}
            changed = False
            if kept:  # a new base keeps what the associations were made from
                changed = bool(plan.base_after) and any(k not in hub for k in kept)
                hub = {**kept, **hub}
            stale: list[AssociationRef] = []
            for spec in record_associations(payloads[plan.source_id]):
                key = ASSOC_KEY + spec.lookup
                old = hub.get(key)
                if old == spec.source_id:
                    continue
                if old is not None:
                    stale.append(_ref(mapping, plan.source_id, spec, str(old)))
                changed = True
                if spec.source_id is None:
                    hub.pop(key, None)
                    continue
                diff.wanted.append(_ref(mapping, plan.source_id, spec, spec.source_id))
                hub[key] = spec.source_id
            if stale:
                diff.stale += stale
                still = {str(v) for k, v in hub.items() if k.startswith(ASSOC_KEY)}
                diff.shared.update(r for r in stale if r.to_source_id in still)
            if changed:  # shares the other sides' values: the ledger copies a base it links
                diff.bases[plan.source_id] = {**cast(Base, base), "hubspot": hub}
        return diff

    def apply(
        self,
        writer: AssociationWriter,
        write: BatchWrite,
        states: Mapping[str, LedgerState],
    ) -> tuple[Linked, int]:
        """Remove the stale associations, make the wanted ones; (what the ledger keeps, made)."""
        if not self.wanted and not self.stale:
            return Linked([], [], self.bases), 0
        mine = {s: st.destination_id for s, st in states.items() if st and st.destination_id}
        mine |= {p.source_id: i for p, i in write.written}
        if self.stale:
            writer.unmake(self.stale, mine, self.shared)
        made, pending, held = writer.make(self.wanted, mine)
        rewired = {w.source_id for w in self.wanted}
        cleared = [r for r in self.stale if r.source_id not in rewired]
        return Linked(pending, made + cleared, self.bases, held), len(made)


def make_pending(
    ledger: SyncLedger,
    mapping: str,
    direction: Direction,
    make: Callable[
        [Sequence[AssociationRef], Mapping[str, str]],
        tuple[list[AssociationRef], dict[str, Base]],
    ],
) -> int:
    """End of run: retry a leg's parked associations whose record is now linked.

    The parked ones come a page of :data:`PENDING_PAGE` at a time (keyset on the ledger's
    id, so memory holds one page however many are parked). ``make(refs, mine)`` gets a
    page and the linked destination ids of its records and returns the ones it made and
    the new bases; the rest stay parked (attempts + 1). Returns how many were made.
    """
    count = 0
    for refs in ledger.pending_pages(mapping, direction, PENDING_PAGE):
        mine = ledger.destination_ids(mapping, direction, [r.source_id for r in refs])
        made, bases = make(refs, mine)
        done = set(made)
        still = [r for r in refs if r not in done]
        ledger.commit(mapping, direction, BatchWrite(), bases=bases, pending=still, made=made)
        count += len(made)
    return count


class LookupFolder:
    """Salesforce lookups from a mapping's associations, folded into the record's own write.

    A reference names the related record by its *HubSpot* id; the related mapping's id
    map in the ledger turns it into the Salesforce id written as the lookup field.
    """

    def __init__(
        self,
        mapping: str,
        ledger: SyncLedger,
        report: RunReport,
        direction: Direction = Direction.HS_TO_SF,
        report_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.mapping = mapping
        self.ledger = ledger
        self.report = report
        self.direction = direction
        self.report_lock: AbstractContextManager[Any] = report_lock or nullcontext()

    def resolve(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(to_mapping, related source id) -> its destination id, for the linked ones."""
        by_mapping: dict[str, set[str]] = defaultdict(set)
        for to_mapping, source_id in refs:
            by_mapping[to_mapping].add(source_id)
        out: dict[tuple[str, str], str] = {}
        for to_mapping, ids in by_mapping.items():
            found = self.ledger.destination_ids(to_mapping, self.direction, sorted(ids))
            out |= {(to_mapping, source_id): dest for source_id, dest in found.items()}
        return out

    def before_write(
        self,
        plans: list[RecordPlan],
        payloads: Mapping[str, Mapping[str, Any]],
        states: Mapping[str, LedgerState],
    ) -> tuple[list[RecordPlan], Linked]:
        """Fold changed, resolvable lookups into the plans; park the unresolvable ones."""
        specs = {
            p.source_id: record_associations(payloads[p.source_id])
            for p in plans
            if p.action not in _NO_LOOKUP
        }
        wanted = [(s.to_mapping, s.source_id) for ss in specs.values() for s in ss if s.source_id]
        resolved = self.resolve(wanted) if wanted else {}
        never_made = self._never_made(plans, specs)
        linked = Linked([], [], {})
        out: list[RecordPlan] = []
        for plan in plans:
            state = states.get(plan.source_id)
            base = plan.base_after or (state.base if state is not None else None) or {}
            kept = {lk for d, lk in never_made if d == plan.destination_id}
            values = self._values(plan, specs.get(plan.source_id, []), base, resolved, linked, kept)
            if values and plan.action is Action.UNCHANGED and plan.destination_id:
                plan = replace(plan, action=Action.UPDATE, changes=values)
            elif values and plan.action in (Action.CREATE, Action.UPDATE):
                plan = replace(plan, changes={**plan.changes, **values})
            else:
                values = {}
            if values:
                plan = replace(plan, base_after=with_lookup(base, values))
                with self.report_lock:
                    self.report.counts.associations_made += len(values)
            out.append(plan)
        return out, linked

    def _never_made(
        self, plans: Sequence[RecordPlan], specs: Mapping[str, Sequence[AssociationSpec]]
    ) -> set[tuple[str, str]]:
        """``(Salesforce id, lookup)`` of lookups the other leg still holds as pending.

        A HubSpot record without an association its lookup names may simply never have
        got it: the other leg parked it (the related record is not synced, e.g. a task's
        Draft project the mapping's filter leaves out). That is no removal, so the
        Salesforce lookup is kept; only the other leg's pending list tells them apart.
        """
        cleared = [
            str(p.destination_id)
            for p in plans
            if p.destination_id and any(s.source_id is None for s in specs.get(p.source_id, ()))
        ]
        if not cleared:
            return set()
        return self.ledger.pending_lookups(self.mapping, self.direction.reverse, cleared)

    def _values(
        self,
        plan: RecordPlan,
        specs: Sequence[AssociationSpec],
        base: Mapping[str, Any],
        resolved: Mapping[tuple[str, str], str],
        linked: Linked,
        never_made: Collection[str] = (),
    ) -> dict[str, Any]:
        """The lookup fields that change for one record; its references go to ``linked``.

        ``never_made``: lookups whose association the other leg never made (kept)."""
        hub = base.get("hubspot") or {}
        values: dict[str, Any] = {}
        for spec in specs:
            current = hub.get(ASSOC_KEY + spec.lookup)
            if spec.source_id is None:  # the association was removed: clear the lookup
                if current is not None and spec.lookup not in never_made:
                    values[spec.lookup] = None
                continue
            ref = _ref(self.mapping, plan.source_id, spec, spec.source_id)
            dest = resolved.get((spec.to_mapping, spec.source_id))
            if dest is None:
                linked.pending.append(ref)
                continue
            linked.made.append(ref)
            if current != dest:
                values[spec.lookup] = dest
        return values

    def make_pending(self, update: Callable[[Mapping[str, Mapping[str, Any]]], set[str]]) -> int:
        """End of run: set parked lookups whose both records are linked; returns how many.

        ``update({destination id: {lookup: value}})`` writes them and returns the
        destination ids it could not update.
        """
        count = 0

        def make(
            refs: Sequence[AssociationRef], mine: Mapping[str, str]
        ) -> tuple[list[AssociationRef], dict[str, Base]]:
            nonlocal count
            theirs = self.resolve([(r.to_mapping, r.to_source_id) for r in refs])
            ready = [
                r for r in refs if r.source_id in mine and (r.to_mapping, r.to_source_id) in theirs
            ]
            if not ready:
                return [], {}
            values: dict[str, dict[str, Any]] = defaultdict(dict)
            for ref in ready:
                values[ref.source_id][ref.lookup] = theirs[(ref.to_mapping, ref.to_source_id)]
            failed_dest = update({mine[i]: v for i, v in values.items()})
            failed = {i for i in values if mine[i] in failed_dest}
            states = self.ledger.load(self.mapping, self.direction, list(values))
            bases = {
                i: with_lookup(states[i].base if i in states else None, v)
                for i, v in values.items()
                if i not in failed
            }
            count += sum(len(values[i]) for i in bases)
            return [r for r in ready if r.source_id not in failed], bases

        make_pending(self.ledger, self.mapping, self.direction, make)
        with self.report_lock:
            self.report.counts.associations_made += count
        return count
