"""Draft a mapping spec from both live schemas (``map-crm init``, issue 14 feature 6).

The draft is a starting point a person reviews, like HubSpot's install wizard:

* fields are paired by a small table of HubSpot standard-property equivalents for
  standard objects (:data:`STANDARD_EQUIVALENTS`), then by normalised name
  (:func:`normalize`: ``__c`` stripped, case and separators ignored), then by label;
* picklist -> enumeration pairs get a value map drafted from both option lists
  (matched by value, then by label, normalised);
* the rule comes from the Salesforce field's kind: ``always_salesforce`` for
  read-only fields (formulas, roll-ups, system fields), ``prefer_salesforce`` else;
* lookups become associations to the mapping (in the mappings directory) whose
  Salesforce object is the lookup's target;
* the draft is then checked by the validator itself (``crm_sync.spec.validate_live``):
  a field it refuses is first narrowed to ``always_salesforce``, then dropped into the
  comments with the reason, so type compatibility lives in one place.

Everything not paired is listed as YAML comments at the end of the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_sync.convert.kinds import Kind, hs_kind, sf_kind
from crm_sync.hubspot.properties import OWNER_PROPERTY
from crm_sync.spec import validate_live
from crm_sync.spec.issues import Issue
from crm_sync.spec.live import is_owner_property
from crm_sync.spec.loader import load_text
from crm_sync.spec.model import Mapping
from crm_sync.vocabulary import Rule

#: Salesforce standard field -> HubSpot standard property, per (SF object, HS object),
#: both folded. Mirrors the defaults of HubSpot's Salesforce integration where one exists
#: (unverified beyond the shipped account.yml).
STANDARD_EQUIVALENTS: dict[tuple[str, str], dict[str, str]] = {
    ("account", "companies"): {
        "name": "name",
        "phone": "phone",
        "website": "domain",
        "billingstreet": "address",
        "billingcity": "city",
        "billingstate": "state",
        "billingpostalcode": "zip",
        "billingcountry": "country",
        "numberofemployees": "numberofemployees",
        "annualrevenue": "annualrevenue",
        "description": "description",
        "industry": "industry",
        "type": "type",
    },
    ("contact", "contacts"): {
        "firstname": "firstname",
        "lastname": "lastname",
        "email": "email",
        "phone": "phone",
        "mobilephone": "mobilephone",
        "title": "jobtitle",
        "mailingstreet": "address",
        "mailingcity": "city",
        "mailingstate": "state",
        "mailingpostalcode": "zip",
        "mailingcountry": "country",
    },
    ("opportunity", "deals"): {
        "name": "dealname",
        "amount": "amount",
        "closedate": "closedate",
        "description": "description",
    },
}

#: Salesforce fields never drafted as properties: the record id and bookkeeping stamps
#: the sync itself reads.
SKIPPED_SF_FIELDS = frozenset({"id", "isdeleted", "systemmodstamp"})

_SEPARATORS = re.compile(r"[^0-9a-z]+")
_CUSTOM_SUFFIX = re.compile(r"__c$", re.IGNORECASE)


def normalize(name: str) -> str:
    """``Start_Date__c``, ``start date`` and ``startdate`` all give ``startdate``."""
    return _SEPARATORS.sub("", _CUSTOM_SUFFIX.sub("", name.strip()).casefold())


def mapping_name(sf_object: str) -> str:
    """``Project__c`` -> ``project``: a mapping name other specs can point ``to``."""
    return re.sub(r"_+", "_", _CUSTOM_SUFFIX.sub("", sf_object).casefold()).strip("_")


def _read_only_sf(fdef: dict[str, Any]) -> bool:
    return bool(fdef.get("calculated")) or not (fdef.get("createable") or fdef.get("updateable"))


def _read_only_hs(prop: dict[str, Any]) -> bool:
    meta = prop.get("modificationMetadata") or {}
    return bool(prop.get("calculated") or meta.get("readOnlyValue"))


@dataclass(frozen=True)
class ObjectPair:
    """The two objects to map and their live schemas (describe / properties).

    ``new``: the HubSpot object does not exist yet; ``schema`` is the one the target will
    create (:func:`map_crm.new_object.planned_schema`) and the draft says
    ``create_object: true``, so the validator checks it against that same object.
    """

    sf_object: str
    hs_object: str
    describe: dict[str, Any]
    schema: dict[str, Any]
    new: bool = False


@dataclass
class DraftField:
    salesforce: str
    hubspot: str
    rule: Rule
    values: dict[str, str] = field(default_factory=dict)
    how: str = ""  # why the pair was made: standard / name / label
    notes: list[str] = field(default_factory=list)
    owner: bool = False  # a record owner (User lookup <-> owner property, by email)


@dataclass
class Draft:
    """A drafted spec: what :func:`render` writes."""

    name: str
    sf_object: str
    hs_object: str
    id_field: str | None
    id_property: str | None
    fields: list[DraftField] = field(default_factory=list)
    associations: list[tuple[str, str]] = field(default_factory=list)  # (lookup, to)
    unmatched_sf: list[str] = field(default_factory=list)  # comment lines
    unmatched_hs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    create_object: bool = False


def draft_values(
    sf_field: dict[str, Any], prop: dict[str, Any]
) -> tuple[dict[str, str], list[str], list[str]]:
    """Salesforce picklist value -> HubSpot option, by value then by label (normalised).

    Returns the map and the Salesforce values and HubSpot options left unpaired.
    """
    sf_opts = [v for v in sf_field.get("picklistValues") or [] if v.get("active", True)]
    hs_opts = [o for o in prop.get("options") or [] if not o.get("hidden", False)]
    free = {str(o["value"]): o for o in hs_opts}
    values: dict[str, str] = {}
    unpaired: list[str] = []
    for opt in sf_opts:
        value = str(opt["value"])
        keys = {normalize(value), normalize(str(opt.get("label") or value))}
        hit = next(
            (
                hv
                for hv, o in free.items()
                if normalize(hv) in keys or normalize(str(o.get("label") or hv)) in keys
            ),
            None,
        )
        if hit is None:
            unpaired.append(value)
            continue
        values[value] = hit
        del free[hit]
    return values, unpaired, list(free)


def _candidates(
    sf_field: dict[str, Any], props: dict[str, dict[str, Any]], standard: dict[str, str]
) -> Iterable[tuple[str, str]]:
    """HubSpot property names for a Salesforce field, best first, with how each matched."""
    name = str(sf_field["name"])
    if name.casefold() in standard:
        yield standard[name.casefold()], "standard property"
    key = normalize(name)
    label = normalize(str(sf_field.get("label") or ""))
    for pname in props:
        if normalize(pname) == key:
            yield pname, "name"
    if label:
        for pname, prop in props.items():
            if label in (normalize(pname), normalize(str(prop.get("label") or ""))):
                yield pname, "label"


def match_fields(pair: ObjectPair, mappings: Sequence[Mapping] = ()) -> Draft:
    """Pair the fields of two schemas (before the validator's check, see :func:`draft`)."""
    sf_object, hs_object, describe, schema = (
        pair.sf_object,
        pair.hs_object,
        pair.describe,
        pair.schema,
    )
    sf_fields = [f for f in describe.get("fields", []) if "name" in f]
    props = {str(p["name"]): p for p in schema.get("properties", []) if "name" in p}
    id_field = next((str(f["name"]) for f in sf_fields if f.get("externalId")), None)
    id_property = next(
        (
            n
            for n, p in props.items()
            if p.get("hasUniqueValue") and not _read_only_hs(p) and n != "hs_object_id"
        ),
        None,
    )
    draft = Draft(mapping_name(sf_object), sf_object, hs_object, id_field, id_property)
    draft.create_object = pair.new
    standard = STANDARD_EQUIVALENTS.get((sf_object.casefold(), hs_object.casefold()), {})
    # HubSpot's own read-only properties (hs_*, calculated) cannot receive values.
    free = {n: p for n, p in props.items() if n != id_property and not _read_only_hs(p)}
    # A lookup to the drafted object itself (ParentId) points at the draft's own mapping.
    by_object = {m.salesforce.object.casefold(): m.name for m in mappings if m.name != draft.name}
    by_object[sf_object.casefold()] = draft.name
    for fdef in sf_fields:
        name = str(fdef["name"])
        if name.casefold() in SKIPPED_SF_FIELDS or name == id_field:
            continue
        kind = sf_kind(str(fdef.get("type")))
        if kind is Kind.REFERENCE:
            targets = [str(t) for t in fdef.get("referenceTo") or []]
            if _read_only_sf(fdef):  # CreatedById, MasterRecordId: set by Salesforce
                draft.unmatched_sf.append(f"{name}: read-only lookup to {', '.join(targets)}")
                continue
            owner = _owner_property(fdef, free, pair.new)
            if owner is not None:  # the record's owner, as the shipped specs map it
                free.pop(owner, None)
                draft.fields.append(
                    DraftField(name, owner, Rule.TWO_WAY, how="owner (by email)", owner=True)
                )
                continue
            to = next((by_object[t.casefold()] for t in targets if t.casefold() in by_object), None)
            if to is not None:
                draft.associations.append((name, to))
            else:
                draft.unmatched_sf.append(
                    f"{name}: lookup to {', '.join(targets) or '?'}; no mapping of that object "
                    "to associate with"
                )
            continue
        pname, how = next(((p, h) for p, h in _candidates(fdef, free, standard)), (None, ""))
        if pname is None:
            draft.unmatched_sf.append(f"{name} ({fdef.get('type')}): no HubSpot property")
            continue
        prop = free.pop(pname)
        rule = Rule.ALWAYS_SALESFORCE if _read_only_sf(fdef) else Rule.PREFER_SALESFORCE
        item = DraftField(name, pname, rule, how=how)
        hk = hs_kind(str(prop.get("type")), prop.get("fieldType"))
        if kind in {Kind.ENUM, Kind.MULTI} and hk in {Kind.ENUM, Kind.MULTI}:
            item.values, sf_left, hs_left = draft_values(fdef, prop)
            if sf_left:
                item.notes.append(f"Salesforce values without an option: {', '.join(sf_left)}")
            if hs_left:
                item.notes.append(f"HubSpot options without a value: {', '.join(hs_left)}")
        draft.fields.append(item)
    draft.unmatched_hs = [f"{n} ({p.get('type')}): no Salesforce field" for n, p in free.items()]
    return draft


def _owner_property(
    fdef: dict[str, Any], props: dict[str, dict[str, Any]], new: bool
) -> str | None:
    """The HubSpot owner property a Salesforce ``OwnerId`` goes to: the object's own
    (``hubspot_owner_id``, or a property of owners), or ``hubspot_owner_id`` of an object
    still to be created (every custom object has it); None for any other lookup."""
    refs = {str(r).casefold() for r in fdef.get("referenceTo") or []}
    if str(fdef.get("name")) != "OwnerId" or "user" not in refs:
        return None
    found = next((n for n, p in props.items() if is_owner_property(p)), None)
    return found or (OWNER_PROPERTY if new else None)


def _reasons(item: DraftField, problems: Sequence[Issue], shown: int = 3) -> str:
    """Why a pair was dropped, short: the value-map notes, else the first few errors."""
    value_codes = {"value_not_mapped", "value_not_in_options"}
    if item.notes and all(p.code in value_codes for p in problems):
        return "; ".join(n for n in item.notes if not n.startswith("one way: "))
    text = "; ".join(f"{p.message} [{p.code}]" for p in problems[:shown])
    more = len(problems) - shown
    return text + (f" (and {more} more)" if more > 0 else "")


def _issues_by_field(issues: Iterable[Issue], name: str) -> dict[str | None, list[Issue]]:
    out: dict[str | None, list[Issue]] = {}
    for issue in issues:
        if issue.is_error and issue.mapping == name:
            out.setdefault(issue.field, []).append(issue)
    return out


def check(draft: Draft, pair: ObjectPair, mappings: Sequence[Mapping] = ()) -> list[Issue]:
    """The validator's errors for the rendered draft (other mappings as context)."""
    spec, issues = load_text(render(draft), f"{draft.name}.yml")
    if spec is None:
        return [i for i in issues if i.is_error]
    others = [m for m in mappings if m.name != draft.name]
    # a new object is checked as the validator checks any create_object mapping
    hs_schemas = {} if pair.new else {pair.hs_object: pair.schema}
    live = validate_live([spec, *others], {pair.sf_object: pair.describe}, hs_schemas)
    return [i for i in issues + live if i.is_error and i.mapping in (None, draft.name)]


def draft(pair: ObjectPair, mappings: Sequence[Mapping] = ()) -> Draft:
    """Match, then let the validator narrow or drop what it refuses (module docstring)."""
    result = match_fields(pair, mappings)
    for _ in range(3):
        errors = _issues_by_field(check(result, pair, mappings), result.name)
        field_errors = {k: v for k, v in errors.items() if k is not None}
        if not field_errors:
            break
        kept: list[DraftField] = []
        for item in result.fields:
            problems = field_errors.get(item.salesforce)
            if not problems:
                kept.append(item)
            elif item.rule is not Rule.ALWAYS_SALESFORCE:
                item.rule = Rule.ALWAYS_SALESFORCE
                item.notes.append("one way: " + "; ".join(p.message for p in problems))
                kept.append(item)
            else:
                result.unmatched_sf.append(
                    f"{item.salesforce} -> {item.hubspot} refused: {_reasons(item, problems)}"
                )
        result.fields = kept
        result.associations = [a for a in result.associations if a[0] not in field_errors]
    errors = _issues_by_field(check(result, pair, mappings), result.name)
    result.notes = [f"{i.message} [{i.code}]" for v in errors.values() for i in v]
    return result


def _q(value: str) -> str:
    """A YAML scalar: JSON strings are valid YAML flow scalars."""
    return json.dumps(value, ensure_ascii=False)


def render(d: Draft) -> str:
    """The spec as YAML text with the unpaired fields as comments."""
    lines = [
        "# yaml-language-server: $schema=../../core/crm_sync/spec/mapping.schema.json",
        f"# Drafted by `map-crm init --salesforce {d.sf_object} --hubspot {d.hs_object}`:",
        "# review every pair, rule and value map before enabling it.",
    ]
    lines += [f"# TODO: {note}" for note in d.notes]
    id_field = d.id_field or "TODO_External_Id__c"
    id_property = d.id_property or "TODO_unique_property"
    if d.id_field is None:
        lines.append(f"# TODO: {d.sf_object} has no external-id field; create one.")
    if d.id_property is None:
        lines.append(f"# TODO: HubSpot {d.hs_object} has no unique-valued property; create one.")
    lines += [
        f"name: {_q(d.name)}",
        "enabled: true",
        f"salesforce: {{object: {_q(d.sf_object)}, id_field: {_q(id_field)}}}",
        f"hubspot: {{object: {_q(d.hs_object)}, id_property: {_q(id_property)}"
        + (
            ", create_object: true}   # created with these properties on the first run"
            if d.create_object
            else "}"
        ),
        "fields:" if d.fields else "fields: []",
    ]
    for f in d.fields:
        head = f"  - {{salesforce: {_q(f.salesforce)}, hubspot: {_q(f.hubspot)}, rule: {f.rule}"
        if f.owner:
            head += ", owner: true"
        if f.values:
            pairs = ", ".join(f"{_q(k)}: {_q(v)}" for k, v in f.values.items())
            head += f", values: {{{pairs}}}"
        lines.append(head + f"}}   # by {f.how}")
        lines += [f"    # {note}" for note in f.notes]
    if d.associations:
        lines.append("associations:")
        lines += [f"  - {{lookup: {_q(lk)}, to: {_q(to)}}}" for lk, to in d.associations]
    if d.unmatched_sf:
        lines.append(f"# Salesforce {d.sf_object} fields not mapped:")
        lines += [f"#   {line}" for line in d.unmatched_sf]
    if d.unmatched_hs:
        lines.append(f"# HubSpot {d.hs_object} properties not mapped:")
        lines += [f"#   {line}" for line in d.unmatched_hs]
    return "\n".join(lines) + "\n"
