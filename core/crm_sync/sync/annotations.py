"""Read the mapper's annotations from a SCHEMA message (DESIGN §1).

The mapping spec is read in one place only, map-crm (see ``map_crm.mapper`` and
``map_crm.streams`` for the exact shape); it sends what the target needs inside the
emitted SCHEMA: ``x-crm-mapping`` on the stream (ids, create/delete/conflict rules) and
``x-crm-rule`` / ``x-crm-source`` / ``x-crm-kind`` (and ``x-crm-compare``, a coarser kind
to compare in; ``x-crm-conflict``, a two_way field's own conflict rule) on each property.
Records carry ``_crm_source_id``, ``_crm_source_modified_at``, ``_crm_associations``,
``_crm_errors``, ``_crm_warnings`` and ``_crm_partial``. (The Salesforce tap reads the
specs too, for one setting only: a mapping's ``refresh``, which must reach the extractor.)
A SCHEMA without ``x-crm-mapping`` is a plain stream from any tap: upsert by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_sync.reconcile import MappingPolicy
from crm_sync.vocabulary import AssociationType, Direction

STREAM_KEYS = ("x-crm-mapping",)
RULE_KEY = "x-crm-rule"
SOURCE_KEY = "x-crm-source"
KIND_KEY = "x-crm-kind"
COMPARE_KEY = "x-crm-compare"
"""The kind values are compared in when it is coarser than ``x-crm-kind`` (a date <->
datetime field compares as a date: :func:`crm_sync.convert.kinds.compared_kind`)."""
CONFLICT_KEY = "x-crm-conflict"
SOURCE_ID = "_crm_source_id"
MODIFIED_AT = "_crm_source_modified_at"
ASSOCIATIONS = "_crm_associations"
ERRORS = "_crm_errors"
WARNINGS = "_crm_warnings"
"""A field the mapper left out of this record while the rest syncs (``{field, code,
message}``; ``owner_unmatched``): counted in the run report by code."""
PARTIAL = "_crm_partial"
"""True on a record carrying only some mapped fields: it updates, never creates."""


@dataclass(frozen=True, slots=True)
class AssociationSpec:
    """One association reference of a record: its type and the related record's source id."""

    association: AssociationType
    to_mapping: str
    source_id: str | None = None
    """The related record's id in the source system; None = no related record."""

    @property
    def lookup(self) -> str:
        """The source lookup field the association comes from (the rule's key)."""
        return self.association.lookup


@dataclass(frozen=True, slots=True)
class StreamMapping:
    """A mapped stream: the policy and where ids, times and lookups are in its records.

    ``object_name`` / ``id_property`` are the destination's object and the key the leg
    upserts on (HubSpot ``id_property`` on sf_to_hs, Salesforce ``id_field`` on
    hs_to_sf); ``source_object`` / ``source_key`` are the source side's object and the
    field there that holds the destination's id (where a new id is written back).
    """

    policy: MappingPolicy
    object_name: str
    id_property: str
    source_id_field: str
    modified_field: str | None
    has_associations: bool = False
    direction: Direction = Direction.SF_TO_HS
    source_object: str = ""
    source_key: str = ""
    create_object: bool | None = None
    """The spec's ``hubspot.create_object`` (None: it does not say)."""
    write_back: bool = True
    """The spec's ``salesforce.write_back`` (the forward leg writes HubSpot ids into the
    Salesforce id field unless it says false)."""


def _first(container: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in container:
            return container[key]
    return None


def read_stream_mapping(stream: str, schema: Mapping[str, Any]) -> StreamMapping | None:
    """The mapping annotated on ``schema``, or None for a plain stream.

    Property names are the destination's (``x-crm-source`` the source's), so which
    side a name belongs to follows the annotation's ``direction`` (sf_to_hs if absent).
    """
    spec = _first(schema, STREAM_KEYS)
    if not isinstance(spec, Mapping):
        return None
    direction = Direction(spec.get("direction") or Direction.SF_TO_HS)
    sides = {"hubspot": spec.get("hubspot") or {}, "salesforce": spec.get("salesforce") or {}}
    keys = {"hubspot": "id_property", "salesforce": "id_field"}
    dst, src = direction.destination.value, direction.source.value
    object_name, id_property = sides[dst].get("object"), sides[dst].get(keys[dst])
    if not object_name or not id_property:
        raise ValueError(
            f"stream {stream!r}: mapping annotation lacks {dst}.object/{dst}.{keys[dst]}"
        )
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, Mapping) and prop.get(RULE_KEY):
            fields.append(
                {
                    dst: name,
                    src: prop.get(SOURCE_KEY) or name,
                    "rule": prop[RULE_KEY],
                    "kind": prop.get(COMPARE_KEY) or prop.get(KIND_KEY),
                    "conflict": prop.get(CONFLICT_KEY),
                }
            )
    policy = MappingPolicy.from_dict({**spec, "name": spec.get("name", stream), "fields": fields})
    props = schema.get("properties") or {}
    return StreamMapping(
        policy=policy,
        object_name=str(object_name),
        id_property=str(id_property),
        source_id_field=SOURCE_ID if SOURCE_ID in props else str(id_property),
        modified_field=MODIFIED_AT if MODIFIED_AT in props else None,
        has_associations=ASSOCIATIONS in props,
        direction=direction,
        source_object=str(sides[src].get("object") or ""),
        source_key=str(sides[src].get(keys[src]) or ""),
        create_object=sides["hubspot"].get("create_object"),
        write_back=sides["salesforce"].get("write_back") is not False,
    )


_TYPES: dict[tuple[Any, ...], AssociationType] = {}
"""The association types records name, by their raw fields: a mapping has a few rules,
and every record names them again (one frozen object per record and rule otherwise)."""


def _association_type(item: Mapping[str, Any]) -> AssociationType:
    lookup, label = item["lookup"], item.get("label")
    type_id, category = item.get("type_id"), item.get("category")
    key = (lookup, label, type_id, category) if type(lookup) is str else None
    try:
        found = _TYPES.get(key) if key is not None else None
    except TypeError:  # an unhashable value: built (and refused) as before
        found = key = None
    if found is None:
        found = AssociationType(
            str(lookup),
            label or None,
            int(type_id) if type_id is not None else None,
            category or None,
        )
        if key is not None:
            if len(_TYPES) >= 1024:  # many specs in one process (a test suite): start again
                _TYPES.clear()
            _TYPES[key] = found
    return found


def record_associations(record: Mapping[str, Any]) -> list[AssociationSpec]:
    """The association references a mapped record carries (``_crm_associations``)."""
    out = []
    for item in record.get(ASSOCIATIONS) or []:
        source_id = item.get("source_id")
        out.append(
            AssociationSpec(
                _association_type(item),
                to_mapping=str(item["to_mapping"]),
                source_id=None if source_id is None or source_id == "" else str(source_id),
            )
        )
    return out
