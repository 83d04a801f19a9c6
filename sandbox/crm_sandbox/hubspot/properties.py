"""Property definitions and groups of each object type (``/crm/v3/properties/{ot}``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.defaults import (
    MAX_CUSTOM_PROPERTIES_PER_OBJECT,
    MAX_UNIQUE_PROPERTIES_PER_OBJECT,
)
from crm_sandbox.hubspot.errors import Conflict, HubSpotError, ObjectNotFound, ValidationError
from crm_sandbox.hubspot.models import ObjectType, Property, PropertyGroup
from crm_sandbox.hubspot.values import FIELD_TYPES, format_datetime

if TYPE_CHECKING:
    from crm_sandbox.core.clock import Clock
    from crm_sandbox.hubspot.store import Store

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Properties:
    """Create, read, update and archive property definitions and groups."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._live: dict[str, tuple[int, dict[str, Property], list[str]]] = {}
        """Per object type, at a schema version: its live properties and unique ones."""

    def now(self) -> str:
        return format_datetime(self.clock.now())

    # -- reads ------------------------------------------------------------------------------
    def all(self, ot: ObjectType, archived: bool = False) -> list[Property]:
        return [
            p
            for p in self.store.properties.get(ot.object_type_id, {}).values()
            if p.archived == archived
        ]

    def _cached(self, ot: ObjectType) -> tuple[int, dict[str, Property], list[str]]:
        """Every record write asks for these (several times): cached per schema version."""
        entry = self._live.get(ot.object_type_id)
        if entry is None or entry[0] != self.store.schema_version:
            live = {
                n: p
                for n, p in self.store.properties.get(ot.object_type_id, {}).items()
                if not p.archived
            }
            unique = [p.name for p in live.values() if p.has_unique_value]
            entry = self._live[ot.object_type_id] = (self.store.schema_version, live, unique)
        return entry

    def live(self, ot: ObjectType) -> dict[str, Property]:
        """The live properties by name (a shared cached dict: do not modify it)."""
        return self._cached(ot)[1]

    def get(self, ot: ObjectType, name: str, archived: bool = False) -> Property:
        prop = self.store.properties.get(ot.object_type_id, {}).get(name)
        if prop is None or prop.archived != archived:
            raise ObjectNotFound(
                f"Unable to find property {name} for object type {ot.name} (unverified wording)"
            )
        return prop

    def unique_names(self, ot: ObjectType) -> list[str]:
        return list(self._cached(ot)[2])

    # -- writes ---------------------------------------------------------------------------
    def build(
        self,
        ot: ObjectType,
        body: dict[str, Any],
        hubspot_defined: bool = False,
    ) -> Property:
        """A validated new Property from a ``PropertyCreate`` body (not saved)."""
        missing = [k for k in ("name", "label", "type", "fieldType") if not body.get(k)]
        if not hubspot_defined and "groupName" not in body and ot.custom is False:
            missing.append("groupName")
        if missing:
            raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
        name, kind, field_type = str(body["name"]), str(body["type"]), str(body["fieldType"])
        if not _NAME.match(name):
            raise ValidationError(
                f"Property name {name} is invalid: names must start with a lowercase letter"
                " and contain only lowercase letters, digits and underscores (unverified)"
            )
        if kind not in FIELD_TYPES:
            raise ValidationError(
                f"Invalid property type {kind}; expected one of {sorted(FIELD_TYPES)}"
                " (unverified wording)"
            )
        if field_type not in FIELD_TYPES[kind]:
            raise ValidationError(
                f"Property type {kind} does not support fieldType {field_type}; allowed:"
                f" {sorted(FIELD_TYPES[kind])} (unverified wording)"
            )
        options = [dict(o) for o in body.get("options") or []]
        if kind == "enumeration" and field_type != "booleancheckbox" and not options:
            raise ValidationError(f"Enumeration property {name} needs options (unverified)")
        if kind == "bool" and not options:
            options = [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]
        for i, opt in enumerate(options):
            if "label" not in opt or "value" not in opt:
                raise ValidationError("Some required fields were not set: [label, value]")
            opt["value"] = str(opt["value"])
            opt.setdefault("displayOrder", i)
            opt.setdefault("hidden", False)
        group = str(body.get("groupName") or f"{ot.name}_information")
        now = self.now()
        return Property(
            name=name,
            label=str(body["label"]),
            type=kind,
            field_type=field_type,
            group_name=group,
            description=str(body.get("description") or ""),
            options=options,
            display_order=int(body.get("displayOrder", -1)),
            has_unique_value=bool(body.get("hasUniqueValue", False)),
            hidden=bool(body.get("hidden", False)),
            form_field=bool(body.get("formField", True)),
            hubspot_defined=hubspot_defined,
            created_at=now,
            updated_at=now,
        )

    def check_can_add(self, ot: ObjectType, new: list[Property]) -> None:
        live = self.live(ot)
        for prop in new:
            existing = self.store.properties.get(ot.object_type_id, {}).get(prop.name)
            if existing is not None and not existing.archived:
                raise Conflict(
                    f"A property named '{prop.name}' already exists.",
                    sub_category="PropertyValidationError.PROPERTY_EXISTS",
                )
        custom = [p for p in live.values() if not p.hubspot_defined]
        if len(custom) + len(new) > MAX_CUSTOM_PROPERTIES_PER_OBJECT:
            raise ValidationError(
                f"Object type {ot.object_type_id} already has the maximum of"
                f" {MAX_CUSTOM_PROPERTIES_PER_OBJECT} custom properties (unverified wording)"
            )
        unique = sum(1 for p in live.values() if p.has_unique_value)
        if unique + sum(1 for p in new if p.has_unique_value) > MAX_UNIQUE_PROPERTIES_PER_OBJECT:
            raise ValidationError(
                f"Object type {ot.object_type_id} can have at most"
                f" {MAX_UNIQUE_PROPERTIES_PER_OBJECT} unique value properties (unverified)"
            )

    def ensure_group(self, ot: ObjectType, name: str) -> None:
        if name not in self.store.groups.get(ot.object_type_id, {}):
            label = name.replace("_", " ").capitalize()
            self.store.save_group(ot.object_type_id, PropertyGroup(name=name, label=label))

    def create(self, ot: ObjectType, body: dict[str, Any]) -> Property:
        prop = self.build(ot, body)
        self.check_can_add(ot, [prop])
        if prop.group_name not in self.store.groups.get(ot.object_type_id, {}):
            if not ot.custom:
                raise ValidationError(
                    f"Property group {prop.group_name} does not exist (unverified wording)"
                )
            self.ensure_group(ot, prop.group_name)
        self.store.save_property(ot.object_type_id, prop)
        return prop

    def create_many(
        self, ot: ObjectType, inputs: list[dict[str, Any]]
    ) -> tuple[list[Property], list[dict[str, Any]]]:
        made: list[Property] = []
        errors: list[dict[str, Any]] = []
        for body in inputs:
            try:
                made.append(self.create(ot, body))
            except HubSpotError as exc:
                errors.append(exc.as_batch_error({"name": [str(body.get("name"))]}))
        return made, errors

    def update(self, ot: ObjectType, name: str, body: dict[str, Any]) -> Property:
        prop = self.get(ot, name)
        if prop.read_only_definition:
            raise ValidationError(
                f"Property {name} is read-only and cannot be modified (unverified wording)"
            )
        kind = str(body.get("type", prop.type))
        field_type = str(body.get("fieldType", prop.field_type))
        if kind not in FIELD_TYPES or field_type not in FIELD_TYPES[kind]:
            raise ValidationError(
                f"Property type {kind} does not support fieldType {field_type} (unverified)"
            )
        prop.type, prop.field_type = kind, field_type
        for key, attr in (
            ("label", "label"),
            ("description", "description"),
            ("groupName", "group_name"),
            ("displayOrder", "display_order"),
            ("hidden", "hidden"),
            ("formField", "form_field"),
        ):
            if key in body:
                setattr(prop, attr, body[key])
        if "options" in body:
            prop.options = [
                {
                    **o,
                    "value": str(o["value"]),
                    "displayOrder": o.get("displayOrder", i),
                    "hidden": o.get("hidden", False),
                }
                for i, o in enumerate(body["options"] or [])
            ]
        prop.updated_at = self.now()
        self.store.save_property(ot.object_type_id, prop)
        return prop

    def archive(self, ot: ObjectType, name: str) -> None:
        prop = self.get(ot, name)
        if prop.hubspot_defined:
            raise ValidationError(
                f"Property {name} is a HubSpot-defined property and cannot"
                " be archived (unverified wording)"
            )
        if name in ot.required_properties or name == ot.primary_display_property:
            raise ValidationError(
                f"Property {name} is required by the object schema and"
                " cannot be archived (unverified wording)"
            )
        prop.archived = True
        prop.archived_at = self.now()
        prop.updated_at = prop.archived_at
        self.store.save_property(ot.object_type_id, prop)

    # -- groups -----------------------------------------------------------------------------
    def groups(self, ot: ObjectType) -> list[PropertyGroup]:
        return [g for g in self.store.groups.get(ot.object_type_id, {}).values() if not g.archived]

    def group(self, ot: ObjectType, name: str) -> PropertyGroup:
        group = self.store.groups.get(ot.object_type_id, {}).get(name)
        if group is None or group.archived:
            raise ObjectNotFound(f"Unable to find property group {name} (unverified wording)")
        return group

    def create_group(self, ot: ObjectType, body: dict[str, Any]) -> PropertyGroup:
        missing = [k for k in ("name", "label") if not body.get(k)]
        if missing:
            raise ValidationError(f"Some required fields were not set: [{', '.join(missing)}]")
        existing = self.store.groups.get(ot.object_type_id, {}).get(str(body["name"]))
        if existing is not None and not existing.archived:
            raise Conflict(
                f"A property group named '{body['name']}' already exists. (unverified wording)"
            )
        group = PropertyGroup(
            str(body["name"]), str(body["label"]), int(body.get("displayOrder", -1))
        )
        self.store.save_group(ot.object_type_id, group)
        return group

    def update_group(self, ot: ObjectType, name: str, body: dict[str, Any]) -> PropertyGroup:
        group = self.group(ot, name)
        if "label" in body:
            group.label = str(body["label"])
        if "displayOrder" in body:
            group.display_order = int(body["displayOrder"])
        self.store.save_group(ot.object_type_id, group)
        return group

    def archive_group(self, ot: ObjectType, name: str) -> None:
        group = self.group(ot, name)
        group.archived = True
        self.store.save_group(ot.object_type_id, group)
