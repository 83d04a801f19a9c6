"""The ledger operations a target needs, on the shared ledger (:mod:`crm_sync.ledger`).

:class:`SyncLedger` is the small protocol :mod:`crm_sync.sync` and the targets call;
:func:`open_ledger` returns a :class:`SyncLedgerStore`: the real
:class:`~crm_sync.ledger.LedgerStore` (every one of its methods is there too: ``batch``,
``lookup``, ``runs``, ...) plus the batch-level calls of the protocol, which map onto
one ``with store.batch() as uow`` each. It also keeps the ``mapping_object`` table
(:mod:`crm_sync.sync.objects`), so a target knows the object of a related mapping
whose stream is not part of the run.

:meth:`SyncLedger.load` returns plain ``{source_id: LedgerState}`` (ids the ledger
knows nothing about are absent); use :meth:`crm_sync.ledger.LedgerStore.load` for the
:class:`~crm_sync.ledger.LedgerView` itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from crm_sync.ledger import LedgerStore, PendingAssociation, RunLogEntry
from crm_sync.reconcile import Base, LedgerState, RecordPlan, RunReport
from crm_sync.sync.batch import BatchWrite
from crm_sync.sync.objects import MappedObject, MappingObjects
from crm_sync.vocabulary import Direction, Side


@dataclass(frozen=True, slots=True)
class AssociationRef:
    """A lookup to make into an association, keyed by the two source ids."""

    mapping: str
    source_id: str
    to_mapping: str
    to_source_id: str
    spec: str
    """The association spec's key in its mapping: a lookup field name, or a JSON object
    with ``lookup`` and more (label, type id), as :mod:`crm_sync.sync.annotations` makes."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the destination refused, waiting for the next run."""

    source_id: str
    payload: Mapping[str, Any]
    error: str
    """``"<error code>: <message>"``."""
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

    def pending_associations(
        self, mapping: str, direction: Direction = Direction.SF_TO_HS
    ) -> list[AssociationRef]:
        """Parked associations/lookups of one leg of a mapping (as committed with it)."""
        ...

    def log_run(self, report: RunReport) -> None: ...


def _lookup_of(spec: str) -> str:
    """The lookup field of an association spec key (plain name or JSON object)."""
    if spec.startswith("{"):
        try:
            return str(json.loads(spec)["lookup"])
        except (ValueError, KeyError, TypeError):
            return spec
    return spec


def _split_error(error: str) -> tuple[str, str]:
    """``"CODE: message"`` → (code, message); a bare text is its own message."""
    code, sep, message = error.partition(": ")
    if sep and code and " " not in code and len(code) <= 128:
        return code, message
    return "ERROR", error


class SyncLedgerStore(LedgerStore):
    """The shared ledger store with the :class:`SyncLedger` batch-level calls on top."""

    def __init__(self, location: str | Path, **kwargs: Any) -> None:
        super().__init__(location, **kwargs)
        self.objects = MappingObjects(self.engine)

    # ------------------------------------------------------------------ objects
    def remember_object(
        self, mapping: str, side: Side, object_name: str, object_type_id: str | None = None
    ) -> None:
        """Record which object ``mapping`` writes on ``side`` (learnt from its stream)."""
        self.objects.remember(MappedObject(mapping, side, object_name, object_type_id))

    def mapped_object(self, mapping: str, side: Side) -> MappedObject | None:
        """The object ``mapping`` was last seen writing on ``side``, if ever."""
        return self.objects.get(mapping, side)

    # ------------------------------------------------------------------ reads
    def load(  # type: ignore[override]
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, LedgerState]:
        """Ledger state of the source ids it knows (linked or tombstoned), by source id."""
        view = super().load(mapping, direction, source_ids)
        src = direction.source
        return {
            i: view.state(i)
            for i in dict.fromkeys(source_ids)
            if i in view.records or (src, i) in view.tombstones
        }

    def load_view(self, mapping: str, direction: Direction, source_ids: Sequence[str]) -> Any:
        """:meth:`LedgerStore.load` itself (a :class:`~crm_sync.ledger.LedgerView`)."""
        return super().load(mapping, direction, source_ids)

    def destination_ids(
        self, mapping: str, direction: Direction, source_ids: Sequence[str]
    ) -> dict[str, str]:
        """Linked destination ids of live pairs (neither side tombstoned)."""
        view = super().load(mapping, direction, source_ids)
        src, dst = direction.source, direction.destination
        out: dict[str, str] = {}
        for source_id, record in view.records.items():
            dest_id = record.id_on(dst)
            if (src, source_id) in view.tombstones or (dst, dest_id) in view.tombstones:
                continue
            out[source_id] = dest_id
        return out

    def dead_letters(  # type: ignore[override]
        self, mapping: str, direction: Direction, **kwargs: Any
    ) -> list[DeadLetter]:
        """Open dead letters of a leg, as the targets replay them."""
        return [
            DeadLetter(d.source_id, d.payload, f"{d.error_code}: {d.message}", d.attempts)
            for d in super().dead_letters(mapping, direction, **kwargs)
        ]

    def pending_associations(  # type: ignore[override]
        self, mapping: str, direction: Direction = Direction.SF_TO_HS, limit: int | None = None
    ) -> list[AssociationRef]:
        """Pending associations of a mapping's leg (the forward leg unless told)."""
        out: list[AssociationRef] = []
        for item in super().pending_associations(mapping, direction, limit):
            spec = item.label if (item.label or "").startswith("{") else item.lookup
            out.append(
                AssociationRef(
                    item.mapping, item.from_id, item.target_mapping, item.target_source_id, spec
                )
            )
        return out

    # ------------------------------------------------------------------ writes
    def commit(
        self,
        mapping: str,
        direction: Direction,
        write: BatchWrite,
        bases: Mapping[str, Base] | None = None,
        pending: Sequence[AssociationRef] = (),
        made: Sequence[AssociationRef] = (),
    ) -> None:
        """Store a written batch in one transaction.

        Written plans are linked (with ``bases[source_id]`` overriding the plan's
        ``base_after`` when given) and their dead letters resolved; settled plans
        store their base and tombstones; refused records become dead letters;
        ``bases`` of records in neither list update the base of an existing link.
        """
        bases = dict(bases or {})
        with self.batch() as uow:
            done: list[str] = []
            for plan, dest_id in write.written:
                uow.apply(self._with_base(plan, bases.pop(plan.source_id, None)), dest_id)
                done.append(plan.source_id)
            for plan in write.settled:
                uow.apply(self._with_base(plan, bases.pop(plan.source_id, None)))
                done.append(plan.source_id)
            if bases:
                self._relink(uow, mapping, direction, bases)
            if done:
                uow.resolve_dead_letters(mapping, direction, done)
            for refused in write.refused:
                code, message = _split_error(refused.error)
                uow.dead_letter(
                    mapping, direction, refused.plan.source_id, refused.payload, code, message
                )
            if made:
                uow.resolve_pending(
                    mapping, direction, [(r.source_id, _lookup_of(r.spec)) for r in made]
                )
            for ref in pending:
                lookup = _lookup_of(ref.spec)
                uow.add_pending(
                    PendingAssociation(
                        ref.mapping,
                        direction,
                        ref.source_id,
                        lookup,
                        ref.to_mapping,
                        ref.to_source_id,
                        label=ref.spec if ref.spec != lookup else None,
                    )
                )

    @staticmethod
    def _with_base(plan: RecordPlan, base: Base | None) -> RecordPlan:
        return plan if base is None else replace(plan, base_after=base)

    def _relink(
        self, uow: Any, mapping: str, direction: Direction, bases: Mapping[str, Base]
    ) -> None:
        """New bases for already linked records (e.g. an association made, nothing else)."""
        src = direction.source
        linked = self.lookup(mapping, src, list(bases))
        for source_id, base in bases.items():
            other = linked.get(source_id)
            if other is None:
                continue
            ids = {src: source_id, src.other: other}
            uow.link(mapping, ids[Side.SALESFORCE], ids[Side.HUBSPOT], base=base)

    def log_run(self, report: RunReport) -> None:  # type: ignore[override]
        """Store a stream's run report in the run log (its ``run_id``, or a new one)."""
        if report.run_id is None:
            report.run_id = uuid.uuid4().hex
        with self.batch() as uow:
            uow.log_run(RunLogEntry.from_report(report.run_id, report))


def open_ledger(url: str | Path) -> SyncLedgerStore:
    """The shared ledger at ``url`` (SQLite path/URL or a PostgreSQL URL).

    A SQLite file's directory is created if missing (meltano.yml points the ledger at
    ``.meltano/crm-sync/`` of a fresh project).
    """
    text = str(url)
    if "://" in text:
        parsed = make_url(text)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return SyncLedgerStore(url)
