"""Object types of the portal: standard objects, custom object schemas, and resolution
of ``{objectType}`` path parameters.

A path accepts a type id (``0-27``, ``2-3500001``), a standard object's name or alias
(``tasks``, ``task``), a custom object's name (``project``), its fully qualified name
(``p{portalId}_project``) or its short form ``p_project``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.defaults import MAX_CUSTOM_OBJECTS, standard_properties
from crm_sandbox.hubspot.errors import Conflict, ObjectNotFound, ValidationError
from crm_sandbox.hubspot.models import ObjectType, Property
from crm_sandbox.hubspot.standard_types import (
    ACTIVITY_TYPE_IDS,
    ASSOCIATED_OBJECT_NAMES,
    STANDARD_TYPES,
)
from crm_sandbox.hubspot.store import FIRST_CUSTOM_OBJECT_ID

if TYPE_CHECKING:
    from crm_sandbox.hubspot.association_types import AssociationTypes
    from crm_sandbox.hubspot.properties import Properties
    from crm_sandbox.hubspot.store import Store

_SCHEMA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CUSTOM_SYSTEM_PROPS: list[dict[str, Any]] = [
    p
    for p in standard_properties("0-2")
    if p["name"]
    in (
        "hs_object_id",
        "hs_createdate",
        "hs_lastmodifieddate",
        "hs_object_source",
        "hs_object_source_id",
        "hs_merged_object_ids",
        # (unverified) a custom object has an owner property like the standard objects;
        # HubSpot's custom-object records take hubspot_owner_id in the UI and the API.
        "hubspot_owner_id",
    )
]

_CUSTOM_LABELS: dict[str, dict[str, str]] = {"hubspot_owner_id": {"label": "Owner"}}


class Catalog:
    """Finds object types and manages custom object schemas."""

    def __init__(
        self, store: Store, portal_id: int, props: Properties, assoc_types: AssociationTypes
    ) -> None:
        self.store = store
        self.portal_id = portal_id
        self.props = props
        self.assoc_types = assoc_types

    # -- resolution -------------------------------------------------------------------------
    def find(self, ref: str) -> ObjectType | None:
        wanted = ref.strip().lower()
        for ot in self.store.object_types.values():
            if ot.archived:
                continue
            names = [ot.object_type_id, ot.name.lower(), *[a.lower() for a in ot.aliases]]
            if ot.custom:
                names += [ot.fully_qualified_name.lower(), f"p_{ot.name.lower()}"]
            if wanted in names:
                return ot
        return None

    def resolve(self, ref: str) -> ObjectType:
        ot = self.find(ref)
        if ot is None:
            raise ValidationError(f"Unable to infer object type from: {ref}")
        return ot

    def custom_types(self, archived: bool = False) -> list[ObjectType]:
        return [
            ot for ot in self.store.object_types.values() if ot.custom and ot.archived == archived
        ]

    # -- provisioning -------------------------------------------------------------------------
    def install_standard(self) -> None:
        now = self.props.now()
        for st in STANDARD_TYPES:
            ot = ObjectType(
                object_type_id=st.type_id,
                name=st.name,
                labels={"singular": st.labels[0], "plural": st.labels[1]},
                primary_display_property=st.primary,
                portal_id=self.portal_id,
                aliases=st.aliases,
                searchable_properties=st.searchable,
                required_properties=st.required,
                default_properties=st.read_defaults,
                created_property="createdate",
                modified_property=(
                    "lastmodifieddate" if st.type_id == "0-1" else "hs_lastmodifieddate"
                ),
                singular_upper=st.upper,
                created_at=now,
                updated_at=now,
            )
            self.store.save_object_type(ot)
            for spec in st.properties():
                self.props.ensure_group(ot, spec["group_name"])
                self.store.save_property(
                    st.type_id,
                    Property(**{"hubspot_defined": True, **spec}, created_at=now, updated_at=now),
                )

    # -- custom object schemas ---------------------------------------------------------------
    def create_schema(self, body: dict[str, Any]) -> ObjectType:
        missing = [
            k for k in ("name", "labels", "requiredProperties", "properties") if body.get(k) is None
        ]
        if missing:
            raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
        name = str(body["name"])
        if not _SCHEMA_NAME.match(name):
            raise ValidationError(
                f"Object name {name} is invalid: it can only contain letters, numbers and"
                " underscores, and must start with a letter (unverified wording)"
            )
        if any(ot.name.lower() == name.lower() for ot in self.store.object_types.values()):
            raise Conflict(f"An object type with name {name} already exists (unverified)")
        if len(self.custom_types()) >= MAX_CUSTOM_OBJECTS:
            raise ValidationError(
                f"This portal has reached its limit of {MAX_CUSTOM_OBJECTS} custom object"
                " definitions (unverified wording)"
            )
        labels = body["labels"] or {}
        if not labels.get("singular") or not labels.get("plural"):
            raise ValidationError(
                "Some required fields were not set: [labels.singular, labels.plural]"
            )
        number = self.store.next_value("custom_object", FIRST_CUSTOM_OBJECT_ID)
        now = self.props.now()
        ot = ObjectType(
            object_type_id=f"2-{number}",
            name=name,
            labels={"singular": labels["singular"], "plural": labels["plural"]},
            primary_display_property=body.get("primaryDisplayProperty"),
            portal_id=self.portal_id,
            custom=True,
            secondary_display_properties=list(body.get("secondaryDisplayProperties") or []),
            searchable_properties=list(body.get("searchableProperties") or []),
            required_properties=list(body.get("requiredProperties") or []),
            description=str(body.get("description") or ""),
            singular_upper=f"P{self.portal_id}_{name.upper()}",
            created_at=now,
            updated_at=now,
        )
        group = f"{name}_information"
        built = [self.props.build(ot, {"groupName": group, **p}) for p in body["properties"]]
        names = {p.name for p in built}
        self._check_schema_refs(ot, names)
        if sum(1 for p in built if p.has_unique_value) > 10:
            raise ValidationError(
                "An object can have at most 10 unique value properties (unverified wording)"
            )
        if len(names) != len(built):
            raise ValidationError("Duplicate property names in schema (unverified wording)")
        ot.default_properties = ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"]
        self.store.save_object_type(ot)
        self.props.ensure_group(ot, group)
        for spec in _CUSTOM_SYSTEM_PROPS:
            self.store.save_property(
                ot.object_type_id,
                Property(
                    **{**spec, "group_name": group, **_CUSTOM_LABELS.get(spec["name"], {})},
                    hubspot_defined=True,
                    created_at=now,
                    updated_at=now,
                ),
            )
        for prop in built:
            self.store.save_property(ot.object_type_id, prop)
        for target in body.get("associatedObjects") or []:
            self.assoc_types.ensure_pair(ot.object_type_id, self._associated(str(target)))
        # Custom object records have an activity timeline in HubSpot: tasks, notes, calls…
        # associate with them without being named in associatedObjects (type ids
        # portal-specific, like the other custom pairs; unverified).
        for activity in sorted(ACTIVITY_TYPE_IDS):
            self.assoc_types.ensure_pair(ot.object_type_id, activity)
        return ot

    def _associated(self, ref: str) -> str:
        if ref.upper() in ASSOCIATED_OBJECT_NAMES:
            return ASSOCIATED_OBJECT_NAMES[ref.upper()]
        return self.resolve(ref).object_type_id

    def _check_schema_refs(self, ot: ObjectType, names: set[str]) -> None:
        refs = [
            *ot.required_properties,
            *ot.searchable_properties,
            *ot.secondary_display_properties,
        ]
        if ot.primary_display_property:
            refs.append(ot.primary_display_property)
        unknown = sorted({r for r in refs if r not in names})
        if unknown:
            raise ValidationError(
                f"Properties {unknown} are referenced by the schema but not defined"
                " (unverified wording)"
            )

    def update_schema(self, ot: ObjectType, body: dict[str, Any]) -> ObjectType:
        if not ot.custom:
            raise ValidationError(f"Object type {ot.object_type_id} is not a custom object")
        names = set(self.props.live(ot))
        for key, attr in (
            ("requiredProperties", "required_properties"),
            ("searchableProperties", "searchable_properties"),
            ("secondaryDisplayProperties", "secondary_display_properties"),
        ):
            if key in body:
                setattr(ot, attr, list(body[key] or []))
        if "primaryDisplayProperty" in body:
            ot.primary_display_property = body["primaryDisplayProperty"]
        if "labels" in body:
            ot.labels = {**ot.labels, **(body["labels"] or {})}
        if "description" in body:
            ot.description = str(body["description"] or "")
        self._check_schema_refs(ot, names)
        ot.updated_at = self.props.now()
        self.store.save_object_type(ot)
        return ot

    def delete_schema(self, ref: str, purge: bool, live_records: int) -> None:
        if purge:
            archived = [
                ot
                for ot in self.custom_types(archived=True)
                if ref.lower()
                in (ot.object_type_id, ot.name.lower(), ot.fully_qualified_name.lower())
            ]
            if not archived:
                raise ObjectNotFound(f"Unable to find archived object type {ref} (unverified)")
            self.store.delete_object_type(archived[0].object_type_id)
            self.assoc_types.invalidate()
            return
        ot = self.resolve(ref)
        if not ot.custom:
            raise ValidationError(f"Object type {ot.object_type_id} is not a custom object")
        if live_records:
            # HubSpot refuses to delete a schema that still has records (unverified wording).
            raise ValidationError(
                f"Object type {ot.object_type_id} has {live_records} records; delete all"
                " records before deleting the schema",
            )
        ot.archived = True
        ot.updated_at = self.props.now()
        self.store.save_object_type(ot)

    def schema_wire(self, ot: ObjectType) -> dict[str, Any]:
        assocs = []
        for other in self.store.object_types:
            for t in self.assoc_types.between(ot.object_type_id, other):
                if t.label is None and t.category == "USER_DEFINED":
                    assocs.append(
                        {
                            "fromObjectTypeId": t.from_type,
                            "toObjectTypeId": t.to_type,
                            "name": f"{ot.name.upper()}_TO_{self._upper_name(t.to_type)}",
                            "id": str(t.type_id),
                            "createdAt": ot.created_at,
                            "updatedAt": ot.updated_at,
                        }
                    )
        return {
            "id": ot.numeric_id,
            "objectTypeId": ot.object_type_id,
            "fullyQualifiedName": ot.fully_qualified_name,
            "name": ot.name,
            "labels": ot.labels,
            "description": ot.description,
            "primaryDisplayProperty": ot.primary_display_property,
            "secondaryDisplayProperties": ot.secondary_display_properties,
            "searchableProperties": ot.searchable_properties,
            "requiredProperties": ot.required_properties,
            "properties": [p.to_wire() for p in self.props.all(ot)],
            "associations": assocs,
            "metaType": "PORTAL_SPECIFIC",
            "portalId": self.portal_id,
            "createdAt": ot.created_at,
            "updatedAt": ot.updated_at,
            "archived": ot.archived,
        }

    def type_definition_wire(self, ot: ObjectType) -> dict[str, Any]:
        """``ObjectTypeDefinition``: what PATCH replies with (no properties)."""
        wire = self.schema_wire(ot)
        for key in ("properties", "associations"):
            wire.pop(key)
        return wire

    def _upper_name(self, type_id: str) -> str:
        ot = self.store.object_types.get(type_id)
        if ot is None:
            return type_id
        return ot.singular_upper if not ot.custom else ot.name.upper()
