"""The CRM search engine (``POST /crm/v3/objects/{ot}/search``).

filterGroups are OR-ed, the filters of a group AND-ed; values are compared by the
property's type (numbers numerically, dates and datetimes as epoch milliseconds,
strings case-insensitively). Paging is a numeric offset capped at 10,000 results.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.errors import ValidationError
from crm_sandbox.hubspot.values import epoch_ms, parse_datetime, search_key

if TYPE_CHECKING:
    from crm_sandbox.hubspot.models import ObjectType, Property
    from crm_sandbox.hubspot.properties import Properties
    from crm_sandbox.hubspot.records import Record, Records

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
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")


@dataclass
class SearchPage:
    total: int
    records: list[Record]
    names: list[str]
    next_after: int | None


class Search:
    def __init__(self, records: Records, props: Properties) -> None:
        self.records = records
        self.props = props

    def run(self, ot: ObjectType, body: dict[str, Any]) -> SearchPage:
        groups = body.get("filterGroups") or []
        self._check_limits(groups)
        limit = body.get("limit")
        limit = DEFAULT_LIMIT if limit in (None, "") else int(limit)
        if limit < 1 or limit > MAX_LIMIT:
            # (unverified wording) HubSpot refuses limits over 200 with a 400.
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        try:
            offset = int(body.get("after") or 0)
        except (TypeError, ValueError):
            raise ValidationError(
                f"after must be a numeric offset, got {body['after']!r} (unverified wording)"
            ) from None
        if offset >= RESULT_CAP:
            # The real API refuses pages past its 10,000-result window with a 400; its exact
            # body is unverified (no recorded source), so this wording is ours.
            raise ValidationError(
                f"Search results are limited to {RESULT_CAP} records; after={offset} is past"
                " the last retrievable result. Narrow the filters instead of paging further."
            )
        live = self.props.live(ot)
        compiled = [[self._compile(ot, live, f) for f in g.get("filters") or []] for g in groups]
        query = str(body.get("query") or "").strip().lower()
        searchable = [n for n in ot.searchable_properties if n in live] or ["hs_object_id"]
        matched = []
        for record in self.records.all_live(ot):
            if compiled and not any(all(test(record) for test in g) for g in compiled):
                continue
            if query and not _query_match(record, searchable, query):
                continue
            matched.append(record)
        for sort in reversed(body.get("sorts") or []):
            matched = self._sorted(matched, live, sort)
        end = min(offset + limit, RESULT_CAP, len(matched))
        page = matched[offset:end]
        next_after = end if end < min(len(matched), RESULT_CAP) else None
        requested = body.get("properties") or []
        names = [str(n) for n in requested] if requested else list(ot.default_properties)
        return SearchPage(len(matched), page, names, next_after)

    def _check_limits(self, groups: list[dict[str, Any]]) -> None:
        # (unverified wording) of the three limit errors; the limits are documented.
        if len(groups) > MAX_GROUPS:
            raise ValidationError(
                f"Too many filter groups: {len(groups)}. The maximum is {MAX_GROUPS}."
            )
        total = 0
        for group in groups:
            count = len(group.get("filters") or [])
            if count > MAX_FILTERS_PER_GROUP:
                raise ValidationError(
                    f"Too many filters in a filter group: {count}. The"
                    f" maximum is {MAX_FILTERS_PER_GROUP}."
                )
            total += count
        if total > MAX_FILTERS:
            raise ValidationError(
                f"Too many filters: {total}. The maximum is {MAX_FILTERS} across all filter groups."
            )

    def _compile(self, ot: ObjectType, live: dict[str, Property], spec: dict[str, Any]) -> Any:
        name = str(spec.get("propertyName") or "")
        op = str(spec.get("operator") or "EQ").upper()
        if op not in OPERATORS:
            raise ValidationError(f"Unknown filter operator {op} (unverified wording)")
        prop = live.get(name)
        if prop is None:
            raise ValidationError(
                f"There was a problem with the request: property {name} does not exist on"
                f" {ot.object_type_id} (unverified wording)"
            )
        kind, multi = prop.type, prop.field_type == "checkbox"

        def key(raw: Any) -> Any:
            text = str(raw).strip()
            if kind in ("date", "datetime"):
                try:
                    return int(parse_datetime(text).timestamp() * 1000)
                except ValueError:
                    return epoch_ms(text, "date")
            if kind == "bool":
                return text.lower()
            return search_key(kind, text)

        def value_of(record: Record) -> str | None:
            return record.props.get(name)

        if op == "HAS_PROPERTY":
            return lambda r: value_of(r) is not None
        if op == "NOT_HAS_PROPERTY":
            return lambda r: value_of(r) is None
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = str(spec.get("value", "")).lower()
            negate = op == "NOT_CONTAINS_TOKEN"
            return lambda r: _token_match(value_of(r), pattern) != negate
        if op in ("IN", "NOT_IN"):
            wanted = {key(v) for v in spec.get("values") or []}
            negate = op == "NOT_IN"

            def test_in(r: Record) -> bool:
                v = value_of(r)
                if v is None:
                    return negate
                keys = {key(p) for p in v.split(";")} if multi else {key(v)}
                return bool(keys & wanted) != negate

            return test_in
        target = key(spec.get("value", ""))
        high = key(spec.get("highValue", "")) if op == "BETWEEN" else None

        def test(r: Record) -> bool:
            v = value_of(r)
            if v is None:
                return op == "NEQ"
            values = [key(p) for p in v.split(";")] if multi else [key(v)]
            if op == "EQ":
                return target in values
            if op == "NEQ":
                return target not in values
            try:
                current = values[0]
                if current is None or target is None:
                    return False
                if op == "LT":
                    return current < target
                if op == "LTE":
                    return current <= target
                if op == "GT":
                    return current > target
                if op == "GTE":
                    return current >= target
                return high is not None and target <= current <= high
            except TypeError:
                return False

        return test

    def _sorted(
        self, records: list[Record], live: dict[str, Property], sort: dict[str, Any]
    ) -> list[Record]:
        name = str(sort.get("propertyName") or "hs_object_id")
        prop = live.get(name)
        kind = prop.type if prop else "string"
        descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
        present = [r for r in records if r.props.get(name) is not None]
        absent = [r for r in records if r.props.get(name) is None]
        present.sort(
            key=lambda r: (
                search_key(kind, r.props[name]) is None,
                search_key(kind, r.props[name]) or 0,
            ),
            reverse=descending,
        )
        return present + absent


def _token_match(value: str | None, pattern: str) -> bool:
    if value is None:
        return False
    text = value.lower()
    if fnmatch.fnmatchcase(text, pattern):
        return True
    tokens = [t for t in _TOKEN_SPLIT.split(text) if t]
    parts = [p for p in _TOKEN_SPLIT.split(pattern.replace("*", "a")) if p]
    if "*" not in pattern and len(parts) > 1:
        return " ".join(parts) in " ".join(tokens)
    return any(fnmatch.fnmatchcase(t, pattern) for t in tokens)


def _query_match(record: Record, names: list[str], query: str) -> bool:
    words = [w for w in query.split() if w]
    haystacks = [record.props.get(n, "").lower() for n in names]
    haystacks.append(str(record.id))
    return all(any(w in h for h in haystacks) for w in words)
