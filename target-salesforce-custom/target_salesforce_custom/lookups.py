"""Salesforce lookups from the mapper's associations (an associated company → ``Account__c``).

A record's ``_crm_associations`` name the related record by its *HubSpot* id; the
ledger's id map of the related mapping turns that into a Salesforce id, which is
written as the lookup field in the record's own create/update call (no extra call).
The value a lookup was last written with is kept in the base (``@assoc:<lookup>``,
the convention both legs share, see :data:`crm_sync.sync.leg.ASSOC_KEY`), so an
unchanged association costs nothing and the forward leg does not echo it. A related
record not synced yet is parked as a pending association; the end of this run or a
later one sets the lookup once both records exist (one update call per 200).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from crm_sync.reconcile import Action, Direction, LedgerState, RecordPlan, RunReport
from crm_sync.salesforce import COLLECTION_LIMIT, SalesforceClient, chunks
from crm_sync.sync.annotations import AssociationSpec, record_associations
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.ledger import AssociationRef
from crm_sync.sync.leg import ASSOC_KEY, Linked

if TYPE_CHECKING:
    from crm_sync.reconcile import Base
    from crm_sync.sync.ledger import SyncLedger

DIRECTION = Direction.HS_TO_SF
_NO_LOOKUP = (Action.ARCHIVE, Action.SKIP)


def _with_lookup(base: Mapping[str, Any] | None, values: Mapping[str, Any]) -> Base:
    """``base`` with the ``@assoc:`` keys of ``values`` set in its hubspot half."""
    base = dict(base or {})
    hub = dict(base.get("hubspot") or {})
    hub.update({ASSOC_KEY + lookup: value for lookup, value in values.items()})
    return {**base, "hubspot": hub}


def _lookup_field(ref: AssociationRef) -> str:
    """The lookup field of a parked reference (its spec is a rule key, or the bare name)."""
    if ref.spec.startswith("{"):
        return AssociationSpec.from_rule_key(ref.spec, ref.to_mapping, "").lookup
    return ref.spec


class LookupResolver:
    """Resolves one mapping's association references to Salesforce lookup values."""

    def __init__(
        self,
        mapping: str,
        ledger: SyncLedger,
        client: SalesforceClient,
        sobject: str,
        report: RunReport,
    ) -> None:
        self.mapping = mapping
        self.ledger = ledger
        self.client = client
        self.sobject = sobject
        self.report = report

    def _resolve(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(to_mapping, HubSpot id) → Salesforce id, for the related records that are linked."""
        by_mapping: dict[str, set[str]] = defaultdict(set)
        for to_mapping, hs_id in refs:
            by_mapping[to_mapping].add(hs_id)
        out: dict[tuple[str, str], str] = {}
        for to_mapping, ids in by_mapping.items():
            found = self.ledger.destination_ids(to_mapping, DIRECTION, sorted(ids))
            out |= {(to_mapping, hs_id): sf_id for hs_id, sf_id in found.items()}
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
        resolved = self._resolve(wanted) if wanted else {}
        pending: list[AssociationRef] = []
        made: list[AssociationRef] = []
        out: list[RecordPlan] = []
        for plan in plans:
            state = states.get(plan.source_id)
            base = plan.base_after or (state.base if state is not None else None) or {}
            changes = self._changes(plan, specs.get(plan.source_id, []), base, resolved)
            refs, values = changes
            pending += refs[0]
            made += refs[1]
            if values and plan.action is Action.UNCHANGED and plan.destination_id:
                plan = replace(plan, action=Action.UPDATE, changes=values)
            elif values and plan.action in (Action.CREATE, Action.UPDATE):
                plan = replace(plan, changes={**plan.changes, **values})
            else:
                values = {}
            if values:
                plan = replace(plan, base_after=_with_lookup(base, values))
                self.report.counts.associations_made += len(values)
            out.append(plan)
        return out, Linked(pending, made, {})

    def _changes(
        self,
        plan: RecordPlan,
        specs: Sequence[AssociationSpec],
        base: Mapping[str, Any],
        resolved: Mapping[tuple[str, str], str],
    ) -> tuple[tuple[list[AssociationRef], list[AssociationRef]], dict[str, Any]]:
        hub = base.get("hubspot") or {}
        pending: list[AssociationRef] = []
        made: list[AssociationRef] = []
        values: dict[str, Any] = {}
        for spec in specs:
            current = hub.get(ASSOC_KEY + spec.lookup)
            if spec.source_id is None:  # the association was removed: clear the lookup
                if current is not None:
                    values[spec.lookup] = None
                continue
            ref = AssociationRef(
                self.mapping, plan.source_id, spec.to_mapping, spec.source_id, spec.rule_key()
            )
            sf_id = resolved.get((spec.to_mapping, spec.source_id))
            if sf_id is None:
                pending.append(ref)
                continue
            made.append(ref)
            if current != sf_id:
                values[spec.lookup] = sf_id
        return (pending, made), values

    def make_pending(self) -> int:
        """End of run: set parked lookups whose both records are now linked; returns calls."""
        refs = self.ledger.pending_associations(self.mapping, DIRECTION)
        if not refs:
            return 0
        mine = self.ledger.destination_ids(self.mapping, DIRECTION, [r.source_id for r in refs])
        theirs = self._resolve([(r.to_mapping, r.to_source_id) for r in refs])
        ready = [
            r for r in refs if r.source_id in mine and (r.to_mapping, r.to_source_id) in theirs
        ]
        if not ready:
            return 0
        states = self.ledger.load(self.mapping, DIRECTION, [r.source_id for r in ready])
        values: dict[str, dict[str, Any]] = defaultdict(dict)
        for ref in ready:
            lookup = _lookup_field(ref)
            values[ref.source_id][lookup] = theirs[(ref.to_mapping, ref.to_source_id)]
        ids = list(values)
        failed: set[str] = set()
        calls = 0
        for part in chunks(ids, COLLECTION_LIMIT):
            records = [{"Id": mine[i], **values[i]} for i in part]
            results = self.client.update(self.sobject, records)
            calls += 1
            failed |= {i for i, r in zip(part, results, strict=True) if not r.success}
        made = [r for r in ready if r.source_id not in failed]
        still = [r for r in refs if r not in made]
        bases = {
            i: _with_lookup(states[i].base if i in states else None, values[i])
            for i in ids
            if i not in failed
        }
        self.ledger.commit(
            self.mapping, DIRECTION, BatchWrite(), bases=bases, pending=still, made=made
        )
        self.report.counts.associations_made += sum(len(values[i]) for i in bases)
        return calls
