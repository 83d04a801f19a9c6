"""Plain data of a portal's schema: object types, properties, property groups.

No web framework here; ``to_wire`` gives the JSON the API serves for each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Property:
    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    display_order: int = -1
    has_unique_value: bool = False
    hidden: bool = False
    form_field: bool = True
    calculated: bool = False
    hubspot_defined: bool = False
    external_options: bool = False
    """Options come from elsewhere (``hubspot_owner_id``: the portal's owners)."""
    referenced_object_type: str | None = None
    """``OWNER`` for a property of owners (the properties API: set with externalOptions)."""
    read_only_value: bool = False
    read_only_definition: bool = False
    created_at: str = ""
    updated_at: str = ""
    archived: bool = False
    archived_at: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "updatedAt": self.updated_at,
            "createdAt": self.created_at,
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [
                {
                    "label": o["label"],
                    "value": o["value"],
                    "displayOrder": o.get("displayOrder", i),
                    "hidden": bool(o.get("hidden", False)),
                    **({"description": o["description"]} if o.get("description") else {}),
                }
                for i, o in enumerate(self.options)
            ],
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.read_only_definition,
                "readOnlyValue": self.read_only_value,
            },
            "formField": self.form_field,
            "dataSensitivity": "non_sensitive",
            "archived": self.archived,
        }
        if self.referenced_object_type:
            out["referencedObjectType"] = self.referenced_object_type
        if self.hubspot_defined:
            out["hubspotDefined"] = True
        if self.archived_at:
            out["archivedAt"] = self.archived_at
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1
    archived: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
        }


@dataclass
class ObjectType:
    """A standard object (``0-1``…) or a custom object schema (``2-<id>``)."""

    object_type_id: str
    name: str
    labels: dict[str, str]
    primary_display_property: str | None
    portal_id: int
    custom: bool = False
    aliases: list[str] = field(default_factory=list)
    secondary_display_properties: list[str] = field(default_factory=list)
    searchable_properties: list[str] = field(default_factory=list)
    required_properties: list[str] = field(default_factory=list)
    default_properties: list[str] = field(default_factory=list)
    """Returned on reads that name no ``properties``."""
    created_property: str = "hs_createdate"
    modified_property: str = "hs_lastmodifieddate"
    singular_upper: str = ""
    """How error messages name the object (``CONTACT``, ``P123_PROJECT``)."""
    description: str = ""
    created_at: str = ""
    updated_at: str = ""
    archived: bool = False

    @property
    def numeric_id(self) -> str:
        return self.object_type_id.split("-", 1)[1]

    @property
    def fully_qualified_name(self) -> str:
        return f"p{self.portal_id}_{self.name}" if self.custom else self.name

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
