"""The sync policy of one object mapping, as the reconciler needs it (DESIGN §3).

The words (:class:`Rule`, :class:`Side`, ...) are :mod:`crm_sync.vocabulary`'s.

These are plain, frozen values: the mapping-spec loader (or the target, from the
mapper's SCHEMA annotations) builds a :class:`MappingPolicy` once per stream, with
:meth:`MappingPolicy.from_dict` accepting the spec's own shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side

__all__ = [
    "Conflict",
    "DeleteRule",
    "Direction",
    "FieldPolicy",
    "MappingPolicy",
    "Rule",
    "Side",
]


@dataclass(frozen=True, slots=True)
class FieldPolicy:
    """One mapped field: its name on each side, its rule and an optional value kind.

    ``kind`` is a :class:`crm_sync.convert.Kind` value (``text``, ``number``,
    ``datetime``, ``multi``, ...) when known, or None to infer how values compare
    (see :mod:`crm_sync.reconcile.normalize`).
    """

    salesforce: str
    hubspot: str
    rule: Rule = Rule.TWO_WAY
    kind: str | None = None
    conflict: Conflict | None = None
    """two_way only: this field's conflict rule; None = the mapping's."""

    def name_on(self, side: Side) -> str:
        """The field's name on ``side``."""
        return self.salesforce if side is Side.SALESFORCE else self.hubspot


@dataclass(frozen=True, slots=True)
class MappingPolicy:
    """Everything the reconciler needs to know about one object mapping."""

    name: str
    fields: tuple[FieldPolicy, ...]
    conflict: Conflict = Conflict.NEWEST
    tie: Side = Side.SALESFORCE
    create: frozenset[Side] = frozenset({Side.HUBSPOT, Side.SALESFORCE})
    """Destination sides on which records may be created."""
    delete: Mapping[Side, DeleteRule] = field(
        default_factory=lambda: dict.fromkeys(Side, DeleteRule.IGNORE)
    )
    """Per destination side: what a delete on the other side does."""
    enabled: bool = True

    def may_create(self, direction: Direction) -> bool:
        """Whether the leg may create records on its destination."""
        return direction.destination in self.create

    def delete_rule(self, direction: Direction) -> DeleteRule:
        """The delete rule of the leg."""
        return self.delete.get(direction.destination, DeleteRule.IGNORE)

    def field_named(self, side: Side, name: str) -> FieldPolicy | None:
        """The field called ``name`` on ``side``, if mapped."""
        for item in self.fields:
            if item.name_on(side) == name:
                return item
        return None

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> MappingPolicy:
        """Build from the mapping spec's shape (DESIGN §3.1).

        ``create: {to_hubspot: bool, to_salesforce: bool}``,
        ``delete: {to_hubspot: propagate|ignore, to_salesforce: ...}``,
        ``conflict``, ``tie``, ``enabled`` and
        ``fields: [{salesforce, hubspot, rule, kind, conflict}]`` (a field's ``conflict``
        overrides the mapping's).
        Unknown values raise ``ValueError`` naming the setting.
        """
        name = str(spec.get("name", ""))
        fields: list[FieldPolicy] = []
        for index, item in enumerate(_as_sequence(spec.get("fields", ()), f"{name}.fields")):
            where = f"{name}.fields[{index}]"
            fields.append(
                FieldPolicy(
                    salesforce=str(_required(item, "salesforce", where)),
                    hubspot=str(_required(item, "hubspot", where)),
                    rule=_enum(Rule, item.get("rule", Rule.TWO_WAY), f"{where}.rule"),
                    kind=item.get("kind"),
                    conflict=_enum(Conflict, item["conflict"], f"{where}.conflict")
                    if item.get("conflict")
                    else None,
                )
            )
        create_spec = spec.get("create") or {}
        create = frozenset(
            side
            for side in Side
            if bool(create_spec.get(f"to_{side.value}", True))  # HubSpot's default: both
        )
        delete_spec = spec.get("delete") or {}
        delete = {
            side: _enum(
                DeleteRule,
                delete_spec.get(f"to_{side.value}", DeleteRule.IGNORE),
                f"{name}.delete.to_{side.value}",
            )
            for side in Side
        }
        return cls(
            name=name,
            fields=tuple(fields),
            conflict=_enum(Conflict, spec.get("conflict", Conflict.NEWEST), f"{name}.conflict"),
            tie=_enum(Side, spec.get("tie", Side.SALESFORCE), f"{name}.tie"),
            create=create,
            delete=delete,
            enabled=bool(spec.get("enabled", True)),
        )


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: object, where: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"{where}: {value!r} is not one of {allowed}") from None


def _required(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item or item[key] in (None, ""):
        raise ValueError(f"{where}: missing {key!r}")
    return item[key]


def _as_sequence(value: object, where: str) -> Sequence[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list")
    return value
