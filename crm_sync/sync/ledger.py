"""The ledger operations a target needs, as one small protocol.

:class:`SyncLedger` is what :mod:`crm_sync.sync` and the targets call; :func:`open_ledger`
returns the shared core's ledger (:mod:`crm_sync.ledger`) adapted to it, so a change in
the ledger's own API touches one adapter, not every target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from crm_sync.reconcile import Base, Direction, LedgerState, RunReport
from crm_sync.sync.batch import BatchWrite


@dataclass(frozen=True, slots=True)
class AssociationRef:
    """A lookup to make into a HubSpot association, keyed by the two source ids."""

    mapping: str
    source_id: str
    to_mapping: str
    to_source_id: str
    spec: str
    """The association spec's key (lookup field) in its mapping."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the destination refused, waiting for the next run."""

    source_id: str
    payload: Mapping[str, Any]
    error: str
    attempts: int


class SyncLedger(Protocol):
    """What a target reads from and writes to the sync ledger."""

    def load(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, LedgerState]: ...

    def destination_ids(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, str]: ...

    def commit(
        self,
        mapping: str,
        direction: Direction,
        write: BatchWrite,
        bases: Mapping[str, Base] | None = None,
        pending: Sequence[AssociationRef] = (),
        made: Sequence[AssociationRef] = (),
    ) -> None:
        """Store a written batch in one transaction (ids, bases, tombstones, dead letters)."""
        ...

    def dead_letters(self, mapping: str, direction: Direction) -> list[DeadLetter]: ...

    def pending_associations(self, mapping: str) -> list[AssociationRef]: ...

    def log_run(self, report: RunReport) -> None: ...


def open_ledger(url: str) -> SyncLedger:
    """The shared ledger at ``url`` (SQLite file or any SQLAlchemy URL), adapted."""
    from crm_sync.sync.ledger_adapter import LedgerAdapter

    return LedgerAdapter(url)
