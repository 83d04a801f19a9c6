"""The parsed form of a SOQL query: plain frozen dataclasses, positions kept for errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral


@dataclass(frozen=True)
class Pos:
    """1-based row and column of a token in the query text."""

    line: int
    column: int


@dataclass(frozen=True)
class FieldRef:
    """A field or a parent relationship path as written (``Account__r.Owner.Name``)."""

    parts: tuple[str, ...]
    pos: Pos

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class CountExpr:
    """``COUNT()`` (field None) or ``COUNT(field)``."""

    field: FieldRef | None
    pos: Pos


@dataclass(frozen=True)
class FieldsExpr:
    """``FIELDS(ALL)``, ``FIELDS(STANDARD)`` or ``FIELDS(CUSTOM)`` (``group`` as written)."""

    group: str
    pos: Pos


LiteralKind = TypingLiteral[
    "string", "number", "boolean", "null", "date", "datetime", "date_literal"
]


@dataclass(frozen=True)
class Literal:
    """A value in a condition. ``value`` is decoded (str, int/float, bool, None) or,
    for date literals such as ``LAST_N_DAYS:7``, the upper-cased name and ``n``."""

    kind: LiteralKind
    value: object
    text: str
    pos: Pos


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str
    """One of = != < <= > >= (``<>`` is normalised to ``!=``)."""
    value: Literal


@dataclass(frozen=True)
class Like:
    field: FieldRef
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Includes:
    """INCLUDES / EXCLUDES on a multi-select picklist; each value is ``a`` or ``a;b``."""

    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | Like | InList | Includes | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool = False
    nulls_last: bool = False
    """Salesforce sorts nulls first unless NULLS LAST is given, in both directions."""


@dataclass(frozen=True)
class Query:
    text: str
    select: tuple[FieldRef | CountExpr | FieldsExpr, ...]
    sobject: str
    sobject_pos: Pos
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
