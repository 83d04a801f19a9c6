"""v4 associations from the mapper's lookups: made in batches once both records exist.

A lookup names the other record by its *source* id; both HubSpot ids come from the
ledger's id map (or from the batch just written). Pairs whose other record is not synced
yet are returned as pending; the ledger keeps them and the end of this or a later run
makes them. Labelled associations use ``batch/create`` with the label's type id (looked
up once per object pair), unlabelled ones ``batch/associate/default``.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crm_sync.reconcile import Direction
from crm_sync.sync.ledger import AssociationRef
from target_hubspot_custom.client import HubSpotClient, chunks

if TYPE_CHECKING:
    from crm_sync.sync.annotations import AssociationSpec
    from crm_sync.sync.ledger import SyncLedger
    from target_hubspot_custom.sinks import HubSpotSink


class AssociationMaker:
    """Turns :class:`AssociationRef` into HubSpot associations for every sink of a run."""

    def __init__(self, client: HubSpotClient, ledger: SyncLedger) -> None:
        self.client = client
        self.ledger = ledger
        self._types: dict[tuple[str, str, str | None, int | None], list[dict[str, Any]]] = {}
        self._object_types: dict[str, str] = {}
        self._lock = threading.Lock()

    def _object_type(self, name: str) -> str:
        with self._lock:
            if name not in self._object_types:
                resolved = self.client.resolve_object_type(name)
                if resolved is None:
                    raise ValueError(f"association target object {name!r} does not exist")
                self._object_types[name] = resolved
            return self._object_types[name]

    def _assoc_types(self, from_type: str, to_type: str, spec: AssociationSpec) -> list[dict]:
        key = (from_type, to_type, spec.label, spec.type_id)
        with self._lock:
            if key in self._types:
                return self._types[key]
        types: list[dict[str, Any]] = []
        if spec.type_id is not None:
            types = [
                {
                    "associationCategory": spec.category or "USER_DEFINED",
                    "associationTypeId": int(spec.type_id),
                }
            ]
        elif spec.label:
            for item in self.client.association_labels(from_type, to_type):
                if item.get("label") == spec.label:
                    types = [
                        {
                            "associationCategory": item["category"],
                            "associationTypeId": int(item["typeId"]),
                        }
                    ]
                    break
            else:
                raise ValueError(
                    f"association label {spec.label!r} does not exist between {from_type} "
                    f"and {to_type}; create it in HubSpot or use type_id"
                )
        with self._lock:
            self._types[key] = types
        return types

    def make(
        self,
        sink: HubSpotSink,
        refs: Sequence[AssociationRef],
        mine: Mapping[str, str],
    ) -> tuple[list[AssociationRef], list[AssociationRef]]:
        """Associate what can be; return (made, still pending)."""
        assert sink.mapping is not None and sink.object is not None
        specs = {s.lookup: s for s in sink.mapping.associations}
        by_target: dict[str, list[AssociationRef]] = defaultdict(list)
        for ref in refs:
            by_target[ref.to_mapping].append(ref)
        made: list[AssociationRef] = []
        pending: list[AssociationRef] = []
        for to_mapping, group in by_target.items():
            theirs = self.ledger.destination_ids(
                to_mapping, Direction.SF_TO_HS, sorted({r.to_source_id for r in group})
            )
            ready = [r for r in group if r.source_id in mine and r.to_source_id in theirs]
            pending += [r for r in group if r not in ready]
            by_spec: dict[str, list[AssociationRef]] = defaultdict(list)
            for ref in ready:
                by_spec[ref.spec].append(ref)
            for lookup, items in by_spec.items():
                spec = specs.get(lookup)
                if spec is None:  # the mapping no longer has this association
                    continue
                from_type = sink.object.object_type_id
                to_type = self._object_type(spec.to_object)
                types = self._assoc_types(from_type, to_type, spec)
                pairs = [(mine[r.source_id], theirs[r.to_source_id]) for r in items]
                index = {pair: ref for pair, ref in zip(pairs, items, strict=True)}

                def call(
                    chunk: Sequence[tuple[str, str]],
                    f: str = from_type,
                    t: str = to_type,
                    ty: list = types,
                ) -> tuple[list, bool]:
                    outcome = self.client.create_associations(f, t, chunk, ty)
                    return list(chunk), not outcome.refusals

                for chunk, ok in sink.pool.map(call, list(chunks(pairs))):
                    refs_of_chunk = [index[p] for p in chunk]
                    (made if ok else pending).extend(refs_of_chunk)
        return made, pending
