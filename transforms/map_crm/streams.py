"""One mapped stream: the destination-shaped SCHEMA and each record's conversion.

Record shape emitted (both directions; names are the destination's):

* every field whose rule writes in this direction, under its destination name,
  converted to the destination's wire format (HubSpot: property strings, ``""``
  clears; Salesforce: REST JSON values, numbers as exact decimals);
* the destination key: ``hubspot.id_property`` = Salesforce Id (sf_to_hs), or
  ``salesforce.id_field`` = HubSpot record id (hs_to_sf) -- the upsert key;
* ``_crm_destination_id``: the destination record id when the source knows it
  (Salesforce ``id_field`` value / HubSpot ``id_property`` value), else null; on
  sf_to_hs absent when the record lacks the id field (not selected, a partial record);
* ``_crm_source_id``, ``_crm_source_modified_at`` (ISO 8601 UTC, milliseconds);
* ``_crm_source_values``: ``{source field: value as the source stores it}`` for every
  mapped field the record carried, so the ledger's base keeps each side's own form
  (a multi-select is ``Mobile;Web`` in Salesforce but ``mobile;web`` in HubSpot);
* ``_crm_associations``: ``[{"to_mapping", "lookup", "source_id", "label",
  "type_id", "category"}]``, one per lookup field; ``source_id`` is the id *in
  the source system* of the related record (the target resolves it through the
  ledger); null means "no related record" (the lookup was cleared). A record without
  the lookup field (a partial record: the tap's refresh pass) has no entry for it; on
  hs_to_sf the list only has the rules whose target object appears in the record's
  ``associations`` (HubSpot v3 shape ``{"companies": {"results": [{"id"}]}}``), so a
  tap that does not read associations never clears lookups. Several rules on one
  lookup make it polymorphic (``Task.WhatId``: an Account or a Project__c): sf_to_hs
  takes the rule whose mapping's Salesforce object owns the id's key prefix (none, also
  for a lone rule: no association, and a ``lookup_unmapped`` warning), hs_to_sf the first
  rule whose HubSpot object the record is associated with;
* ``_crm_errors``: ``[{"field", "message"}]`` when a value could not be converted
  (the field is left out; the target should dead-letter the record);
* ``_crm_warnings``: ``[{"field", "code", "message"}]`` for a field left out of this
  record's write while the rest syncs: ``owner_unmatched``, an owner field (``owner:
  true``) whose User or owner has no active counterpart with the same email
  (``crm_sync.owners``); ``lookup_unmapped`` (sf_to_hs), a lookup naming a record of an
  object none of its rules maps (``Task.WhoId`` holding a Lead id while only contacts are
  mapped): no association is made for it. The target counts them in its run report;
* ``_crm_partial`` (sf_to_hs): true when the record lacks a mapped field its stream's
  schema has (the Salesforce tap's refresh pass sends only the refreshed fields): it may
  update a linked record, never create one;
* ``_sdc_deleted_at`` when the source record carries it.

An owner field's value is translated by the run's :class:`~crm_sync.owners.OwnerDirectory`
(Salesforce User id <-> HubSpot owner id); a blank HubSpot owner is left out on
``hs_to_sf`` (a Salesforce record always has an owner). An untranslated owner is not
in ``_crm_source_values`` either, so the ledger's base does not take it as synced.

Transform steps (trim, lower, upper, default, concat) apply to source values, in
order, before conversion; ``default`` is written in the source's vocabulary.
The selective-sync filter is evaluated here (not pushed into the tap) on the
Salesforce-shaped record: the raw record on sf_to_hs, the converted one on hs_to_sf;
on hs_to_sf the mapping's ``hubspot.filter`` is evaluated first, on the HubSpot
record's own properties. Deletions are never filtered out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from crm_sync.convert import (
    ConversionError,
    FieldConverter,
    Kind,
    hs_kind,
    json_schema_kind,
    sf_kind,
)
from crm_sync.convert.kinds import compared_kind
from crm_sync.convert.valuemap import ValueMap
from crm_sync.hubspot.properties import KIND_KEY, field_schema, hubspot_options
from crm_sync.owners import OWNER_UNMATCHED, OwnerDirectory
from crm_sync.salesforce.key_prefixes import key_prefix, sobject_of
from crm_sync.spec import (
    AssociationRule,
    Concat,
    Default,
    FieldMapping,
    Lower,
    Mapping,
    SpecSet,
    Transform,
    Trim,
    Upper,
)
from crm_sync.sync.annotations import COMPARE_KEY
from crm_sync.vocabulary import Direction
from map_crm.fast import MEMO_SIZE, hubspot_converter, hubspot_stamp

SF_MODSTAMPS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
HS_MODSTAMPS = ("hs_lastmodifieddate", "lastmodifieddate", "updatedAt")
DELETED = "_sdc_deleted_at"
PARTIAL = "_crm_partial"

_NULLABLE_STRING = {"type": ["string", "null"]}
_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_SF_JSON: dict[Kind, dict[str, Any]] = {
    Kind.BOOL: {"type": ["boolean", "null"]},
    Kind.INT: {"type": ["integer", "null"]},
    Kind.NUMBER: {"type": ["number", "null"]},
    Kind.DATE: {"type": ["string", "null"], "format": "date"},
    Kind.DATETIME: _DATETIME,
    Kind.TIME: {"type": ["string", "null"], "format": "time"},
}
_ASSOCIATIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "to_mapping": {"type": "string"},
            "lookup": {"type": "string"},
            "source_id": _NULLABLE_STRING,
            "label": _NULLABLE_STRING,
            "type_id": {"type": ["integer", "null"]},
            "category": _NULLABLE_STRING,
        },
    },
}
_ERRORS = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
}
_WARNINGS = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "code": {"type": "string"},
            "message": {"type": "string"},
        },
    },
}
LOOKUP_UNMAPPED = "lookup_unmapped"
"""A warning code: a lookup names a record of an object no association rule maps."""
#: The run's owner directory, loaded on first use (map-crm caches it for the run).
OwnerLookup = Callable[[], OwnerDirectory]


@dataclass(frozen=True)
class LiveTypes:
    """Exact field types from the live schemas, when the mapper was given them."""

    sf_fields: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    hs_properties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    key_prefixes: dict[str, str] = field(default_factory=dict)
    """Casefolded sObject name -> its ids' key prefix (describe ``keyPrefix``)."""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> LiveTypes:
        sf = {
            obj.casefold(): {f["name"].casefold(): f for f in describe.get("fields", [])}
            for obj, describe in (data.get("salesforce") or {}).items()
        }
        hs = {
            obj.casefold(): {p["name"].casefold(): p for p in schema.get("properties", [])}
            for obj, schema in (data.get("hubspot") or {}).items()
        }
        prefixes = {
            obj.casefold(): str(describe["keyPrefix"])
            for obj, describe in (data.get("salesforce") or {}).items()
            if describe.get("keyPrefix")
        }
        return cls(sf, hs, prefixes)

    def sf(self, obj: str, name: str) -> dict[str, Any] | None:
        return self.sf_fields.get(obj.casefold(), {}).get(name.casefold())

    def hs(self, obj: str, name: str) -> dict[str, Any] | None:
        return self.hs_properties.get(obj.casefold(), {}).get(name.casefold())


def _lookup(record: dict[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    folded = name.casefold()
    return next((v for k, v in record.items() if k.casefold() == folded), None)


_Transformer = Callable[[Any, dict[str, Any]], Any]
"""A field's transform steps as one call: (source value, record) -> value."""


_TEXT_STEPS: dict[type, Callable[[str], str]] = {
    Trim: str.strip,
    Lower: str.lower,
    Upper: str.upper,
}
"""Steps that change a string and leave any other value as it is."""


def _transformer(steps: tuple[Transform, ...]) -> _Transformer | None:
    """``steps`` as one call (None for none). Text-only steps (trim, lower, upper) run as
    plain string methods, without :func:`_apply`'s match per step and record."""
    if not steps:
        return None
    if not all(type(step) in _TEXT_STEPS for step in steps):
        return lambda value, record: _apply(steps, value, record)
    methods = tuple(_TEXT_STEPS[type(step)] for step in steps)

    def text_steps(value: Any, _: dict[str, Any]) -> Any:
        if isinstance(value, str):  # each step gives a string again
            for method in methods:
                value = method(value)
        return value

    return text_steps


def _apply(steps: tuple[Transform, ...], value: Any, record: dict[str, Any]) -> Any:
    for step in steps:
        text_step = _TEXT_STEPS.get(type(step))
        if text_step is not None:
            if isinstance(value, str):
                value = text_step(value)
            continue
        match step:
            case Concat(fields=names, separator=sep):
                parts = [_lookup(record, n) for n in names]
                value = sep.join(str(p) for p in parts if p not in (None, "")) or None
            case Default(value=default) if value is None or value == "":
                value = default
    return value


@dataclass
class _Field:
    """One field's conversion, with what depends only on the spec worked out once."""

    spec: FieldMapping
    source: str
    destination: str
    converter: FieldConverter
    concat_here: bool = False
    """The field is a concat computed in this direction (no single source value)."""
    steps: tuple[Transform, ...] = ()
    """The transforms applied here (a concat is dropped where it is not computed)."""


class _Step(NamedTuple):
    """One field as the per-record loop reads it (a tuple: unpacked once per field)."""

    source: str
    destination: str
    convert: Callable[[Any], Any]
    """The direction's conversion (to HubSpot with the short cuts of :mod:`map_crm.fast`)."""
    transform: _Transformer | None
    """The field's transform steps (applied to the source value before ``convert``)."""
    partial_if_missing: bool
    """sf_to_hs: the stream's schema has the field, so a record without it is partial."""
    special: _Field | None
    """An owner field or a concat computed here (each converted its own way), else None."""


class StreamMapper:
    """Converts one source stream through one mapping, in one direction."""

    def __init__(
        self,
        mapping: Mapping,
        direction: Direction,
        source_schema: dict[str, Any],
        specs: SpecSet,
        live: LiveTypes | None = None,
        owners: OwnerLookup | None = None,
    ) -> None:
        self.mapping = mapping
        self.direction = direction
        self.specs = specs
        self.live = live or LiveTypes()
        self.owners = owners
        props: dict[str, Any] = source_schema.get("properties", {})
        self.source_props = {k.casefold(): v for k, v in props.items()}
        self.fields = [self._field(f) for f in mapping.fields_for(direction)]
        self._translated_owners: dict[str, str | None] = {}
        """Owner ids met so far and their counterparts (the run's directory is fixed)."""
        side = mapping.hubspot if direction is Direction.SF_TO_HS else mapping.salesforce
        self.stream_name = side.stream_name
        """The destination stream's name."""
        to_hs = direction is Direction.SF_TO_HS
        self.key = mapping.hubspot.id_property if to_hs else mapping.salesforce.id_field
        """The upsert key: the destination's property or field holding the source id."""
        self._steps = [self._step(f) for f in self.fields]
        self._lookups = [
            (lookup, rules, [(rule, self._key_prefix(rule)) for rule in rules])
            for lookup, rules in _by_lookup(mapping.associations).items()
        ]
        """Each lookup field, its association rules, and each rule's object's key prefix."""

    # --- types -----------------------------------------------------------------

    def _source_kind(self, name: str) -> Kind:
        return json_schema_kind(self.source_props.get(name.casefold(), {}))

    def _field(self, f: FieldMapping) -> _Field:
        m = self.mapping
        to_hs = self.direction is Direction.SF_TO_HS
        source, destination = (f.salesforce, f.hubspot) if to_hs else (f.hubspot, f.salesforce)
        if f.owner:  # ids on both sides, translated by email (``_owner``)
            return _Field(f, source, destination, FieldConverter(Kind.TEXT, Kind.TEXT, ValueMap()))
        sf_live = self.live.sf(m.salesforce.object, f.salesforce)
        hs_live = self.live.hs(m.hubspot.object, f.hubspot)
        sfk = sf_kind(sf_live["type"]) if sf_live else None
        hsk = hs_kind(hs_live["type"], hs_live.get("fieldType")) if hs_live else None
        if f.concat is not None and f.rule.one_way is self.direction:
            inferred = Kind.TEXT
        else:
            inferred = self._source_kind(f.salesforce if to_hs else f.hubspot)
        if inferred is Kind.UNSUPPORTED:
            inferred = Kind.TEXT
        if to_hs:
            sfk = sfk or inferred
            hsk = hsk or sfk
        else:
            hsk = hsk or inferred
            sfk = sfk or hsk
        if sfk is Kind.REFERENCE:
            sfk = Kind.TEXT
        scale = sf_live.get("scale") if sf_live and sfk is Kind.NUMBER else None
        converter = FieldConverter(sfk, hsk, f.values, scale)
        concat = f.concat
        concat_here = concat is not None and f.rule.one_way is self.direction
        steps = f.transforms
        if concat is not None and not concat_here:
            steps = tuple(s for s in steps if not isinstance(s, Concat))
        return _Field(f, source, destination, converter, concat_here, steps)

    def _step(self, f: _Field) -> _Step:
        to_hs = self.direction is Direction.SF_TO_HS
        convert = hubspot_converter(f.converter) if to_hs else f.converter.to_salesforce
        partial_if_missing = to_hs and f.source.casefold() in self.source_props
        special = f if f.spec.owner or f.concat_here else None
        transform = _transformer(f.steps)
        return _Step(f.source, f.destination, convert, transform, partial_if_missing, special)

    def _key_prefix(self, rule: AssociationRule) -> str | None:
        """The key prefix of the Salesforce object ``rule``'s mapping syncs, when known."""
        target = self.specs.get(rule.to)
        return key_prefix(target.salesforce.object, self.live.key_prefixes) if target else None

    # --- schema ----------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        """The destination-shaped JSON Schema, annotated for the targets."""
        properties: dict[str, Any] = {}
        for f in self.fields:
            if self.direction is Direction.SF_TO_HS:
                kind = f.converter.hs_kind
                sf_live = self.live.sf(self.mapping.salesforce.object, f.spec.salesforce)
                # the schema the target creates a missing property from (shared with
                # map-crm validate's plan of an object still to be created)
                base = field_schema(kind, hubspot_options(f.spec, sf_live))
            else:
                kind = f.converter.sf_kind
                base = dict(_SF_JSON.get(kind, _NULLABLE_STRING))
            properties[f.destination] = {
                **base,
                "x-crm-rule": str(f.spec.rule),
                "x-crm-source": f.source,
                KIND_KEY: str(kind),
                **(
                    {COMPARE_KEY: str(compare)}
                    if (compare := compared_kind(f.converter.sf_kind, f.converter.hs_kind))
                    else {}
                ),
                **({"x-crm-conflict": str(f.spec.conflict)} if f.spec.conflict else {}),
            }
        properties[self.key] = {**_NULLABLE_STRING, "x-crm-role": "source_id"}
        properties["_crm_destination_id"] = dict(_NULLABLE_STRING)
        properties["_crm_source_id"] = {"type": ["string"]}
        properties["_crm_source_modified_at"] = dict(_DATETIME)
        properties["_crm_source_values"] = {"type": ["object", "null"]}
        properties["_crm_associations"] = _ASSOCIATIONS
        properties["_crm_errors"] = _ERRORS
        properties["_crm_warnings"] = _WARNINGS
        properties[PARTIAL] = {"type": ["boolean", "null"]}
        properties[DELETED] = dict(_DATETIME)
        return {
            "type": "object",
            "properties": properties,
            "x-crm-mapping": {
                **self.mapping.settings(),
                "direction": str(self.direction),
                "key": self.key,
                "associated_objects": self._associated_objects(),
            },
        }

    def _associated_objects(self) -> list[str]:
        """The HubSpot objects this mapping's associations point to: a custom object the
        target creates must name them (``associatedObjects``) to be associable."""
        names = [
            to.hubspot.object
            for a in self.mapping.associations
            if (to := self.specs.get(a.to)) is not None
        ]
        return list(dict.fromkeys(names))

    # --- records ---------------------------------------------------------------

    def _hs_view(self, record: dict[str, Any]) -> dict[str, Any]:
        props = record.get("properties")
        view = {k: v for k, v in record.items() if k != "properties"}
        if isinstance(props, dict):
            view.update(props)
        return view

    def map_record(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The destination record, or ``None`` when the filter drops it."""
        to_hs = self.direction is Direction.SF_TO_HS
        source = record if to_hs else self._hs_view(record)
        deleted = source.get(DELETED)
        m = self.mapping
        if to_hs and m.filter and not deleted and not m.filter.matches(source):
            return None
        hs_filter = m.hubspot_filter
        if not to_hs and hs_filter and not deleted and not hs_filter.matches(source):
            return None
        out: dict[str, Any] = {}
        native: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        warnings: list[dict[str, str]] = []
        partial = False
        for name, destination, convert, transform, partial_if_missing, special in self._steps:
            if special is None and name in source:  # most fields of most records
                raw = native[name] = source[name]
            elif special is not None and special.spec.owner:
                if _has(source, name):
                    self._owner(special, source, out, native, warnings)
                else:  # as below: not selected, or a partial record
                    partial = partial or partial_if_missing
                continue
            elif special is not None:  # a concat computed here: no single source value
                raw = None
            else:
                raw = _lookup(source, name)
                if raw is None and not _has(source, name):
                    # Not selected by the tap (not in its schema), or a partial record: the
                    # field is in the schema but this record does not carry it. Either way
                    # the destination's value is left alone.
                    partial = partial or partial_if_missing
                    continue
                native[name] = raw
            try:
                out[destination] = convert(raw if transform is None else transform(raw, source))
            except ConversionError as exc:
                errors.append({"field": name, "message": str(exc)})
        if not to_hs and m.filter and not deleted and not m.filter.matches(out):
            return None
        if to_hs:
            source_id = _lookup(source, "Id")
            destination_id = _lookup(source, m.salesforce.id_field)
            stamp = _first_set(source, SF_MODSTAMPS)
        else:
            source_id = source.get("id") or source.get("hs_object_id")
            destination_id = _lookup(source, m.hubspot.id_property)
            stamp = _first_set(source, HS_MODSTAMPS)
        source_id = None if source_id in (None, "") else str(source_id)
        out[self.key] = source_id
        if not to_hs or _has(source, m.salesforce.id_field):
            # sf_to_hs: only when the tap read the id field (the target writes the id
            # back to Salesforce when this lacks it; a record read without it is left be)
            out["_crm_destination_id"] = (
                None if destination_id in (None, "") else str(destination_id)
            )
        out["_crm_source_id"] = source_id
        out["_crm_source_modified_at"] = hubspot_stamp(stamp)
        out["_crm_source_values"] = native
        out["_crm_associations"] = self._associations(record, source, warnings)
        if errors:
            out["_crm_errors"] = errors
        if warnings:
            out["_crm_warnings"] = warnings
        if partial:
            out[PARTIAL] = True
        if DELETED in source:
            out[DELETED] = deleted
        return out

    def _owner(
        self,
        f: _Field,
        source: dict[str, Any],
        out: dict[str, Any],
        native: dict[str, Any],
        warnings: list[dict[str, str]],
    ) -> None:
        """Translate one owner field the record carries into ``out`` (and ``native``), or
        leave it out with a warning naming the id that has no counterpart."""
        raw = _lookup(source, f.source)
        to_hs = self.direction is Direction.SF_TO_HS
        if raw in (None, ""):
            if to_hs:  # a blank Salesforce lookup clears the HubSpot owner
                native[f.source], out[f.destination] = raw, ""
            return  # a Salesforce record always has an owner: never blank it
        if self.owners is None:
            raise RuntimeError(f"owner field {f.source} needs the run's owner directory")
        value = str(raw).strip()
        translated = self._translated_owners
        if value in translated:  # a few owners own most records
            found = translated[value]
        else:
            directory = self.owners()
            found = directory.owner_for_user(value) if to_hs else directory.user_for_owner(value)
            if len(translated) < MEMO_SIZE:
                translated[value] = found
        if found is None:
            source_side, other = (
                ("User", "HubSpot owner") if to_hs else ("owner", "Salesforce User")
            )
            warnings.append(
                {
                    "field": f.source,
                    "code": OWNER_UNMATCHED,
                    "message": f"{f.source} {value}: this {source_side} has no active {other} "
                    f"with the same email; {f.destination} left out of this record's write",
                }
            )
            return
        native[f.source], out[f.destination] = raw, found

    def _associations(
        self, record: dict[str, Any], source: dict[str, Any], warnings: list[dict[str, str]]
    ) -> list[dict[str, Any]]:
        """One entry per lookup; a lookup with several rules (polymorphic) picks one rule.

        A Salesforce id of an object none of the lookup's rules maps (``Task.WhoId`` naming
        a Lead while only contacts are mapped) makes no association and adds a warning."""
        refs = []
        to_hs = self.direction is Direction.SF_TO_HS
        raw_links = None if to_hs else record.get("associations")
        linked: dict[str, Any] = raw_links if isinstance(raw_links, dict) else {}
        for lookup, rules, prefixed in self._lookups:
            if to_hs:
                if not _has(source, lookup):
                    continue  # a partial record (a refresh pass): leave the lookup alone
                related = _lookup(source, lookup)
                rule = _rule_for_id(prefixed, related)
                if rule is None:  # an object no rule maps: no association (as if cleared)
                    warnings.append(self._unmapped(lookup, rules, str(related)))
                    rule, related = rules[0], None
            else:
                picked = self._rule_for_links(rules, linked)
                if picked is None:
                    continue  # the tap did not read these associations: leave them alone
                rule, related = picked
            refs.append(
                {
                    "to_mapping": rule.to,
                    "lookup": rule.lookup,
                    "source_id": None if related in (None, "") else str(related),
                    "label": rule.label,
                    "type_id": rule.type_id,
                    "category": rule.category,
                }
            )
        return refs

    def _unmapped(
        self, lookup: str, rules: Sequence[AssociationRule], related: str
    ) -> dict[str, str]:
        """The warning for a lookup id whose object no rule of the lookup maps."""
        sobject = sobject_of(related, self.live.key_prefixes) or f"key prefix {related[:3]}"
        mapped = ", ".join(
            to.salesforce.object for r in rules if (to := self.specs.get(r.to)) is not None
        )
        return {
            "field": lookup,
            "code": LOOKUP_UNMAPPED,
            "message": f"{lookup} {related} ({sobject}): no rule of {lookup} maps {sobject} "
            f"({lookup} -> {mapped or 'nothing'}); no association made for it",
        }

    def _rule_for_links(
        self, rules: Sequence[AssociationRule], linked: dict[str, Any]
    ) -> tuple[AssociationRule, Any] | None:
        """The first rule whose HubSpot object the record is associated with, and the id.

        ``None`` when the record carries none of the rules' objects (not read); the first
        rule with no id when it carries them all empty (the association was removed).
        """
        empty: AssociationRule | None = None
        for rule in rules:
            target = self.specs.get(rule.to)
            if target is None:
                continue
            found = _lookup(linked, target.hubspot.object)
            if found is None:
                continue
            results = found.get("results", []) if isinstance(found, dict) else found
            related = _related(rule, results)
            if related is not None:
                return rule, related
            empty = empty or rule
        return (empty, None) if empty is not None else None


def _related(rule: AssociationRule, results: Sequence[dict[str, Any]]) -> Any:
    """The id an association rule's lookup takes from a record's associations, or None.

    A record lists one entry per type: a labelled pair also carries HubSpot's unlabelled
    type, and a company's parent (14, child to parent) sits beside its children (13) and
    the unlabelled company pair (450) of each. The rule's own type (or label) comes first;
    else a plain association (a record associated by the default type only, as a HubSpot
    user associates a project with its company); never a record associated under another
    label, so ``ParentId`` never takes a child. An entry without type details (another
    tap's v3 ``{"id", "type"}``) counts for every rule.
    """
    own = [r for r in results if _is_rule_type(rule, r)]
    if own:
        return own[0].get("id")
    labelled = {r.get("id") for r in results if r.get("label")}
    plain = [r for r in results if r.get("id") not in labelled]
    return plain[0].get("id") if plain else None


def _is_rule_type(rule: AssociationRule, result: dict[str, Any]) -> bool:
    """Whether an association the tap read is of the type ``rule`` makes (any, for a
    rule naming neither type nor label, or an entry without type details)."""
    if rule.type_id is not None and result.get("typeId") is not None:
        return str(result["typeId"]) == str(rule.type_id) and rule.category in (
            None,
            result.get("category"),
        )
    if rule.label and "label" in result:
        return bool(result.get("label") == rule.label)
    return True


def _rule_for_id(
    rules: Sequence[tuple[AssociationRule, str | None]], related: Any
) -> AssociationRule | None:
    """The rule whose mapping's Salesforce object owns ``related`` (by its key prefix; the
    rules come with their objects' prefixes).

    A lone rule whose object's prefix is unknown (a custom object, no live describe)
    takes any id; ``None`` when no rule's object owns the id."""
    if related in (None, ""):
        return rules[0][0]
    prefix = str(related)[:3]
    unknown = False
    for rule, owner in rules:
        if owner == prefix:
            return rule
        unknown = unknown or owner is None
    return rules[0][0] if len(rules) == 1 and unknown else None


def _first_set(record: dict[str, Any], names: Sequence[str]) -> Any:
    """The value of the first of ``names`` the record has set (not None or empty)."""
    for name in names:
        value = record.get(name)
        if value:
            return value
    return None


def _by_lookup(rules: Sequence[AssociationRule]) -> dict[str, list[AssociationRule]]:
    """Association rules grouped by lookup field (in spec order)."""
    out: dict[str, list[AssociationRule]] = {}
    for rule in rules:
        out.setdefault(rule.lookup, []).append(rule)
    return out


def _has(record: dict[str, Any], name: str) -> bool:
    if name in record:
        return True
    folded = name.casefold()
    return any(k.casefold() == folded for k in record)
