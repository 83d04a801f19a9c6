"""The HubSpot object ``map-crm init`` drafts a spec against when it does not exist yet.

``map-crm init --salesforce Opportunity --hubspot sf_opportunity`` for a custom object
the portal lacks (issue 14, features 3 and 6): every Salesforce field a person can set
(or a formula) gets a property named after it (:func:`property_name`), and the object is
what target-hubspot-custom creates for such a spec
(:func:`crm_sync.hubspot.properties.planned_object_schema`, the same function
``map-crm validate`` checks a ``create_object: true`` mapping with). The drafter then
pairs, narrows and checks the fields against that object as against a live one, and the
draft says ``create_object: true`` so the validator and the target create exactly it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crm_sync.hubspot.properties import planned_object_schema
from crm_sync.spec.model import build_mapping
from crm_sync.spec.yamlsrc import LineIndex
from crm_sync.vocabulary import Rule

ID_PROPERTY = "salesforce_id"
"""The unique property a created object keeps the Salesforce id in (the shipped specs')."""

SKIPPED = frozenset(
    {"id", "isdeleted", "systemmodstamp", "createddate", "lastmodifieddate"}
    | {"lastactivitydate", "lastvieweddate", "lastreferenceddate"}
)
"""Salesforce's bookkeeping stamps (the sync reads some; HubSpot keeps its own):
never drafted as properties."""

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def property_name(sf_field: str) -> str:
    """A HubSpot property name for a Salesforce field: ``CloseDate`` -> ``close_date``,
    ``Budget__c`` -> ``budget``, ``URLField__c`` -> ``url_field`` (HubSpot names are
    lowercase ``[a-z0-9_]`` and start with a letter)."""
    name = re.sub(r"__c$", "", sf_field, flags=re.IGNORECASE)
    name = _NOT_NAME.sub("_", _WORD_BREAK.sub("_", name).casefold()).strip("_")
    return name if name[:1].isalpha() else f"f_{name}"


def _drafted(fdef: Mapping[str, Any], id_field: str | None) -> bool:
    """A field the created object gets a property for: not a bookkeeping stamp, not the
    external id, not a lookup (that is an association). Read-only fields (formulas,
    ``IsWon``) are kept: the drafter gives them ``always_salesforce``."""
    name = str(fdef.get("name", ""))
    if not name or name.casefold() in SKIPPED or name == id_field:
        return False
    return fdef.get("type") not in ("reference", "id")


def planned_schema(sf_object: str, hs_object: str, describe: Mapping[str, Any]) -> dict[str, Any]:
    """The object the target would create for a spec mapping every drafted field of
    ``describe`` to :func:`property_name` (``requiredProperties`` and ``properties``)."""
    id_field = next(
        (str(f["name"]) for f in describe.get("fields", []) if f.get("externalId")), None
    )
    fields: dict[str, dict[str, str]] = {}
    for fdef in describe.get("fields", []):
        if _drafted(fdef, id_field):
            prop = property_name(str(fdef["name"]))
            if prop != ID_PROPERTY:
                fields.setdefault(prop, {"salesforce": str(fdef["name"]), "hubspot": prop})
    data = {
        "name": "planned",
        "salesforce": {"object": sf_object, "id_field": id_field or "Id"},
        "hubspot": {"object": hs_object, "id_property": ID_PROPERTY},
        "fields": [{**f, "rule": str(Rule.ALWAYS_SALESFORCE)} for f in fields.values()],
    }
    mapping = build_mapping(data, file=None, lines=LineIndex(), flt=None)
    return planned_object_schema(mapping, describe)
