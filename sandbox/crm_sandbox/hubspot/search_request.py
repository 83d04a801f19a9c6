"""The body of ``POST /crm/v3/objects/{ot}/search``, parsed and checked.

Every malformed part answers HubSpot's 400 ``VALIDATION_ERROR`` (never a 500). The
limits are documented (5 groups, 10 filters a group, 25 in all, ``limit`` <= 200, 10,000
results); the wording of the refusals is ours (unverified).

``sorts`` items are objects ``{"propertyName", "direction"}`` or plain strings: the
current API reference types them as strings and @hubspot/api-client's TypeScript model
sends ``["name"]``. A string names the property to sort ascending; a leading ``-`` sorts
descending (unverified: no source states the string form's direction syntax).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.hubspot.errors import ValidationError

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
RESULT_CAP = 10_000
OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)


@dataclass(frozen=True)
class Filter:
    prop: str
    op: str
    value: Any = ""
    high: Any = ""
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Sort:
    prop: str
    descending: bool = False


@dataclass
class SearchRequest:
    groups: list[list[Filter]] = field(default_factory=list)
    sorts: list[Sort] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    query: str = ""
    properties: list[str] = field(default_factory=list)


def _list(body: dict[str, Any], key: str) -> list[Any]:
    raw = body.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(f"Invalid input JSON: {key} must be an array (unverified wording)")
    return raw


def _filter(raw: Any) -> Filter:
    if not isinstance(raw, dict):
        raise ValidationError("Invalid input JSON: a filter must be an object (unverified wording)")
    op = str(raw.get("operator") or "EQ").upper()
    if op not in OPERATORS:
        raise ValidationError(f"Unknown filter operator {op} (unverified wording)")
    values = raw.get("values") or []
    if not isinstance(values, list):
        raise ValidationError("Invalid input JSON: values must be an array (unverified wording)")
    return Filter(
        prop=str(raw.get("propertyName") or ""),
        op=op,
        value=raw.get("value", ""),
        high=raw.get("highValue", ""),
        values=tuple(values),
    )


def _groups(body: dict[str, Any]) -> list[list[Filter]]:
    raw_groups = _list(body, "filterGroups")
    if len(raw_groups) > MAX_GROUPS:
        raise ValidationError(
            f"Too many filter groups: {len(raw_groups)}. The maximum is {MAX_GROUPS}."
        )
    groups: list[list[Filter]] = []
    total = 0
    for group in raw_groups:
        if not isinstance(group, dict):
            raise ValidationError(
                "Invalid input JSON: a filter group must be an object (unverified wording)"
            )
        filters = _list(group, "filters")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise ValidationError(
                f"Too many filters in a filter group: {len(filters)}. The"
                f" maximum is {MAX_FILTERS_PER_GROUP}."
            )
        total += len(filters)
        groups.append([_filter(f) for f in filters])
    if total > MAX_FILTERS:
        raise ValidationError(
            f"Too many filters: {total}. The maximum is {MAX_FILTERS} across all filter groups."
        )
    return groups


def _sort(raw: Any) -> Sort:
    if isinstance(raw, str):
        name = raw.strip()
        descending = name.startswith("-")
        return Sort(name.lstrip("-") or "hs_object_id", descending)
    if isinstance(raw, dict):
        direction = str(raw.get("direction") or "ASCENDING").upper()
        if direction not in ("ASCENDING", "DESCENDING"):
            raise ValidationError(
                f"Invalid sort direction {direction}; expected ASCENDING or DESCENDING"
                " (unverified wording)"
            )
        return Sort(str(raw.get("propertyName") or "hs_object_id"), direction == "DESCENDING")
    raise ValidationError(
        "Invalid input JSON: a sort must be a property name or an object (unverified wording)"
    )


def _int(body: dict[str, Any], key: str, default: int, what: str) -> int:
    raw = body.get(key)
    if raw in (None, ""):
        return default
    if isinstance(raw, bool):
        raise ValidationError(f"{key} must be {what}, got {raw!r} (unverified wording)")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be {what}, got {raw!r} (unverified wording)") from None


def parse(body: dict[str, Any]) -> SearchRequest:
    groups = _groups(body)
    limit = _int(body, "limit", DEFAULT_LIMIT, "an integer")
    if limit < 1 or limit > MAX_LIMIT:
        # (unverified wording) HubSpot refuses limits over 200 with a 400.
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    offset = _int(body, "after", 0, "a numeric offset")
    if offset < 0:
        raise ValidationError(f"after must be a numeric offset, got {offset} (unverified wording)")
    if offset >= RESULT_CAP:
        # The real API refuses pages past its 10,000-result window with a 400; its exact
        # body is unverified (no recorded source), so this wording is ours.
        raise ValidationError(
            f"Search results are limited to {RESULT_CAP} records; after={offset} is past"
            " the last retrievable result. Narrow the filters instead of paging further."
        )
    query = body.get("query")
    properties = _list(body, "properties")
    return SearchRequest(
        groups=groups,
        sorts=[_sort(s) for s in _list(body, "sorts")],
        limit=limit,
        offset=offset,
        query=str(query or "").strip().lower(),
        properties=[str(n) for n in properties],
    )
