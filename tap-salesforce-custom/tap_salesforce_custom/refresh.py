"""What the refresh pass of a stream re-reads, and when it is due.

A mapping spec's ``refresh: {fields: [...] | formulas, every: 1d}`` (read from the
``mappings_dir`` setting: the specs stay the one place the setting is written) makes
the stream of its Salesforce object re-read those calculated fields for every record,
once per cadence, after its incremental pass. The time of the last refresh is kept in
the stream's own Singer state (``refreshed_at``, the server's clock), beside the
bookmark, so it is saved only once the target has made the refreshed records durable,
and each ``--state-id-suffix`` job keeps its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from crm_sync.spec import Direction

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from crm_sync.spec import Mapping as SpecMapping

LOGGER = logging.getLogger("tap-salesforce-custom")

REFRESHED_AT = "refreshed_at"
"""Stream state key: server time at which the last refresh pass started."""


@dataclass(frozen=True)
class RefreshPlan:
    """One stream's refresh: the fields to re-read and how often."""

    mapping: str
    fields: tuple[str, ...]
    every: timedelta
    context: tuple[str, ...] = ()
    """Fields re-read beside them so the mapper can still evaluate the mapping's filter."""

    def due_at(self, state: Mapping[str, Any]) -> datetime | None:
        """When the next refresh is due; None when there was none yet."""
        last = state.get(REFRESHED_AT)
        return datetime.fromisoformat(str(last)) + self.every if last else None


def _by_name(schema: Mapping[str, Any]) -> dict[str, str]:
    return {name.casefold(): name for name in schema.get("properties", {})}


def plan_for(
    stream: str, schema: Mapping[str, Any], mappings: Iterable[SpecMapping]
) -> RefreshPlan | None:
    """The refresh of ``stream`` (its catalog ``schema``) under the enabled mapping
    reading it, or None. Field names are taken as the describe spells them."""
    mapping = next(
        (
            m
            for m in mappings
            if m.enabled and m.salesforce.stream_name.casefold() == stream.casefold()
        ),
        None,
    )
    if mapping is None or mapping.refresh is None:
        return None
    props = schema.get("properties", {})
    names = _by_name(schema)

    def calculated(name: str) -> bool:
        return bool(props.get(names.get(name.casefold(), ""), {}).get("x-sf-calculated"))

    mapped = [f.salesforce for f in mapping.fields_for(Direction.SF_TO_HS)]
    wanted = mapping.refresh.resolve(mapped, calculated)
    missing = [n for n in wanted if n.casefold() not in names]
    if missing:
        LOGGER.warning(
            "%s: refresh of mapping %r skips %s: not a field of the stream",
            stream, mapping.name, ", ".join(missing),
        )  # fmt: skip
    fields = tuple(names[n.casefold()] for n in wanted if n.casefold() in names)
    if not fields:
        LOGGER.warning("%s: mapping %r refreshes no field of this stream", stream, mapping.name)
        return None
    flt = mapping.filter
    context = tuple(
        names[n.casefold()] for n in sorted(flt.fields if flt else ()) if n.casefold() in names
    )
    return RefreshPlan(mapping.name, fields, mapping.refresh.every, context)
