"""The org's schema model: sObject and field definitions as describe reports them.

Shared by the store (writes, validation), the describe routes and the SOQL engine.
Knows nothing of HTTP or SQLite beyond the column affinity of each field type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

# Field types whose stored value is TEXT (multipicklist joined by ';').
TEXT_TYPES = frozenset(
    {
        "id",
        "string",
        "textarea",
        "picklist",
        "multipicklist",
        "combobox",
        "reference",
        "phone",
        "email",
        "url",
        "encryptedstring",
        "date",
        "datetime",
        "time",
        "base64",
        "anyType",
        "json",
    }
)
INTEGER_TYPES = frozenset({"boolean", "int", "long"})
REAL_TYPES = frozenset({"double", "currency", "percent"})

_SOAP_TYPES: dict[str, str] = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "long": "xsd:long",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "base64": "xsd:base64Binary",
    "address": "urn:address",
    "location": "urn:location",
    "anyType": "xsd:anyType",
}


@dataclass(frozen=True)
class RollUp:
    """A roll-up summary: an aggregate over the live child records pointing at the parent."""

    child: str
    """The child object (``Project__c``)."""
    lookup: str
    """The child's lookup to the parent (``Account__c``)."""
    function: str
    """``SUM`` or ``COUNT``."""
    field: str | None = None
    """The child field aggregated (None for COUNT)."""


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, with the metadata describe reports."""

    name: str
    type: str
    """Salesforce field type: id, string, textarea, boolean, int, double, currency, ..."""
    label: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    custom: bool = False
    external_id: bool = False
    id_lookup: bool = False
    unique: bool = False
    calculated: bool = False
    defaulted_on_create: bool = False
    name_field: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    # Beyond the shared contract: describe details only the describe route reads.
    default_picklist_value: str | None = None
    """The picklist value marked ``defaultValue: true`` (and set on create when omitted)."""
    default_value: object = None
    """``defaultValueFormula``-free default, e.g. ``False`` for checkboxes."""
    digits: int = 0
    """Digits of an int field (describe's ``digits``)."""
    html_formatted: bool = False
    case_sensitive: bool = False
    filterable: bool = True
    sortable: bool = True
    groupable: bool = True
    compound_field_name: str | None = None
    extra_type_info: str | None = None
    inline_help_text: str | None = None
    visible_lines: int = 0
    auto_number: bool = False
    formula: str | None = None
    """A formula field's ``calculatedFormula`` as describe reports it."""
    formula_sql: str | None = None
    """The formula as an SQLite expression over the row's columns, ``{t}`` = table alias.

    Formula fields have no column: they are computed whenever a row is read, so their
    value changes with the fields they use and never bumps SystemModstamp.
    """
    rollup: RollUp | None = None
    """A roll-up summary's definition (a stored column the store keeps current)."""

    @property
    def stored(self) -> bool:
        """Whether the field has a column (everything but formula fields)."""
        return self.formula_sql is None

    def sql(self, alias: str) -> str:
        """The field's value in SQL: its column, or its formula, on table ``alias``."""
        if self.formula_sql is not None:
            expr = "(" + self.formula_sql.format(t=alias) + ")"
            # a number formula's value is rounded to the field's decimal places
            return f"round({expr}, {self.scale})" if self.type in REAL_TYPES else expr
        return f'{alias}."{self.name}"'

    @property
    def soap_type(self) -> str:
        """The field's SOAP type: xsd:string, xsd:boolean, xsd:double, tns:ID, ..."""
        return _SOAP_TYPES.get(self.type, "xsd:string")

    @property
    def sql_type(self) -> str:
        """SQLite column affinity of the stored value (see the storage contract)."""
        if self.type in INTEGER_TYPES:
            return "INTEGER"
        if self.type in REAL_TYPES:
            return "REAL"
        return "TEXT"

    @property
    def is_system(self) -> bool:
        """Server-maintained (neither createable nor updateable)."""
        return not self.createable and not self.updateable


@dataclass(frozen=True)
class ObjectDef:
    """One sObject: its describe-level flags and its fields in describe order."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool
    fields: dict[str, FieldDef] = field(default_factory=dict)
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    searchable: bool = True
    replicateable: bool = True
    retrieveable: bool = True
    undeletable: bool = True
    triggerable: bool = True
    feed_enabled: bool = False
    _by_lower: dict[str, FieldDef] = field(default_factory=dict, init=False, repr=False)
    _by_rel: dict[str, FieldDef] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {k.lower(): f for k, f in self.fields.items()})
        object.__setattr__(
            self,
            "_by_rel",
            {f.relationship_name.lower(): f for f in self.fields.values() if f.relationship_name},
        )

    def field(self, name: str) -> FieldDef | None:
        """A field by name, case-insensitively (the exact name looked up first: bulk rows
        and list writes name every field of every record)."""
        return self.fields.get(name) or self._by_lower.get(name.lower())

    def relationship(self, rel_name: str) -> FieldDef | None:
        """The lookup field whose relationship name is ``rel_name`` (case-insensitive)."""
        return self._by_rel.get(rel_name.lower())

    @cached_property
    def table(self) -> str:
        """The SQLite table holding this object's rows (quote it in SQL)."""
        return f"sobj_{self.name}"

    @property
    def name_field(self) -> FieldDef | None:
        return next((f for f in self.fields.values() if f.name_field), None)

    @property
    def stored_fields(self) -> list[FieldDef]:
        """Fields with a column in the object's table (formula fields have none)."""
        return [f for f in self.fields.values() if f.stored]

    @cached_property
    def required_fields(self) -> list[FieldDef]:
        """Fields a written row must hold a value in (else REQUIRED_FIELD_MISSING)."""
        return [
            f
            for f in self.fields.values()
            if not f.nillable and (f.createable or f.updateable) and f.type != "boolean"
        ]

    @property
    def formula_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if not f.stored]

    @property
    def external_id_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.external_id]


@dataclass(frozen=True)
class ChildRelationship:
    """A lookup pointing at an object, seen from the parent (describe childRelationships)."""

    child_object: str
    field: str
    relationship_name: str | None
    cascade_delete: bool = False


class SchemaRegistry:
    """The org's objects, looked up case-insensitively."""

    def __init__(self, objects: Iterable[ObjectDef]) -> None:
        self._objects: dict[str, ObjectDef] = {}
        self._rollups: dict[str, list[tuple[ObjectDef, FieldDef]]] = {}
        self._rollup_inputs: dict[str, frozenset[str]] = {}
        self._by_prefix: dict[str, ObjectDef] = {}
        for obj in objects:
            self._objects[obj.name.lower()] = obj
        for obj in self._objects.values():
            self._by_prefix.setdefault(obj.key_prefix, obj)

    def object(self, name: str) -> ObjectDef | None:
        return self._objects.get(name.lower())

    def objects(self) -> list[ObjectDef]:
        return list(self._objects.values())

    def rollups_over(self, child: str) -> list[tuple[ObjectDef, FieldDef]]:
        """Roll-up summary fields (with their object) that aggregate ``child`` records."""
        key = child.lower()
        found = self._rollups.get(key)
        if found is None:
            found = [
                (obj, fdef)
                for obj in self._objects.values()
                for fdef in obj.fields.values()
                if fdef.rollup is not None and fdef.rollup.child.lower() == key
            ]
            self._rollups[key] = found
        return found

    def rollup_inputs(self, child: str) -> frozenset[str]:
        """The fields of ``child`` the roll-ups over it read (asked once a record written;
        the registry's objects never change, so it is worked out once per child)."""
        key = child.lower()
        found = self._rollup_inputs.get(key)
        if found is None:
            found = frozenset(
                name
                for _, fdef in self.rollups_over(child)
                if fdef.rollup
                for name in (fdef.rollup.lookup, fdef.rollup.field, "IsDeleted")
                if name
            )
            self._rollup_inputs[key] = found
        return found

    def by_key_prefix(self, prefix: str) -> ObjectDef | None:
        """The first object (in registry order) whose ids start with ``prefix``."""
        return self._by_prefix.get(prefix)

    def child_relationships(self, parent: str) -> list[ChildRelationship]:
        """Lookups on other objects that reference ``parent``."""
        result = []
        for obj in self._objects.values():
            for fdef in obj.fields.values():
                if any(ref.lower() == parent.lower() for ref in fdef.reference_to):
                    rel = _child_relationship_name(obj, fdef)
                    result.append(ChildRelationship(obj.name, fdef.name, rel))
        return result


def _child_relationship_name(child: ObjectDef, fdef: FieldDef) -> str | None:
    """Plural relationship name on the parent, as Salesforce names them.

    Standard lookups use the child's plural label without spaces (Account.Contacts);
    custom lookups the plural with ``__r`` (Account.Projects__r). System user lookups
    (CreatedById, OwnerId, ...) and MasterRecordId have no child relationship name.
    """
    if fdef.name in {"CreatedById", "LastModifiedById", "OwnerId", "MasterRecordId"}:
        return None
    if fdef.name.startswith("Converted"):  # Lead.ConvertedAccountId, ... (unverified)
        return None
    if fdef.name == "ParentId":  # Account.ChildAccounts, Campaign.ChildCampaigns
        return f"Child{child.label_plural.replace(' ', '')}"
    plural = "".join(ch for ch in child.label_plural if ch.isalnum())
    return f"{plural}__r" if fdef.custom else plural
