"""Search semantics evaluated in Python, on one record's properties at a time.

The SQL engine (:mod:`crm_sandbox.hubspot.search`) answers from the key index what it
can; what no index covers (token filters, the ``query`` text, properties outside the
index, sorts on them) is decided here, with the same comparison rules:

* values compare by the property's type: numbers numerically, dates and datetimes as
  epoch milliseconds (a filter value may be epoch ms or ISO-8601), everything else
  case-insensitively;
* a multi-select (``checkbox``) value matches ``EQ``/``IN`` when any of its options does;
* ``NEQ`` and ``NOT_IN`` also match records without the property; range operators and
  ``EQ``/``IN`` never do.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.values import epoch_ms, parse_datetime, search_key

if TYPE_CHECKING:
    from crm_sandbox.hubspot.models import Property
    from crm_sandbox.hubspot.search_request import Filter

Props = dict[str, str]
Predicate = Callable[[int, Props], bool]
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")
_INT64 = 2**63


def filter_key(kind: str, raw: Any) -> Any:
    """The comparable form of a filter value (or a stored value) of a property of ``kind``."""
    text = str(raw).strip()
    if kind in ("date", "datetime"):
        try:
            return int(parse_datetime(text).timestamp() * 1000)
        except (ValueError, OverflowError):
            return epoch_ms(text, "date")
    if kind == "bool":
        return text.lower()
    return search_key(kind, text)


def sql_value(key: Any) -> Any:
    """A comparable key as SQLite stores it: Decimal becomes int (integral) or float."""
    if isinstance(key, Decimal):
        if key == key.to_integral_value() and -_INT64 < key < _INT64:
            return int(key)
        return float(key)
    return key


def predicate(prop: Property, spec: Filter) -> Predicate:
    """A test of one filter against a record's properties."""
    name, op, kind = prop.name, spec.op, prop.type
    multi = prop.field_type == "checkbox"

    def key(raw: Any) -> Any:
        return filter_key(kind, raw)

    if op == "HAS_PROPERTY":
        return lambda _id, p: p.get(name) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda _id, p: p.get(name) is None
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(spec.value).lower()
        negate = op == "NOT_CONTAINS_TOKEN"
        return lambda _id, p: token_match(p.get(name), pattern) != negate
    if op in ("IN", "NOT_IN"):
        wanted = {key(v) for v in spec.values}
        negate = op == "NOT_IN"

        def test_in(_id: int, p: Props) -> bool:
            v = p.get(name)
            if v is None:
                return negate
            keys = {key(part) for part in v.split(";")} if multi else {key(v)}
            return bool(keys & wanted) != negate

        return test_in
    target = key(spec.value)
    high = key(spec.high) if op == "BETWEEN" else None

    def test(_id: int, p: Props) -> bool:
        v = p.get(name)
        if v is None:
            return op == "NEQ"
        values = [key(part) for part in v.split(";")] if multi else [key(v)]
        if op == "EQ":
            return target in values
        if op == "NEQ":
            return target not in values
        current = values[0]
        if current is None or target is None:
            return False
        try:
            if op == "LT":
                return bool(current < target)
            if op == "LTE":
                return bool(current <= target)
            if op == "GT":
                return bool(current > target)
            if op == "GTE":
                return bool(current >= target)
            return high is not None and bool(target <= current <= high)
        except TypeError:
            return False

    return test


def token_match(value: str | None, pattern: str) -> bool:
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


def query_predicate(names: list[str], query: str) -> Predicate:
    """``query``: every word appears in one of ``names`` (the searchable properties) or the id."""
    words = [w for w in query.split() if w]

    def test(record_id: int, p: Props) -> bool:
        haystacks = [p.get(n, "").lower() for n in names]
        haystacks.append(str(record_id))
        return all(any(w in h for h in haystacks) for w in words)

    return test


def sort_key(kind: str, value: str | None) -> tuple[bool, Any]:
    """Sort key among present values: valid keys first, then ones of the wrong type."""
    key = search_key(kind, value) if value is not None else None
    return (key is None, key or 0)
