"""Discovery: describe-global, pick objects by name/glob, describe 25 per call.

One ``GET /sobjects`` plus ``ceil(n / 25)`` ``POST /composite/batch`` calls describe
``n`` objects; an org with hundreds of objects costs a handful of calls when the
``objects`` setting narrows the list.
"""

from __future__ import annotations

import fnmatch
import logging
from typing import TYPE_CHECKING, Any

from tap_salesforce_custom.client import SalesforceAPIError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tap_salesforce_custom.client import SalesforceClient

LOGGER = logging.getLogger("tap-salesforce-custom")
BATCH_LIMIT = 25  # subrequests per /composite/batch call
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
    return list(client.get_json("sobjects", route="describeGlobal")["sobjects"])


def describe_objects(client: SalesforceClient, names: Sequence[str]) -> list[dict[str, Any]]:
    """Describe ``names`` through ``/composite/batch`` (25 per call), in order."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(names), BATCH_LIMIT):
        chunk = names[start : start + BATCH_LIMIT]
        if len(chunk) == 1:
            results.append(_describe_one(client, chunk[0]))
            continue
        try:
            reply = client.post_json(
                "composite/batch",
                {
                    "haltOnError": False,
                    "batchRequests": [
                        {"method": "GET", "url": f"{client.data_path}/sobjects/{n}/describe"}
                        for n in chunk
                    ],
                },
                route="composite/batch",
            )
        except SalesforceAPIError as exc:
            if exc.status != 404:
                raise
            LOGGER.info("composite/batch unavailable (%s); describing one by one", exc)
            results.extend(_describe_one(client, n) for n in chunk)
            continue
        for name, sub in zip(chunk, reply["results"], strict=True):
            status = int(sub.get("statusCode", 0))
            if status != 200:
                body = sub.get("result")
                LOGGER.warning("describe %s failed with HTTP %s: %s; retrying alone",
                               name, status, body)  # fmt: skip
                results.append(_describe_one(client, name))
            else:
                results.append(sub["result"])
    return results


def _describe_one(client: SalesforceClient, name: str) -> dict[str, Any]:
    return dict(client.get_json(f"sobjects/{name}/describe", route="describe"))
