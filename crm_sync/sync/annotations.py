"""Read the mapper's annotations from a SCHEMA message (DESIGN §1).

The mapping spec is read in one place only, the mapper; it sends what the target needs
inside the emitted SCHEMA: the mapping (ids, create/delete/conflict rules, associations)
on the stream and each field's sync rule on the property. A SCHEMA without them is a
plain stream from any tap: upsert by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_sync.reconcile import MappingPolicy

STREAM_KEYS = ("x-crm-sync", "x-crm-mapping")
PROPERTY_KEYS = ("x-crm-sync",)


@dataclass(frozen=True, slots=True)
class AssociationSpec:
    """One association rule of a mapping, as the target applies it."""

    lookup: str
    """Record field carrying the other record's source id."""
    to_mapping: str
    to_object: str
    label: str | None = None
    type_id: int | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class StreamMapping:
    """A mapped stream: the policy and where ids, times and lookups are in its records."""

    policy: MappingPolicy
    object_name: str
    id_property: str
    source_id_field: str
    modified_field: str | None
    associations: tuple[AssociationSpec, ...] = ()
    native_fields: Mapping[str, str] = field(default_factory=dict)


def _first(container: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in container:
            return container[key]
    return None


def read_stream_mapping(stream: str, schema: Mapping[str, Any]) -> StreamMapping | None:
    """The mapping annotated on ``schema``, or None for a plain stream."""
    spec = _first(schema, STREAM_KEYS)
    if not isinstance(spec, Mapping):
        return None
    hubspot = spec.get("hubspot") or {}
    object_name = hubspot.get("object")
    id_property = hubspot.get("id_property")
    if not object_name or not id_property:
        raise ValueError(f"stream {stream!r}: mapping annotation lacks hubspot.object/id_property")
    fields = list(spec.get("fields") or [])
    if not fields:
        for name, prop in (schema.get("properties") or {}).items():
            note = _first(prop, PROPERTY_KEYS) if isinstance(prop, Mapping) else None
            if isinstance(note, Mapping) and note.get("rule"):
                fields.append(
                    {
                        "salesforce": note.get("salesforce", name),
                        "hubspot": name,
                        "rule": note["rule"],
                        "kind": note.get("kind"),
                    }
                )
    policy = MappingPolicy.from_dict({**spec, "name": spec.get("name", stream), "fields": fields})
    associations = tuple(
        AssociationSpec(
            lookup=str(a.get("field") or a["lookup"]),
            to_mapping=str(a["to"]),
            to_object=str(a.get("to_object") or a.get("object") or a["to"]),
            label=a.get("label"),
            type_id=a.get("type_id"),
            category=a.get("category"),
        )
        for a in spec.get("associations") or []
    )
    return StreamMapping(
        policy=policy,
        object_name=str(object_name),
        id_property=str(id_property),
        source_id_field=str(spec.get("source_id_field") or id_property),
        modified_field=spec.get("modified_field"),
        associations=associations,
    )
