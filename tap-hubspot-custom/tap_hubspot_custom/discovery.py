"""Which object types a portal has, which the settings pick, and their properties.

Custom objects come from ``GET /crm/v3/schemas`` (the documented path; the official
client uses ``/crm-object-schemas/v3/schemas``, same reply); companies, contacts,
deals and tasks are always there. Each selected type costs one ``GET /crm/v3/properties/{ot}``,
all of them read at once (:func:`properties_of`).
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import ConfigValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

DEFAULT_OBJECTS = ("*",)
SCHEMAS_PATH = "/crm/v3/schemas"
_GLOB = set("*?[")
MAX_DISCOVERY_READS = 8
"""Properties reads of one discovery in flight at once (one per selected type)."""


@dataclass(frozen=True)
class ObjectType:
    """One HubSpot object type as the tap streams it."""

    name: str
    """Stream name: ``companies``/``contacts``/``deals``/``tasks`` or a custom object's name."""
    type_id: str
    fully_qualified_name: str
    aliases: tuple[str, ...] = ()
    custom: bool = False

    @property
    def modified_property(self) -> str:
        """The property the search API filters and sorts on (contacts keep the old one)."""
        return "lastmodifieddate" if self.type_id == "0-1" else "hs_lastmodifieddate"

    def names(self) -> tuple[str, ...]:
        return (self.name, self.type_id, self.fully_qualified_name, *self.aliases)


STANDARD = (
    ObjectType("contacts", "0-1", "contacts", ("contact",)),
    ObjectType("companies", "0-2", "companies", ("company",)),
    ObjectType("deals", "0-3", "deals", ("deal",)),
    ObjectType("tasks", "0-27", "tasks", ("task",)),
)


def object_types(get: Callable[[str, str], dict[str, Any]]) -> list[ObjectType]:
    """Standard types plus the portal's (non-archived) custom objects."""
    reply = get(SCHEMAS_PATH, "GET /crm/v3/schemas")
    custom = [
        ObjectType(
            name=str(s["name"]),
            type_id=str(s["objectTypeId"]),
            fully_qualified_name=str(s.get("fullyQualifiedName") or s["name"]),
            custom=True,
        )
        for s in reply.get("results") or []
        if not s.get("archived")
    ]
    return [*STANDARD, *sorted(custom, key=lambda o: o.name)]


def _matches(obj: ObjectType, pattern: str) -> bool:
    folded = pattern.casefold()
    return any(fnmatch.fnmatchcase(n.casefold(), folded) for n in obj.names())


def select(types: list[ObjectType], patterns: list[str]) -> list[ObjectType]:
    """The types matching any pattern; a plain name that matches nothing is an error."""
    unknown = [p for p in patterns if not set(p) & _GLOB and not any(_matches(o, p) for o in types)]
    if unknown:
        known = ", ".join(o.name for o in types)
        raise ConfigValidationError(
            f"objects: no HubSpot object type named {', '.join(unknown)} (portal has: {known})"
        )
    return [o for o in types if any(_matches(o, p) for p in patterns)]


def resolve(types: list[ObjectType], name: str, setting: str) -> ObjectType:
    """One type by name, id, fully qualified name or singular alias."""
    for obj in types:
        if name.casefold() in (n.casefold() for n in obj.names()):
            return obj
    raise ConfigValidationError(f"{setting}: no HubSpot object type named {name!r}")


def properties(get: Callable[[str, str], dict[str, Any]], obj: ObjectType) -> list[dict[str, Any]]:
    reply = get(f"/crm/v3/properties/{obj.type_id}", "GET /crm/v3/properties/{objectType}")
    return list(reply.get("results") or [])


def properties_of(
    get: Callable[[str, str], dict[str, Any]], chosen: Sequence[ObjectType]
) -> list[list[dict[str, Any]]]:
    """Each chosen type's properties, in ``chosen``'s order, read at once.

    A discovery runs twice per ``meltano run`` (meltano's ``--discover``, then the sync's own
    streams), before any record moves: one round trip for all types instead of one per type
    (at 150 ms a call, 0.6 s less per discovery of four types). ``get`` goes through the
    run's rate limiter like every call; the first failure is raised as it would have been.
    """
    if len(chosen) <= 1:
        return [properties(get, obj) for obj in chosen]
    with ThreadPoolExecutor(
        max_workers=min(MAX_DISCOVERY_READS, len(chosen)), thread_name_prefix="discovery"
    ) as pool:
        return list(pool.map(lambda obj: properties(get, obj), chosen))
