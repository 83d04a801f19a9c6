"""A parsed search request compiled to SQL over ``records`` (alias ``r``) and the key index.

Each filter becomes one condition:

* on ``hs_object_id``: a comparison of ``r.id`` itself;
* on an indexed property (:mod:`crm_sandbox.hubspot.keys`): membership in a range of
  ``record_keys`` (``r.id IN (SELECT record_id …)``), negated for NEQ / NOT_IN /
  NOT_HAS_PROPERTY, which also match records without the property;
* anything else (token filters, unindexed properties, the ``query`` text): a call of the
  ``hs_check`` SQL function, which runs the Python test of
  :mod:`crm_sandbox.hubspot.search_eval` on the row — correct everywhere, fast where
  the indexed conditions already narrowed the rows.

Groups are OR-ed, a group's conditions AND-ed. :mod:`crm_sandbox.hubspot.search` chooses
how to order, count and page the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_sandbox.core import jsontext
from crm_sandbox.hubspot.counts import Bound
from crm_sandbox.hubspot.errors import ValidationError
from crm_sandbox.hubspot.search_eval import (
    Predicate,
    filter_key,
    predicate,
    query_predicate,
    sql_value,
)

if TYPE_CHECKING:
    from crm_sandbox.hubspot.keys import IndexedSet
    from crm_sandbox.hubspot.models import ObjectType, Property
    from crm_sandbox.hubspot.search_request import Filter, SearchRequest

_COMPARE = {"EQ": "=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
_NEGATED = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_HAS_PROPERTY": "HAS_PROPERTY"}
_TOKENS = ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")
TRUE, FALSE = "1", "0"
KEY_RANGE = "SELECT record_id FROM record_keys WHERE object_type_id = ? AND prop = ?"


@dataclass
class Cond:
    sql: str
    params: list[Any] = field(default_factory=list)
    on: str | None = None
    """The indexed property whose key range this (positive) condition is, if any."""
    key_sql: str = ""
    """The same condition on the key column ``s.key`` (for a walk of that property)."""
    key_params: list[Any] = field(default_factory=list)
    bounds: tuple[Bound | None, Bound | None] | None = None
    """The same condition as one key interval (not for IN)."""
    on_id: bool = False
    """A comparison of ``r.id`` (``hs_object_id``)."""


def json_path(name: str) -> str:
    """The JSON path of a property in the ``props`` column."""
    return "$." + json.dumps(name)


def _bounds(op: str, spec: Filter, kind: str) -> tuple[Bound | None, Bound | None] | None:
    """A positive operator as one key interval; None for IN (several points)."""
    if op == "HAS_PROPERTY":
        return None, None
    if op == "IN":
        return None
    low = sql_value(filter_key(kind, spec.value))
    if op == "BETWEEN":
        return Bound(low, True), Bound(sql_value(filter_key(kind, spec.high)), True)
    return {
        "EQ": (Bound(low, True), Bound(low, True)),
        "LT": (None, Bound(low, False)),
        "LTE": (None, Bound(low, True)),
        "GT": (Bound(low, False), None),
        "GTE": (Bound(low, True), None),
    }[op]


def _key_condition(op: str, spec: Filter, kind: str, col: str) -> tuple[str, list[Any]]:
    """A positive operator on a key column, or the constant TRUE / FALSE."""

    def key(raw: Any) -> Any:
        return sql_value(filter_key(kind, raw))

    if op == "HAS_PROPERTY":
        return TRUE, []
    if op == "IN":
        keys = list(dict.fromkeys(k for k in map(key, spec.values) if k is not None))
        if not keys:
            return FALSE, []
        return f"{col} IN ({','.join('?' * len(keys))})", keys
    low = key(spec.value)
    if low is None:
        return FALSE, []
    if op == "BETWEEN":
        high = key(spec.high)
        return (FALSE, []) if high is None else (f"{col} BETWEEN ? AND ?", [low, high])
    return f"{col} {_COMPARE[op]} ?", [low]


class Compiled:
    """The conditions of one request; ``check`` is the ``hs_check`` SQL function."""

    def __init__(
        self,
        ot: ObjectType,
        live: dict[str, Property],
        index: IndexedSet,
        request: SearchRequest,
    ) -> None:
        self.ot = ot
        self.live = live
        self.index = index
        self.checks: list[Predicate] = []
        self.groups = [[self._condition(f) for f in group] for group in request.groups]
        self.query: Cond | None = None
        if request.query:
            names = [n for n in ot.searchable_properties if n in live] or ["hs_object_id"]
            self.query = self._residual(query_predicate(names, request.query))
        self._last: tuple[str, dict[str, str]] = ("", {})

    # -- the SQL function -----------------------------------------------------------------
    def check(self, number: int, record_id: int, props: str) -> int:
        if props is not self._last[0] and props != self._last[0]:
            self._last = (props, jsontext.loads(props))
        return int(self.checks[number](record_id, self._last[1]))

    # -- conditions -------------------------------------------------------------------------
    def _residual(self, test: Predicate) -> Cond:
        self.checks.append(test)
        return Cond(f"hs_check({len(self.checks) - 1}, r.id, r.props)")

    def _value_residual(self, name: str, test: Predicate) -> Cond:
        """A test of one property: SQLite extracts its value, Python sees only that."""
        self.checks.append(
            lambda record_id, value: test(record_id, {} if value is None else {name: value})
        )
        number = len(self.checks) - 1
        return Cond(f"hs_value_check({number}, r.id, json_extract(r.props, ?))", [json_path(name)])

    def value_check(self, number: int, record_id: int, value: str | None) -> int:
        """The ``hs_value_check`` SQL function (None: the record has no such value)."""
        return int(self.checks[number](record_id, value))  # type: ignore[arg-type]

    def _condition(self, spec: Filter) -> Cond:
        prop = self.live.get(spec.prop)
        if prop is None:
            raise ValidationError(
                f"There was a problem with the request: property {spec.prop} does not exist"
                f" on {self.ot.object_type_id} (unverified wording)"
            )
        indexed = spec.prop == "hs_object_id" or spec.prop in self.index.props
        if spec.op in _TOKENS or not indexed:
            return self._value_residual(spec.prop, predicate(prop, spec))
        negated = spec.op in _NEGATED
        op = _NEGATED.get(spec.op, spec.op)
        if spec.prop == "hs_object_id":
            sql, params = _key_condition(op, spec, prop.type, "r.id")
            if negated:
                sql = {TRUE: FALSE, FALSE: TRUE}.get(sql, f"NOT ({sql})")
            return Cond(sql, params, on_id=True)
        sql, params = _key_condition(op, spec, prop.type, "key")
        if sql == FALSE:
            return Cond(TRUE if negated else FALSE)
        where = "" if sql == TRUE else f" AND {sql}"
        member = f"r.id {'NOT IN' if negated else 'IN'} ({KEY_RANGE}{where})"
        cond = Cond(member, [self.ot.object_type_id, spec.prop, *params])
        if not negated:
            cond.on = spec.prop
            cond.key_sql, cond.key_params = _key_condition(op, spec, prop.type, "s.key")
            cond.bounds = _bounds(op, spec, prop.type)
        return cond

    # -- assembling ---------------------------------------------------------------------------
    def where(self, walked: str | None = None) -> tuple[str, list[Any]]:
        """Conditions over ``r`` (besides type and liveness); with ``walked``, the ones on
        that property's keys are left out for the caller to put on ``s.key`` (one group)."""
        parts: list[str] = []
        params: list[Any] = []
        groups = self.groups
        if groups:
            rendered = []
            for group in groups:
                conds = [c for c in group if walked is None or c.on != walked]
                # With a key range in the group, the rows come from it: "+r.id" keeps
                # SQLite from walking the id range of the whole type instead.
                keyed = any(c.on is not None for c in conds)
                sql = (
                    " AND ".join(
                        f"({c.sql.replace('r.id', '+r.id') if keyed and c.on_id else c.sql})"
                        for c in conds
                    )
                    or TRUE
                )
                rendered.append(sql)
                for c in conds:
                    params.extend(c.params)
            if TRUE not in rendered:  # one group without conditions matches everything
                parts.append("(" + " OR ".join(f"({g})" for g in rendered) + ")")
        if self.query is not None:
            parts.append(self.query.sql)
        return " AND ".join(parts) or TRUE, params

    def walk_conditions(self, prop: str) -> tuple[str, list[Any]] | None:
        """With one group: its conditions on ``prop``'s keys as ``s.key`` conditions."""
        if len(self.groups) > 1:
            return None
        conds = [c for c in (self.groups[0] if self.groups else []) if c.on == prop]
        sql = " AND ".join(c.key_sql for c in conds) or TRUE
        return sql, [p for c in conds for p in c.key_params]

    def only_key_range(self) -> tuple[str, Bound | None, Bound | None] | None:
        """One group whose every condition is an interval of one property's keys, and no
        query: the count is that interval's, on the index alone."""
        if self.query is not None or len(self.groups) != 1 or not self.groups[0]:
            return None
        conds = self.groups[0]
        props = {c.on for c in conds}
        if len(props) != 1 or None in props or any(c.bounds is None for c in conds):
            return None
        low: Bound | None = None
        high: Bound | None = None
        for c in conds:
            lo, hi = c.bounds or (None, None)
            if lo is not None and (
                low is None or lo.key > low.key or (lo.key == low.key and not lo.inclusive)
            ):
                low = lo
            if hi is not None and (
                high is None or hi.key < high.key or (hi.key == high.key and not hi.inclusive)
            ):
                high = hi
        return str(next(iter(props))), low, high
