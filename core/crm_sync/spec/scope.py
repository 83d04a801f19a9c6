"""What a mapping carries on one leg, and whether a new spec carries more than an old one.

A tap's bookmark says "everything before this was read"; it does not say "and sent
on". Records read while a mapping was disabled, values of a field it did not map yet,
records its filter kept out: all lie behind the bookmark once the spec admits them.
So each leg remembers, per mapping, the parts of the spec that decide which records
and fields it carries (its *scope*, :func:`scope_of`), and :func:`widening` tells
whether the current spec admits anything the recorded one did not: then that mapping's
source stream is read again from the start (:mod:`crm_sync.backfill`).

Narrowing (a field removed, a mapping disabled, a filter added where there was none)
never asks for a re-read. Whether one SOQL condition admits more than another is
undecidable in general, so any change of a filter's text counts as widening: a
re-read of records that are in place costs API reads, never writes.
"""

from __future__ import annotations

from typing import Any

from crm_sync.spec.model import Mapping
from crm_sync.vocabulary import Direction

__all__ = ["Scope", "scope_of", "widening"]

Scope = dict[str, Any]
"""JSON-ready (it lives in the tap's STATE): ``enabled``, ``object``, ``create``,
``filter``, ``hubspot_filter``, ``fields`` (``"source>destination"``), ``associations``
(``"lookup>mapping[:label|#type_id]"``), each list sorted."""


def scope_of(mapping: Mapping, direction: Direction) -> Scope:
    """The parts of ``mapping`` that decide which records and fields ``direction`` carries."""
    to_hs = direction is Direction.SF_TO_HS
    source = mapping.salesforce if to_hs else mapping.hubspot
    fields = sorted(
        f"{f.salesforce}>{f.hubspot}" if to_hs else f"{f.hubspot}>{f.salesforce}"
        for f in mapping.fields_for(direction)
    )
    associations = sorted(
        f"{a.lookup}>{a.to}"
        + (f":{a.label}" if a.label else "")
        + (f"#{a.type_id}" if a.type_id is not None else "")
        for a in mapping.associations
    )
    return {
        "enabled": mapping.enabled,
        "object": source.stream_name,
        "create": mapping.create_to_hubspot if to_hs else mapping.create_to_salesforce,
        "filter": mapping.filter.text if mapping.filter else None,
        # The HubSpot-side filter only decides what the reverse leg sends.
        "hubspot_filter": (
            mapping.hubspot_filter.text if mapping.hubspot_filter and not to_hs else None
        ),
        "fields": fields,
        "associations": associations,
    }


def widening(old: Scope | None, new: Scope) -> list[str]:
    """Why ``new`` admits records or fields ``old`` did not (empty: it admits nothing more).

    ``old`` is ``None`` when the leg never recorded this mapping (a new mapping on a
    stream already read).
    """
    if not new.get("enabled"):
        return []  # a disabled mapping carries nothing
    if old is None:
        return ["new mapping"]
    if not old.get("enabled"):
        return ["re-enabled"]
    reasons: list[str] = []
    if old.get("object") != new.get("object"):
        reasons.append(f"object {old.get('object')} -> {new.get('object')}")
    if new.get("create") and not old.get("create"):
        reasons.append("create turned on")
    for key, label in (("filter", "filter"), ("hubspot_filter", "hubspot.filter")):
        before, after = old.get(key), new.get(key)
        if before is not None and after is None:
            reasons.append(f"{label} removed")
        elif before is not None and after != before:
            reasons.append(f"{label} changed")
    for key, label in (("fields", "field"), ("associations", "association")):
        had = set(old.get(key) or ())
        added = sorted(set(new.get(key) or ()) - had)
        if added:
            names = ", ".join(_name(item, had) for item in added)
            reasons.append(f"{label}{'s' if len(added) > 1 else ''} {names} added")
    return reasons


def _name(item: str, had: set[str]) -> str:
    """``Budget__c`` for a new source field or lookup; all of ``a>b`` when only the rest changed."""
    source = item.split(">")[0]
    return item if any(h.split(">")[0] == source for h in had) else source
