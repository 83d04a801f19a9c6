"""v4 associations from the mapper's lookups: made in batches once both records exist.

A lookup names the other record by its *source* id; both HubSpot ids come from the
ledger's id map (or from the batch just written). Pairs whose other record is not synced
yet are returned as pending; the ledger keeps them and the end of this or a later run
makes them. Labelled associations use ``batch/create`` with the label's type id (looked
up once per object pair), unlabelled ones ``batch/associate/default``. A label the
portal lacks is created when the target may create what the stream needs
(``create_missing_properties``).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot import BATCH_LIMIT, HubSpotClient, chunks
from crm_sync.hubspot.associations import find_type, type_listing
from crm_sync.sync.associations import Made
from crm_sync.sync.ledger import AssociationRef
from crm_sync.vocabulary import AssociationType, Direction, Side
from target_hubspot_custom.schema import DestinationSchemaError

if TYPE_CHECKING:
    from crm_sync.sync.ledger import SyncLedger


def _spec_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """A labels entry ``{category, typeId, label}`` as an association spec."""
    return {"associationCategory": item["category"], "associationTypeId": int(item["typeId"])}


class AssociationMaker:
    """Turns :class:`AssociationRef` into HubSpot associations for every sink of a run."""

    def __init__(
        self, client: HubSpotClient, ledger: SyncLedger, create_labels: bool = False
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.create_labels = create_labels
        """Create a missing labelled association type (with ``create_missing_properties``)."""
        self.objects: dict[str, str] = {}
        """Mapping name -> HubSpot object type id, registered by each sink of the run."""
        self._types: dict[tuple[str, str, AssociationType], list[dict[str, Any]]] = {}
        self._labels_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        """The pair's association types (``GET .../labels``): one call per pair per run."""
        with self._lock:
            known = self._labels_of.get((from_type, to_type))
        if known is None:
            known = self.client.association_labels(from_type, to_type)
            with self._lock:
                known = self._labels_of.setdefault((from_type, to_type), known)
        return known

    def _create_label(self, from_type: str, to_type: str, label: str) -> list[dict[str, Any]]:
        """Create a user-defined association label (``POST .../labels``); its type."""
        name = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "label"
        made = self.client.create_association_label(from_type, to_type, label, name)
        with self._lock:
            self._labels_of.setdefault((from_type, to_type), []).extend(made)
        for item in made:
            if item.get("label") == label:
                return [_spec_of(item)]
        raise ValueError(f"HubSpot did not return the created association label {label!r}")

    def register(self, mapping: str, object_name: str, object_type_id: str) -> None:
        """A sink of this run writes ``mapping`` to ``object_type_id``; remember it durably."""
        with self._lock:
            self.objects[mapping] = object_type_id
        self.ledger.remember_object(mapping, Side.HUBSPOT, object_name, object_type_id)

    def object_type(self, mapping: str) -> str | None:
        """The HubSpot object type id of ``mapping``: from this run, else from the ledger.

        A related mapping's stream need not be in the run (an incremental run where no
        account changed); what an earlier run learnt from its ``x-crm-mapping`` is kept
        in the ledger's ``mapping_object`` table.
        """
        with self._lock:
            if mapping in self.objects:
                return self.objects[mapping]
        known = self.ledger.mapped_object(mapping, Side.HUBSPOT)
        if known is None or not known.object_type_id:
            return None
        with self._lock:
            self.objects[mapping] = known.object_type_id
        return known.object_type_id

    def _assoc_types(
        self, mapping: str, from_type: str, to_type: str, spec: AssociationType
    ) -> list[dict[str, Any]]:
        """The ``types`` of ``batch/create`` for ``spec``; empty: the pair's default.

        A ``type_id`` without ``category`` takes its category from the pair's labels
        (HubSpot keys a type by both and refuses an id under the wrong category: 14, child
        to parent company, is ``HUBSPOT_DEFINED``). A type or label the pair lacks stops
        the run naming the mapping, the lookup and the type.
        """
        key = (from_type, to_type, spec)
        with self._lock:
            if key in self._types:
                return self._types[key]
        types: list[dict[str, Any]] = []
        if spec.type_id is not None and spec.category:
            types = [{"associationCategory": spec.category, "associationTypeId": int(spec.type_id)}]
        elif spec.type_id is not None:
            labels = self._labels(from_type, to_type)
            found = find_type(labels, spec.type_id)
            if found is None:
                raise DestinationSchemaError(
                    f"mapping {mapping!r}: association {spec.lookup} has type_id "
                    f"{spec.type_id}, which HubSpot does not have from {from_type} to "
                    f"{to_type} (its types: {type_listing(labels)}); fix type_id (or give "
                    "its category) in the spec"
                )
            types = [_spec_of(found)]
        elif spec.label:
            named = [i for i in self._labels(from_type, to_type) if i.get("label") == spec.label]
            if named:
                types = [_spec_of(named[0])]
            elif not self.create_labels:
                raise DestinationSchemaError(
                    f"mapping {mapping!r}: association label {spec.label!r} of "
                    f"{spec.lookup} does not exist between {from_type} and {to_type}; "
                    "create it in HubSpot, use type_id, or set create_missing_properties"
                )
            else:
                types = self._create_label(from_type, to_type, spec.label)
        with self._lock:
            self._types[key] = types
        return types

    def unmake(
        self,
        from_type: str,
        refs: Sequence[AssociationRef],
        mine: Mapping[str, str],
        shared: Collection[AssociationRef] = (),
    ) -> None:
        """Remove associations made from a lookup's old value (it changed or was cleared).

        The lookup implied the whole pair: a labelled association brings HubSpot's
        unlabelled (default) one with it, which ``batch/labels/archive`` of the label
        would leave behind. So each pair goes whole (``batch/archive``), every stale pair
        of an object pair together, 100 inputs a call. A ref in ``shared`` names a pair
        another lookup of the record still implies: only its own label goes
        (``batch/labels/archive``), and nothing for an unlabelled rule. Gone records are
        skipped.
        """
        groups: dict[tuple[str, AssociationType], list[AssociationRef]] = defaultdict(list)
        for ref in refs:
            groups[(ref.to_mapping, ref.association)].append(ref)
        whole: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)
        for (to_mapping, spec), group in groups.items():
            to_type = self.object_type(to_mapping)
            if to_type is None:
                continue
            theirs = self.ledger.associated_ids(
                to_mapping, Direction.SF_TO_HS, sorted({r.to_source_id for r in group})
            )
            kept: list[tuple[str, str]] = []
            for r in group:
                if r.source_id not in mine or r.to_source_id not in theirs:
                    continue
                pair = (mine[r.source_id], theirs[r.to_source_id])
                if r in shared:
                    kept.append(pair)
                else:
                    whole[to_type][pair] = None
            label = self._own_label(from_type, to_type, spec) if kept else []
            if label:
                self._archive(from_type, to_type, kept, label)
        for to_type, pairs in whole.items():
            self._archive(from_type, to_type, list(pairs), [])

    def _own_label(
        self, from_type: str, to_type: str, spec: AssociationType
    ) -> list[dict[str, Any]]:
        """The labelled type ``spec`` names between the pair, if it names one."""
        if spec.type_id is None and not spec.label:
            return []  # the pair's default: what the other lookup keeps
        labels = self._labels(from_type, to_type)
        if spec.type_id is not None:
            found = find_type(labels, spec.type_id, spec.category)
        else:
            found = next((i for i in labels if i.get("label") == spec.label), None)
        return [_spec_of(found)] if found is not None and found.get("label") else []

    def _archive(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str, str]],
        types: Sequence[Mapping[str, Any]],
    ) -> None:
        """``POST /crm/v4/associations/{from}/{to}/batch/(labels/)archive`` (204)."""
        self.client.archive_associations(from_type, to_type, pairs, types)

    def make(
        self,
        from_type: str,
        pool: ThreadPoolExecutor,
        refs: Sequence[AssociationRef],
        mine: Mapping[str, str],
        *,
        hold: bool = False,
    ) -> Made:
        """Associate what can be; with ``hold``, keep back each object pair's last
        partial batch (fewer than 100 pairs) instead of making it."""
        groups: dict[tuple[str, AssociationType], list[AssociationRef]] = defaultdict(list)
        for ref in refs:
            groups[(ref.to_mapping, ref.association)].append(ref)
        made: list[AssociationRef] = []
        pending: list[AssociationRef] = []
        held: list[AssociationRef] = []
        for (to_mapping, spec), group in groups.items():
            to_type = self.object_type(to_mapping)
            if to_type is None:  # that mapping was never seen by this target yet
                pending += group
                continue
            theirs = self.ledger.destination_ids(
                to_mapping, Direction.SF_TO_HS, sorted({r.to_source_id for r in group})
            )
            ready = [r for r in group if r.source_id in mine and r.to_source_id in theirs]
            pending += [r for r in group if r.source_id not in mine or r.to_source_id not in theirs]
            if hold:
                full = len(ready) - len(ready) % BATCH_LIMIT
                held += ready[full:]
                ready = ready[:full]
            # A bare type id is resolved even when nothing is ready: a wrong one stops the
            # run before its references are parked with it (a fixed spec then heals).
            bare = spec.type_id is not None and not spec.category
            types = (
                self._assoc_types(group[0].mapping, from_type, to_type, spec)
                if ready or bare
                else []
            )
            if not ready:
                continue
            pairs = [(mine[r.source_id], theirs[r.to_source_id]) for r in ready]

            def call(chunk: Sequence[tuple[str, str]], t: str = to_type, ty: list = types) -> bool:
                return not self.client.create_associations(from_type, t, chunk, ty).refusals

            index = 0
            for ok in pool.map(call, list(chunks(pairs))):
                part = ready[index : index + BATCH_LIMIT]
                index += BATCH_LIMIT
                (made if ok else pending).extend(part)
        return Made(made, pending, held)


class ObjectAssociations:
    """One sink's :class:`~crm_sync.sync.associations.AssociationWriter`: its object, its
    pool, and the associations it carries from one batch to the next.

    HubSpot makes up to 100 associations per call. A written batch's associations rarely
    fill the last call, so each object pair's remainder is held (:attr:`carried`) and
    made with the next batch's, which keeps the run at ceil(associations / 100) calls
    per object pair however its records fall into batches. What is held is parked in the
    ledger with the batch (``held_for_batch``), so STATE after the batch may go out: a
    run that stops before making them leaves them to the end of the next run. The end
    of this run makes what is still held with the other parked ones
    (:meth:`drop_carried`, then :func:`~crm_sync.sync.associations.make_pending`).
    Used from the write pipeline's thread only.
    """

    def __init__(self, maker: AssociationMaker, from_type: str, pool: ThreadPoolExecutor) -> None:
        self.maker = maker
        self.from_type = from_type
        self.pool = pool
        self.carried: dict[tuple[str, str], tuple[AssociationRef, str]] = {}
        """``(source id, lookup) -> (reference, its record's HubSpot id)``, held so far."""

    def make(self, refs: Sequence[AssociationRef], mine: Mapping[str, str]) -> Made:
        """Make ``refs`` with what is carried, in full calls; carry the remainder."""
        for ref in refs:  # a newer value of a carried lookup replaces it
            self.carried.pop((ref.source_id, ref.lookup), None)
        carried = [ref for ref, _ in self.carried.values()]
        mine = {**{ref.source_id: hs_id for ref, hs_id in self.carried.values()}, **mine}
        made, pending, held = self.maker.make(
            self.from_type, self.pool, [*carried, *refs], mine, hold=True
        )
        self.carried = {(ref.source_id, ref.lookup): (ref, mine[ref.source_id]) for ref in held}
        already = set(carried)  # parked when first held
        return Made(made, pending, [ref for ref in held if ref not in already])

    def make_now(self, refs: Sequence[AssociationRef], mine: Mapping[str, str]) -> Made:
        """Make ``refs`` now, the last partial call included (the end of the run)."""
        return self.maker.make(self.from_type, self.pool, refs, mine)

    def unmake(
        self,
        refs: Sequence[AssociationRef],
        mine: Mapping[str, str],
        shared: Collection[AssociationRef] = (),
    ) -> None:
        """Remove associations made from old lookup values; a carried one was never
        made, so it is only dropped (its parked row goes with the batch's commit)."""
        made = [ref for ref in refs if self.carried.pop((ref.source_id, ref.lookup), None) is None]
        if made:
            self.maker.unmake(self.from_type, made, mine, shared)

    def drop_carried(self) -> None:
        """Forget what is held: the ledger's parked rows stand for it (end of run)."""
        self.carried.clear()
