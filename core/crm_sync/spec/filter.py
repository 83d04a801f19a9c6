"""Selective-sync filters: a SOQL WHERE condition evaluated on one record.

The mapper evaluates the filter itself rather than pushing it into the tap's query,
so any Salesforce tap works unchanged and the same condition applies on the reverse
leg (to the Salesforce-shaped record the mapper builds from a HubSpot record).

Supported: ``= != <> < > <= >=``, ``LIKE`` (``%`` and ``_``), ``IN``/``NOT IN``,
``INCLUDES``/``EXCLUDES`` (multi-picklists), ``AND``/``OR``/``NOT``, parentheses,
string/number/boolean/``null``/date/datetime literals. Semantics follow SOQL: field
names and text comparisons are case-insensitive, ``x != 'a'`` is true when ``x`` is
null, ordering comparisons with null are false. Date functions (``LAST_N_DAYS:n``,
``TODAY``) and sub-queries are not supported and are reported at load time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import LarkError, UnexpectedInput

from crm_sync.convert.values import (
    ConversionError,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_multi,
)

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]


class FilterError(ValueError):
    """A filter that does not parse; ``column`` is 1-based within the condition."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class _Literal:
    kind: str  # text, number, bool, null, date, datetime
    value: Any


@cache
def _parser() -> Lark:
    grammar = resources.files("crm_sync.spec").joinpath("soql.lark").read_text()
    return Lark(grammar, parser="lalr", maybe_placeholders=False)


def _lookup(record: Record, path: str) -> Any:
    if type(record) is dict and path in record and "." not in path:
        return record[path]  # the common case, once per record: without the walk below
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        if part in value:
            value = value[part]
            continue
        folded = part.casefold()
        value = next((v for k, v in value.items() if str(k).casefold() == folded), None)
    return value


def _coerce(value: Any, literal: _Literal) -> Any:
    """The record value in the literal's type; ``None`` when blank or unreadable."""
    try:
        match literal.kind:
            case "number":
                return parse_decimal(value)
            case "bool":
                return parse_bool(value)
            case "date":
                return parse_date(value)
            case "datetime":
                return parse_datetime(value)
            case _:
                return None if value is None or value == "" else str(value).casefold()
    except ConversionError:
        return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if right is None or left is None:
        if op == "=":
            return left is None and right is None
        if op in {"!=", "<>"}:
            return (left is None) != (right is None)
        return False
    match op:
        case "=":
            return left == right
        case "!=" | "<>":
            return left != right
        case "<":
            return left < right
        case ">":
            return left > right
        case "<=":
            return left <= right
        case _:
            return left >= right


def _literal_value(literal: _Literal) -> Any:
    return literal.value.casefold() if literal.kind == "text" else literal.value


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), token[1:-1])


class _Compile(Transformer[Token, Predicate]):
    """Turns the parse tree into a predicate, collecting the field names it reads."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: set[str] = set()

    def _field(self, token: Token) -> str:
        self.fields.add(str(token))
        return str(token)

    def value(self, children: list[Token]) -> _Literal:
        token = children[0]
        match token.type:
            case "STRING":
                return _Literal("text", _unquote(str(token)))
            case "NUMBER":
                return _Literal("number", Decimal(str(token)))
            case "TRUE" | "FALSE":
                return _Literal("bool", token.type == "TRUE")
            case "NULL":
                return _Literal("null", None)
            case "DATE":
                return _Literal("date", parse_date(str(token)))
            case _:
                return _Literal("datetime", parse_datetime(str(token)))

    def compare(self, children: list[Any]) -> Predicate:
        name, op, literal = self._field(children[0]), str(children[1]), children[2]
        right = _literal_value(literal)
        if literal.kind == "null":
            return lambda r: _compare(op, _lookup(r, name), None)
        return lambda r: _compare(op, _coerce(_lookup(r, name), literal), right)

    def like(self, children: list[Any]) -> Predicate:
        name, pattern = self._field(children[0]), _like_regex(_unquote(str(children[2])))
        return lambda r: (v := _lookup(r, name)) is not None and bool(pattern.fullmatch(str(v)))

    def _members(self, children: list[Any]) -> tuple[str, list[_Literal]]:
        literals = [c for c in children[1:] if isinstance(c, _Literal)]
        return self._field(children[0]), literals

    def in_(self, children: list[Any]) -> Predicate:
        name, literals = self._members(children)
        return lambda r: (
            any(
                _compare("=", _coerce(_lookup(r, name), lit), _literal_value(lit))
                for lit in literals
                if lit.kind != "null"
            )
            or (any(lit.kind == "null" for lit in literals) and _lookup(r, name) is None)
        )

    def not_in(self, children: list[Any]) -> Predicate:
        inside = self.in_(children)
        return lambda r: not inside(r)

    def _sets(self, children: list[Any]) -> tuple[str, list[set[str]]]:
        groups = [
            {item.casefold() for item in parse_multi(_unquote(str(token))) or ()}
            for token in children[2:]
        ]
        return self._field(children[0]), groups

    def includes(self, children: list[Any]) -> Predicate:
        name, groups = self._sets(children)

        def check(record: Record) -> bool:
            have = {item.casefold() for item in parse_multi(_lookup(record, name)) or ()}
            return any(group <= have for group in groups)

        return check

    def excludes(self, children: list[Any]) -> Predicate:
        inside = self.includes(children)
        return lambda r: not inside(r)

    def negate(self, children: list[Any]) -> Predicate:
        inner = children[-1]
        return lambda r: not inner(r)

    def and_expr(self, children: list[Any]) -> Predicate:
        parts = [c for c in children if callable(c)]
        return lambda r: all(part(r) for part in parts)

    def or_expr(self, children: list[Any]) -> Predicate:
        parts = [c for c in children if callable(c)]
        return lambda r: any(part(r) for part in parts)


@dataclass(frozen=True)
class Filter:
    """A compiled selective-sync condition."""

    text: str
    fields: frozenset[str]
    _predicate: Predicate

    def matches(self, record: Record) -> bool:
        return self._predicate(record)


def compile_filter(text: str) -> Filter:
    """Parse and compile a SOQL condition; raises ``FilterError`` naming the column."""
    try:
        tree: Tree[Token] = _parser().parse(text)
    except UnexpectedInput as exc:
        snippet = exc.get_context(text).splitlines()[0].strip()
        raise FilterError(
            f"cannot parse filter at column {exc.column}: {snippet!r}", exc.column
        ) from exc
    except LarkError as exc:  # pragma: no cover - lark raises UnexpectedInput subclasses
        raise FilterError(f"cannot parse filter: {exc}") from exc
    compiler = _Compile()
    predicate = compiler.transform(tree)
    return Filter(text, frozenset(compiler.fields), predicate)
