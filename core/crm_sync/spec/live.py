"""Validate mappings against both live schemas, given as plain data.

``sf_describes``: object name -> Salesforce describe (``{"name", "fields": [...]}``,
field keys as the REST describe: name, type, length, precision, scale, nillable,
createable, updateable, calculated, externalId, unique, defaultedOnCreate,
referenceTo, relationshipName, picklistValues[{value, active}]).
``hs_schemas``: object name -> ``{"requiredProperties": [...], "properties": [...]}``
(an object schema, or just ``{"properties": ...}`` for companies/contacts/deals),
properties as ``/crm/v3/properties``: name, type, fieldType, options[{value, hidden}],
hasUniqueValue, calculated, modificationMetadata.readOnlyValue; optionally
``associationTypes``: to-object name -> that pair's ``/labels`` (``[{category, typeId,
label}]``), against which an association's ``type_id`` (and ``category``) is checked
(a snapshot without them skips that check).

The caller fetches them (describe / properties calls, or fixture files); this module
makes no calls, so it is testable offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_sync.convert.kinds import HS_TEXT_LENGTHS, Kind, hs_kind, sf_kind
from crm_sync.hubspot.associations import find_type, type_listing
from crm_sync.hubspot.client import STANDARD_OBJECTS
from crm_sync.hubspot.properties import creates_object, planned_object_schema
from crm_sync.hubspot.upsert_keys import upsert_key_ok
from crm_sync.spec.compat import Compat, compatibility
from crm_sync.spec.issues import Issue, Severity
from crm_sync.spec.model import AssociationRule, FieldMapping
from crm_sync.spec.model import Mapping as SpecMapping
from crm_sync.vocabulary import Direction

#: Beyond this many significant digits a HubSpot number (a double) rounds.
HS_NUMBER_DIGITS = 15


def _index(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item["name"]).casefold(): item for item in items}


def _user_lookup(sf_field: Mapping[str, Any]) -> bool:
    refs = {str(r).casefold() for r in sf_field.get("referenceTo") or []}
    return sf_field.get("type") == "reference" and "user" in refs


def is_owner_property(prop: Mapping[str, Any]) -> bool:
    """Whether a HubSpot property holds owner ids: ``hubspot_owner_id`` or a "HubSpot
    user" property (``referencedObjectType: OWNER``, properties API changelog)."""
    return (
        str(prop.get("name", "")).casefold() == "hubspot_owner_id"
        or str(prop.get("referencedObjectType", "")).upper() == "OWNER"
    )


@dataclass
class _Objects:
    sf: dict[str, dict[str, Any]]  # field name (folded) -> describe field
    hs: dict[str, dict[str, Any]]  # property name (folded) -> property
    required: list[str]
    association_types: dict[str, list[dict[str, Any]]]  # to object (folded) -> its /labels


class _Checker:
    def __init__(self, mapping: SpecMapping, all_mappings: Mapping[str, SpecMapping]) -> None:
        self.m = mapping
        self.all = all_mappings
        self.issues: list[Issue] = []

    def add(
        self,
        code: str,
        message: str,
        path: tuple[Any, ...],
        field: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        line = self.m.line(*path)
        self.issues.append(Issue(severity, code, message, self.m.file, line, self.m.name, field))

    def warn(self, code: str, message: str, path: tuple[Any, ...], field: str | None) -> None:
        self.add(code, message, path, field, Severity.WARNING)

    # --- ids ---------------------------------------------------------------------

    def ids(self, objs: _Objects) -> None:
        sf_obj, hs_obj = self.m.salesforce.object, self.m.hubspot.object
        id_field = objs.sf.get(self.m.salesforce.id_field.casefold())
        name = self.m.salesforce.id_field
        if id_field is None:
            self.add(
                "unknown_field", f"{sf_obj} has no field {name}", ("salesforce", "id_field"), name
            )
        elif not id_field.get("externalId"):
            self.add(
                "id_field_not_external",
                f"{sf_obj}.{name} is not an external-id field (upsert needs one)",
                ("salesforce", "id_field"),
                name,
            )
        prop_name = self.m.hubspot.id_property
        prop = objs.hs.get(prop_name.casefold())
        if prop is None:
            self.add(
                "unknown_property",
                f"HubSpot {hs_obj} has no property {prop_name}",
                ("hubspot", "id_property"),
                prop_name,
            )
        elif not upsert_key_ok(hs_obj, prop_name, prop):
            self.add(
                "id_property_not_unique",
                f"HubSpot {hs_obj}.{prop_name} is not unique-valued (upsert by it is refused)",
                ("hubspot", "id_property"),
                prop_name,
            )

    # --- fields ------------------------------------------------------------------

    def field(self, f: FieldMapping, objs: _Objects) -> None:
        sf_field = objs.sf.get(f.salesforce.casefold())
        prop = objs.hs.get(f.hubspot.casefold())
        path = ("fields", f.index)
        if sf_field is None:
            self.add(
                "unknown_field",
                f"{self.m.salesforce.object} has no field {f.salesforce}",
                (*path, "salesforce"),
                f.salesforce,
            )
        if prop is None:
            self.add(
                "unknown_property",
                f"HubSpot {self.m.hubspot.object} has no property {f.hubspot}",
                (*path, "hubspot"),
                f.salesforce,
            )
        concat = f.concat
        if concat is not None:
            source = objs.sf if f.rule.one_way is Direction.SF_TO_HS else objs.hs
            for part in concat.fields:
                if part.casefold() not in source:
                    self.add(
                        "unknown_field",
                        f"concat reads {part}, which does not exist",
                        (*path, "transform"),
                        f.salesforce,
                    )
        if sf_field is None or prop is None:
            return
        if f.owner:
            self.owner(f, sf_field, prop)
            return
        sf_type = str(sf_field.get("type"))
        sk = sf_kind(sf_type)
        hk = hs_kind(str(prop.get("type")), prop.get("fieldType"))
        if sk is Kind.REFERENCE:
            hint = (
                "mark it `owner: true` (a record owner, matched by email)"
                if _user_lookup(sf_field) and is_owner_property(prop)
                else "map it under associations, not as a property"
            )
            self.add(
                "reference_as_field",
                f"{f.salesforce} is a lookup to {', '.join(sf_field.get('referenceTo') or [])}: "
                + hint,
                (*path, "salesforce"),
                f.salesforce,
            )
            return
        if sk is Kind.UNSUPPORTED or hk is Kind.UNSUPPORTED:
            self.add(
                "unsupported_type",
                f"{sf_type} <-> {prop.get('type')}/{prop.get('fieldType')} cannot be synced",
                path,
                f.salesforce,
            )
            return
        for direction in Direction:
            if f.rule.writes(direction):
                self.direction(f, direction, sf_field, prop, sk, hk)

    def direction(
        self,
        f: FieldMapping,
        direction: Direction,
        sf_field: dict[str, Any],
        prop: dict[str, Any],
        sk: Kind,
        hk: Kind,
    ) -> None:
        path = ("fields", f.index)
        to_hs = direction is Direction.SF_TO_HS
        src, dst = (sk, hk) if to_hs else (hk, sk)
        if f.concat is not None and f.rule.one_way is direction:
            src = Kind.TEXT
        arrow = (
            f"{f.salesforce} ({sf_field.get('type')}) -> {f.hubspot} ({prop.get('type')})"
            if to_hs
            else f"{f.hubspot} ({prop.get('type')}) -> {f.salesforce} ({sf_field.get('type')})"
        )
        compat = compatibility(src, dst)
        if compat is None and not (f.values and src in {Kind.ENUM, Kind.TEXT}):
            self.add(
                "incompatible_type",
                f"{arrow}: {src} cannot be written into {dst}",
                (*path, "rule"),
                f.salesforce,
            )
            return
        if compat is Compat.LOSSY:
            self.warn(
                "lossy",
                f"{arrow}: {src} into {dst} may lose or refuse values",
                (*path, "rule"),
                f.salesforce,
            )
        self.read_only(f, direction, sf_field, prop)
        self.picklist(f, direction, sf_field, prop, sk, hk)
        self.lossy_size(f, direction, sf_field, prop, src, dst)

    def owner(self, f: FieldMapping, sf_field: dict[str, Any], prop: dict[str, Any]) -> None:
        """An ``owner: true`` field: a User lookup on one side, an owner property on the
        other; values are translated by email, so no type or option check applies."""
        path = ("fields", f.index)
        if not _user_lookup(sf_field):
            self.add(
                "owner_not_user_lookup",
                f"{f.salesforce} ({sf_field.get('type')}) is not a lookup to User: an owner "
                "field needs one (e.g. OwnerId)",
                (*path, "salesforce"),
                f.salesforce,
            )
        if not is_owner_property(prop):
            self.add(
                "owner_not_owner_property",
                f"HubSpot {f.hubspot} ({prop.get('type')}/{prop.get('fieldType')}) does not "
                "hold owners: an owner field needs hubspot_owner_id or another property of "
                "owners (referencedObjectType OWNER)",
                (*path, "hubspot"),
                f.salesforce,
            )
        for direction in Direction:
            if f.rule.writes(direction):
                self.read_only(f, direction, sf_field, prop)

    def read_only(
        self, f: FieldMapping, direction: Direction, sf_field: dict[str, Any], prop: dict[str, Any]
    ) -> None:
        path = ("fields", f.index)
        if direction is Direction.SF_TO_HS:
            meta = prop.get("modificationMetadata") or {}
            if prop.get("calculated") or meta.get("readOnlyValue"):
                self.add(
                    "read_only_target",
                    f"HubSpot {f.hubspot} is read-only but rule {f.rule} writes it",
                    (*path, "rule"),
                    f.salesforce,
                )
        else:
            creatable, updatable = sf_field.get("createable"), sf_field.get("updateable")
            if sf_field.get("calculated") or not (creatable or updatable):
                self.add(
                    "read_only_target",
                    f"Salesforce {f.salesforce} is read-only (formula or system field) "
                    f"but rule {f.rule} writes it",
                    (*path, "rule"),
                    f.salesforce,
                )
            elif not (creatable and updatable):
                when = "on create only" if creatable else "on update only"
                self.warn(
                    "partly_read_only",
                    f"{f.salesforce} is writable {when}",
                    (*path, "rule"),
                    f.salesforce,
                )

    def picklist(
        self,
        f: FieldMapping,
        direction: Direction,
        sf_field: dict[str, Any],
        prop: dict[str, Any],
        sk: Kind,
        hk: Kind,
    ) -> None:
        path = ("fields", f.index, "values" if f.values else "hubspot")
        sf_values = [
            str(v["value"]) for v in sf_field.get("picklistValues") or [] if v.get("active", True)
        ]
        hs_values = [
            str(o["value"]) for o in prop.get("options") or [] if not o.get("hidden", False)
        ]
        if direction is Direction.SF_TO_HS and sk in {Kind.ENUM, Kind.MULTI}:
            sources, targets, forward = sf_values, hs_values, f.values.forward
            check_targets = hk in {Kind.ENUM, Kind.MULTI, Kind.BOOL}
            where, other = f"Salesforce {f.salesforce}", f"HubSpot {f.hubspot} options"
        elif direction is Direction.HS_TO_SF and hk in {Kind.ENUM, Kind.MULTI}:
            sources, targets, forward = hs_values, sf_values, f.values.reverse
            check_targets = sk in {Kind.ENUM, Kind.MULTI}
            where, other = f"HubSpot {f.hubspot}", f"Salesforce {f.salesforce} picklist"
        else:
            return
        if check_targets and hk is Kind.BOOL and direction is Direction.SF_TO_HS:
            targets = ["true", "false"]
        for value in sources:
            if f.values and value not in forward:
                self.add(
                    "value_not_mapped",
                    f"{where} value {value!r} is missing from the value map",
                    path,
                    f.salesforce,
                )
                continue
            mapped = forward.get(value, value)
            if check_targets and mapped not in targets:
                self.add(
                    "value_not_in_options",
                    f"{where} value {value!r} (as {mapped!r}) is not one of the {other}",
                    path,
                    f.salesforce,
                )

    def lossy_size(
        self,
        f: FieldMapping,
        direction: Direction,
        sf_field: dict[str, Any],
        prop: dict[str, Any],
        src: Kind,
        dst: Kind,
    ) -> None:
        path = ("fields", f.index, "rule")
        hs_len = HS_TEXT_LENGTHS.get(str(prop.get("fieldType")), 65_536)
        sf_len = int(sf_field.get("length") or 0)
        if direction is Direction.HS_TO_SF and dst is Kind.TEXT and src is Kind.TEXT:
            if sf_len and hs_len > sf_len:
                self.warn(
                    "lossy",
                    f"HubSpot {f.hubspot} holds up to {hs_len} characters, Salesforce "
                    f"{f.salesforce} {sf_len}: longer values are refused",
                    path,
                    f.salesforce,
                )
        elif (
            direction is Direction.SF_TO_HS
            and src is Kind.TEXT
            and dst is Kind.TEXT
            and sf_len > hs_len
        ):
            self.warn(
                "lossy",
                f"Salesforce {f.salesforce} holds up to {sf_len} characters, HubSpot "
                f"{f.hubspot} {hs_len}",
                path,
                f.salesforce,
            )
        if (
            direction is Direction.HS_TO_SF
            and dst in {Kind.NUMBER, Kind.INT}
            and src is Kind.NUMBER
        ):
            scale = sf_field.get("scale")
            if dst is Kind.INT or scale is not None:
                self.warn(
                    "lossy",
                    f"HubSpot numbers are rounded to {scale or 0} decimal place(s) in "
                    f"Salesforce {f.salesforce}",
                    path,
                    f.salesforce,
                )
        if direction is Direction.SF_TO_HS and dst is Kind.NUMBER:
            precision = int(sf_field.get("precision") or 0)
            if precision > HS_NUMBER_DIGITS:
                self.warn(
                    "lossy",
                    f"Salesforce {f.salesforce} has {precision} digits; HubSpot numbers keep "
                    f"about {HS_NUMBER_DIGITS}",
                    path,
                    f.salesforce,
                )

    # --- required values ---------------------------------------------------------

    def required(self, objs: _Objects) -> None:
        if self.m.create_to_hubspot:
            written = {f.hubspot.casefold() for f in self.m.fields_for(Direction.SF_TO_HS)}
            written.add(self.m.hubspot.id_property.casefold())
            for name in objs.required:
                if name.casefold() not in written:
                    self.add(
                        "required_unmapped",
                        f"HubSpot {self.m.hubspot.object} requires {name}, which no field "
                        "writes (records created in HubSpot would be refused)",
                        ("fields",),
                        name,
                    )
        if self.m.create_to_salesforce:
            written = {f.salesforce.casefold() for f in self.m.fields_for(Direction.HS_TO_SF)}
            written.add(self.m.salesforce.id_field.casefold())
            for key, fdef in objs.sf.items():
                needed = (
                    not fdef.get("nillable", True)
                    and fdef.get("createable")
                    and not fdef.get("defaultedOnCreate")
                    and fdef.get("type") != "boolean"
                )
                if needed and key not in written:
                    self.add(
                        "required_unmapped",
                        f"Salesforce {self.m.salesforce.object} requires {fdef['name']}, which "
                        "no field writes (records created in Salesforce would be refused)",
                        ("fields",),
                        str(fdef["name"]),
                    )

    # --- associations and filter -------------------------------------------------

    def associations(self, objs: _Objects) -> None:
        for a in self.m.associations:
            path = ("associations", a.index, "lookup")
            fdef = objs.sf.get(a.lookup.casefold())
            if fdef is None:
                self.add(
                    "unknown_field",
                    f"{self.m.salesforce.object} has no field {a.lookup}",
                    path,
                    a.lookup,
                )
                continue
            if fdef.get("type") != "reference":
                self.add(
                    "association_not_reference",
                    f"{a.lookup} is a {fdef.get('type')} field, not a lookup",
                    path,
                    a.lookup,
                )
                continue
            target = self.all.get(a.to)
            refs = {str(r).casefold() for r in fdef.get("referenceTo") or []}
            if target is not None and target.salesforce.object.casefold() not in refs:
                self.add(
                    "association_wrong_target",
                    f"{a.lookup} points to {', '.join(fdef.get('referenceTo') or [])}, but "
                    f"mapping {a.to!r} maps {target.salesforce.object}",
                    ("associations", a.index, "to"),
                    a.lookup,
                )
            if target is not None and a.type_id is not None:
                self.association_type(a, target.hubspot.object, objs)

    def association_type(self, a: AssociationRule, to_object: str, objs: _Objects) -> None:
        """A ``type_id`` (and ``category``) the object pair has (when its types were read)."""
        types = objs.association_types.get(to_object.casefold())
        if types is None or a.type_id is None or find_type(types, a.type_id, a.category):
            return
        named = f"{a.category} {a.type_id}" if a.category else str(a.type_id)
        self.add(
            "association_unknown_type",
            f"association type_id {named} of {a.lookup} is not a HubSpot association type "
            f"from {self.m.hubspot.object} to {to_object} (its types: {type_listing(types)})",
            ("associations", a.index, "type_id"),
            a.lookup,
        )

    def refresh(self, objs: _Objects) -> None:
        """``refresh`` re-reads calculated fields only: formulas and roll-up summaries."""
        refresh = self.m.refresh
        if refresh is None:
            return
        sf_obj = self.m.salesforce.object

        def calculated(name: str) -> bool:
            return bool((objs.sf.get(name.casefold()) or {}).get("calculated"))

        if refresh.fields is None:
            mapped = [f.salesforce for f in self.m.fields_for(Direction.SF_TO_HS)]
            if not refresh.resolve(mapped, calculated):
                self.add(
                    "refresh_nothing_calculated",
                    f"refresh: formulas, but no field this mapping writes to HubSpot is a "
                    f"calculated field of {sf_obj} (formula or roll-up summary)",
                    ("refresh", "fields"),
                )
            return
        for i, name in enumerate(refresh.fields):
            if name.casefold() in objs.sf and not calculated(name):
                self.add(
                    "refresh_not_calculated",
                    f"{sf_obj}.{name} is not a calculated field (formula or roll-up "
                    "summary): its changes bump SystemModstamp, so the incremental sync "
                    "already reads them",
                    ("refresh", "fields", i),
                    name,
                )

    def filter(self, objs: _Objects) -> None:
        hs_filter = self.m.hubspot_filter
        for name in sorted(hs_filter.fields if hs_filter else ()):
            if name.casefold() not in objs.hs:
                self.add(
                    "unknown_property",
                    f"hubspot.filter reads {name}, which HubSpot {self.m.hubspot.object} "
                    "does not have",
                    ("hubspot", "filter"),
                    name,
                )
        if self.m.filter is None:
            return
        for name in sorted(self.m.filter.fields):
            if "." not in name and name.casefold() not in objs.sf:
                self.add(
                    "unknown_field",
                    f"filter reads {name}, which {self.m.salesforce.object} does not have",
                    ("filter",),
                    name,
                )


def validate_live(
    mappings: Iterable[SpecMapping],
    sf_describes: Mapping[str, dict[str, Any]],
    hs_schemas: Mapping[str, dict[str, Any]],
    *,
    create_objects: bool = False,
) -> list[Issue]:
    """Every issue of every mapping against the two live schemas (all, not first).

    A HubSpot custom object that does not exist yet is checked as the target will create
    it (:func:`crm_sync.hubspot.properties.planned_object_schema`) when the mapping says
    ``hubspot.create_object: true``; ``create_objects`` is the answer for mappings that do
    not say (the deprecated ``create_object_schema`` settings).
    """
    mappings = list(mappings)
    by_name = {m.name: m for m in mappings}
    sf_by_name = {k.casefold(): v for k, v in sf_describes.items()}
    hs_by_name = {k.casefold(): v for k, v in hs_schemas.items()}
    issues: list[Issue] = []
    for m in mappings:
        check = _Checker(m, by_name)
        describe = sf_by_name.get(m.salesforce.object.casefold())
        schema = hs_by_name.get(m.hubspot.object.casefold())
        if describe is None:
            check.add(
                "unknown_object",
                f"Salesforce has no object {m.salesforce.object}",
                ("salesforce", "object"),
            )
        creatable = m.hubspot.object.casefold() not in STANDARD_OBJECTS
        creates = creates_object(m.hubspot.create_object, create_objects)
        if m.hubspot.create_object and not creatable:
            check.warn(
                "not_creatable",
                f"hubspot.create_object: {m.hubspot.object} is a standard object, which "
                "HubSpot has already; only custom objects are created",
                ("hubspot", "create_object"),
                None,
            )
        if schema is None and creates and describe is not None and creatable:
            schema = planned_object_schema(m, describe)
        if schema is None:
            check.add(
                "unknown_object", f"HubSpot has no object {m.hubspot.object}", ("hubspot", "object")
            )
        if describe is not None and schema is not None:
            objs = _Objects(
                _index(describe.get("fields", [])),
                _index(schema.get("properties", [])),
                [str(p) for p in schema.get("requiredProperties", [])],
                {
                    str(k).casefold(): list(v)
                    for k, v in (schema.get("associationTypes") or {}).items()
                },
            )
            check.ids(objs)
            for f in m.fields:
                if f.rule.writes(Direction.SF_TO_HS) or f.rule.writes(Direction.HS_TO_SF):
                    check.field(f, objs)
            check.required(objs)
            check.associations(objs)
            check.filter(objs)
            check.refresh(objs)
        issues.extend(check.issues)
    return issues
