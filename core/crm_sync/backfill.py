"""A tap reads a stream again from the start when a mapping on it now admits more.

Turning a mapping back on, adding a field or association to it, or changing its filter
makes it carry records and values that lie behind the stream's bookmark: edits made
while it was off, values of the new field. The user should not have to know about
state to get them (issue 12, item 5).

A tap given ``mappings_dir`` (the directory map-crm reads) keeps, in each stream's own
STATE entry (``mapping_scopes``), the scope of every mapping reading that stream in the
tap's direction (:func:`crm_sync.spec.scope.scope_of`). When a run finds a scope
widened (:func:`crm_sync.spec.scope.widening`), it logs one WARNING line naming the
mapping and why, and forgets that stream's bookmark: the stream, and no other, is read
from the start (or ``start_date``). The new scope is written with the first STATE, so a
backfill cut short resumes from its own last bookmark and is not started over, and any
state backend that stores the tap's STATE (meltano's, or a file in a shell pipe) works.
Records read again that are already in place cost no writes: the targets compare each
with the ledger's base.

A state written before scopes were recorded (or by a tap without ``mappings_dir``) is
taken as the baseline: its scopes are recorded, nothing is re-read.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm_sync.spec.model import Mapping as ObjectMapping
from crm_sync.spec.scope import Scope, scope_of, widening
from crm_sync.vocabulary import Direction

__all__ = ["SCOPES", "MappingScopes", "Widened", "backfill_if_widened"]

SCOPES = "mapping_scopes"
"""Key of the recorded scopes in a stream's STATE entry."""


@dataclass(frozen=True)
class Widened:
    """A mapping whose current spec admits more than the one the stream's state recorded."""

    mapping: str
    reasons: tuple[str, ...]

    def describe(self, stream: str) -> str:
        return (
            f"mapping {self.mapping}: spec widened ({'; '.join(self.reasons)}) "
            f"— backfilling {stream} from the start"
        )


class MappingScopes:
    """The scopes of the mappings that read each stream, on one leg."""

    def __init__(self, mappings: Sequence[ObjectMapping], direction: Direction) -> None:
        self.direction = direction
        self.mappings = list(mappings)

    @classmethod
    def of_leg(
        cls, mappings: Sequence[ObjectMapping] | None, direction: Direction
    ) -> MappingScopes | None:
        """The scopes of a tap given ``mappings_dir``; None without (no backfills)."""
        return None if mappings is None else cls(mappings, direction)

    def of_stream(self, stream: str) -> dict[str, Scope]:
        """``{mapping name: scope}`` of every mapping whose source is ``stream``."""
        to_hs = self.direction is Direction.SF_TO_HS
        folded = stream.casefold()
        return {
            m.name: scope_of(m, self.direction)
            for m in self.mappings
            if (m.salesforce if to_hs else m.hubspot).stream_name.casefold() == folded
        }

    def compare(self, stream: str, state: MutableMapping[str, Any]) -> list[Widened]:
        """Record ``stream``'s current scopes in its ``state``; the mappings that widened.

        Nothing widened for a stream without a bookmark (it is read from the start
        anyway) or whose state recorded no scopes yet (the baseline).
        """
        current = self.of_stream(stream)
        recorded = state.get(SCOPES)
        state[SCOPES] = current
        if not isinstance(recorded, dict) or state.get("replication_key_value") is None:
            return []
        out = []
        for name, scope in current.items():
            reasons = widening(recorded.get(name), scope)
            if reasons:
                out.append(Widened(name, tuple(reasons)))
        return out


def backfill_if_widened(
    scopes: MappingScopes | None,
    stream: str,
    state: MutableMapping[str, Any],
    logger: logging.Logger,
) -> bool:
    """Forget ``stream``'s bookmark when one of its mappings widened; True if it did.

    Call before the stream reads its starting value: every key of its STATE entry but
    the scopes goes (bookmark, boundary ids, singer-sdk's starting marker), so the
    stream reads as on its first run.
    """
    if scopes is None:
        return False
    widened = scopes.compare(stream, state)
    for item in widened:
        logger.warning("%s", item.describe(stream))
    if widened:
        for key in [k for k in state if k != SCOPES]:
            del state[key]
    return bool(widened)
