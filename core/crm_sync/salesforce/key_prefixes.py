"""Which sObject a record id belongs to: its first three characters, the key prefix.

A polymorphic lookup (``Task.WhoId``: Contact or Lead; ``Task.WhatId``: Account,
Opportunity, custom objects ...) holds ids of several objects; the key prefix tells
them apart without a query. Custom objects get an org-specific prefix, read from the
object's describe (``keyPrefix``); the standard ones are the same in every org.
"""

from __future__ import annotations

from collections.abc import Mapping

STANDARD_KEY_PREFIXES: Mapping[str, str] = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Case": "500",
    "User": "005",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
}
"""Key prefixes of standard objects (Salesforce's documented, org-independent prefixes)."""


def key_prefix(sobject: str, described: Mapping[str, str] | None = None) -> str | None:
    """The key prefix of ``sobject``: from ``described`` (casefolded name -> prefix) first."""
    found = (described or {}).get(sobject.casefold())
    if found:
        return found
    return next(
        (p for name, p in STANDARD_KEY_PREFIXES.items() if name.casefold() == sobject.casefold()),
        None,
    )


def sobject_of(record_id: str, described: Mapping[str, str] | None = None) -> str | None:
    """The sObject whose key prefix starts ``record_id``, when known (``described`` maps
    casefolded names to prefixes, as for :func:`key_prefix`; a custom object's name comes
    back casefolded)."""
    prefix = record_id[:3]
    found = [n for n, p in STANDARD_KEY_PREFIXES.items() if p == prefix]
    found += [n for n, p in (described or {}).items() if p == prefix]
    return found[0] if found else None
