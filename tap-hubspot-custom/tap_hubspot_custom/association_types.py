"""Which object types' associations each stream reads, and which its mappings need.

Each associated type costs one v4 batch read per page of records of the stream, so a stream
reads only the types the settings name for it: ``associations_by_object`` per stream,
else ``include_associations`` for every stream. With ``mappings_dir`` set, a type some
reverse-leg mapping's association needs but the settings leave out is logged (the mapper
then leaves that lookup alone rather than clearing it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_hubspot_custom import discovery

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from crm_sync.spec.model import Mapping as ObjectMapping
    from tap_hubspot_custom.discovery import ObjectType

INCLUDE = "include_associations"
BY_OBJECT = "associations_by_object"


def read_plan(
    types: list[ObjectType], chosen: list[ObjectType], config: Mapping[str, Any]
) -> dict[str, list[ObjectType]]:
    """``{stream name: [associated type, ...]}`` for every chosen stream.

    Raises:
        ConfigValidationError: a setting names an object type the portal lacks.
    """
    default = [discovery.resolve(types, n, INCLUDE) for n in config.get(INCLUDE) or []]
    per_object: dict[str, list[ObjectType]] = {}
    for key, names in (config.get(BY_OBJECT) or {}).items():
        obj = discovery.resolve(types, str(key), BY_OBJECT)
        per_object[obj.name] = [discovery.resolve(types, str(n), BY_OBJECT) for n in names or []]
    return {obj.name: per_object.get(obj.name, default) for obj in chosen}


def needed_by_mappings(mappings: Sequence[ObjectMapping]) -> dict[str, dict[str, str]]:
    """``{HubSpot stream: {associated HubSpot object: "mapping lookup -> mapping"}}``: what
    the enabled mappings' associations read on the reverse leg."""
    by_name = {m.name: m for m in mappings}
    needed: dict[str, dict[str, str]] = {}
    for mapping in mappings:
        if not mapping.enabled:
            continue
        for rule in mapping.associations:
            other = by_name.get(rule.to)
            if other is None or not other.enabled:
                continue
            why = f"{mapping.name} {rule.lookup} -> {other.name}"
            needed.setdefault(mapping.hubspot.stream_name, {}).setdefault(other.hubspot.object, why)
    return needed


def missing(
    types: list[ObjectType],
    plan: Mapping[str, list[ObjectType]],
    mappings: Sequence[ObjectMapping],
) -> list[str]:
    """One line per association a mapping needs that ``plan`` does not read (streams the
    tap does not read are not its concern)."""
    out = []
    for stream, wanted in needed_by_mappings(mappings).items():
        read = next((v for k, v in plan.items() if k.casefold() == stream.casefold()), None)
        if read is None:
            continue
        read_names = {n.casefold() for obj in read for n in obj.names()}
        for other, why in wanted.items():
            if other.casefold() not in read_names:
                out.append(
                    f"{stream}: associations to {other} are not read ({why} needs them; "
                    f"add {other!r} to {BY_OBJECT}[{stream!r}] or {INCLUDE})"
                )
    return out
