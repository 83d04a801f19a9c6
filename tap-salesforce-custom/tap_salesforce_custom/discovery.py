"""Discovery: describe-global, pick objects by name/glob, describe 25 per call.

One ``GET /sobjects`` plus ``ceil(n / 25)`` ``POST /composite/batch`` calls (the core
client's :meth:`~crm_sync.salesforce.SalesforceClient.describe`) describe ``n`` objects;
an org with hundreds of objects costs a handful of calls when the ``objects`` setting
narrows the list.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from crm_sync.salesforce import SalesforceClient

DEFAULT_OBJECTS = (
    "Account", "Contact", "Opportunity", "Campaign", "CampaignMember", "Case", "Product2",
    "User", "*__c",
)  # fmt: skip
# Objects no extractor can read incrementally with query/queryAll.
_NEVER = ("*ChangeEvent", "*__e", "*__x", "*__mdt")


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive name or glob match (Salesforce names are case-insensitive)."""
    lower = name.lower()
    return any(fnmatch.fnmatchcase(lower, p.lower()) for p in patterns)


def select_objects(sobjects: Sequence[dict[str, Any]], patterns: Sequence[str]) -> list[str]:
    """Queryable objects matching ``patterns``, in describe-global order.

    Plain names (no glob characters) that match no queryable object are an error, so
    a typo in ``objects`` is not silently a stream less.
    """
    chosen: list[str] = []
    for entry in sobjects:
        name = str(entry["name"])
        if not entry.get("queryable", True) or not matches(name, patterns):
            continue
        if matches(name, _NEVER) and not any(p.lower() == name.lower() for p in patterns):
            continue
        chosen.append(name)
    lowered = {c.lower() for c in chosen}
    missing = [p for p in patterns if not any(ch in p for ch in "*?[") and p.lower() not in lowered]
    if missing:
        known = {str(e["name"]).lower(): e for e in sobjects}
        details = [
            f"{p} ({'not queryable' if p.lower() in known else 'no such object'})" for p in missing
        ]
        raise ValueError(f"objects setting names unknown objects: {', '.join(details)}")
    return chosen


def describe_global(client: SalesforceClient) -> list[dict[str, Any]]:
    return client.describe_global()


def describe_objects(client: SalesforceClient, names: Sequence[str]) -> list[dict[str, Any]]:
    """Describe ``names`` (25 per ``/composite/batch`` call), in order."""
    found = client.describe(names)
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"objects vanished between describe calls: {', '.join(missing)}")
    return [found[n] for n in names]
