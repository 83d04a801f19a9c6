"""Run report and dry-run plan: counts, conflicts and field-level diff samples.

Values stay out by default: the table and JSON carry record ids, field names and
counts; ``values=True`` (a dry run's local plan file, or the ``log_values`` setting)
adds the conflicting and changed values. Logs and CI artifacts must not hold customer
data nobody asked to see.

A target keeps one :class:`RunReport` per stream (mapping and leg). It calls
:meth:`RunReport.observe` for every reconciled :class:`RecordPlan`, then
:meth:`RunReport.failed` for each planned write the destination refused, and adds
association and API-call figures. In a dry run the same report *is* the plan (the
wizard's preview): counts of what would be created, updated, archived or left, every
conflict with the rule that decided it, and a sample of field diffs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_sync.reconcile.merge import Action, Outcome, RecordPlan
from crm_sync.vocabulary import Direction, Rule, Side

__all__ = ["ConflictNote", "Counts", "DiffSample", "RunReport", "render_json", "render_table"]

_ACTION_COUNTER = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.UNCHANGED: "unchanged",
    Action.ARCHIVE: "deleted",
    Action.SKIP: "skipped",
}


@dataclass(slots=True)
class Counts:
    """Per-stream figures (the ledger's run log stores the same names)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    """Destination records deleted (archived, on HubSpot)."""
    skipped: int = 0
    conflicts: int = 0
    failed: int = 0
    associations_made: int = 0
    associations_pending: int = 0
    api_calls: int = 0


@dataclass(frozen=True, slots=True)
class ConflictNote:
    """One decided conflict, for the report."""

    source_id: str
    destination_id: str | None
    field: str
    rule: Rule
    winner: Side
    decided_by: str
    source_value: Any
    destination_value: Any
    base_value: Any


@dataclass(frozen=True, slots=True)
class DiffSample:
    """One field a write changes (``before`` is the destination's value, if read)."""

    source_id: str
    destination_id: str | None
    action: Action
    field: str
    before: Any
    after: Any


@dataclass(slots=True)
class RunReport:
    """What one stream's run did (or, with ``dry_run``, would do)."""

    mapping: str
    direction: Direction | None = None
    dry_run: bool = False
    run_id: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    counts: Counts = field(default_factory=Counts)
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    fields_left_out: Counter[str] = field(default_factory=Counter)
    """Fields the mapper left out of a record that synced otherwise, by reason
    (``owner_unmatched``: an owner with no counterpart), one per field and record."""
    conflicts: list[ConflictNote] = field(default_factory=list)
    samples: list[DiffSample] = field(default_factory=list)
    quota_left: int | None = None
    max_conflicts: int = 1000
    max_samples: int = 20

    def observe(self, plan: RecordPlan, before: Mapping[str, Any] | None = None) -> None:
        """Count one reconciled record; ``before`` is the destination record, if read."""
        self.counts.read += 1
        setattr(
            self.counts,
            _ACTION_COUNTER[plan.action],
            getattr(self.counts, _ACTION_COUNTER[plan.action]) + 1,
        )
        if plan.skip_reason is not None:
            self.skipped_by_reason[plan.skip_reason.value] += 1
        for conflict in plan.conflicts:
            self.counts.conflicts += 1
            if len(self.conflicts) < self.max_conflicts:
                self.conflicts.append(
                    ConflictNote(
                        plan.source_id,
                        plan.destination_id,
                        conflict.field,
                        conflict.rule,
                        conflict.winner,
                        conflict.decided_by,
                        conflict.source_value,
                        conflict.destination_value,
                        conflict.base_value,
                    )
                )
        for decision in plan.decisions if len(self.samples) < self.max_samples else ():
            if decision.outcome is not Outcome.SEND or len(self.samples) >= self.max_samples:
                continue
            self.samples.append(
                DiffSample(
                    plan.source_id,
                    plan.destination_id,
                    plan.action,
                    decision.field,
                    (before or {}).get(decision.field),
                    decision.value,
                )
            )

    def failed(self, plan: RecordPlan) -> None:
        """A planned write was refused: move the record from its action to ``failed``."""
        name = _ACTION_COUNTER[plan.action]
        setattr(self.counts, name, max(0, getattr(self.counts, name) - 1))
        self.counts.failed += 1

    def unwritten(self, plan: RecordPlan) -> None:
        """A planned write never happened (the run stopped first): uncount its action."""
        name = _ACTION_COUNTER[plan.action]
        setattr(self.counts, name, max(0, getattr(self.counts, name) - 1))

    def finish(self) -> None:
        """Stamp the end time."""
        self.finished_at = datetime.now(UTC)

    def to_dict(self, *, values: bool = False) -> dict[str, Any]:
        """JSON-ready form; field values only with ``values``."""
        return _jsonable(
            {
                "mapping": self.mapping,
                "direction": self.direction,
                "dry_run": self.dry_run,
                "run_id": self.run_id,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "counts": asdict(self.counts),
                "skipped_by_reason": dict(self.skipped_by_reason),
                "fields_left_out": dict(self.fields_left_out),
                "quota_left": self.quota_left,
                "conflicts": [_without(asdict(c), _VALUE_KEYS, values) for c in self.conflicts],
                "samples": [_without(asdict(s), _VALUE_KEYS, values) for s in self.samples],
            }
        )


_VALUE_KEYS = frozenset({"source_value", "destination_value", "base_value", "before", "after"})


def _without(row: dict[str, Any], keys: frozenset[str], keep: bool) -> dict[str, Any]:
    return row if keep else {k: v for k, v in row.items() if k not in keys}


def render_json(
    reports: Sequence[RunReport], indent: int | None = 2, *, values: bool = False
) -> str:
    """All reports as one JSON document: ``{"streams": [...]}``; values only if asked."""
    return json.dumps({"streams": [r.to_dict(values=values) for r in reports]}, indent=indent)


_COLUMNS = [f.name for f in fields(Counts)]


def render_table(reports: Sequence[RunReport], max_rows: int = 20, *, values: bool = False) -> str:
    """A terminal table per stream, then conflicts and field diffs (first ``max_rows``).

    Without ``values`` the conflict and change rows name the record and field only.
    """
    heading = ["mapping", "leg", *_COLUMNS, "quota_left"]
    rows = [
        [
            r.mapping + (" (dry run)" if r.dry_run else ""),
            str(r.direction or ""),
            *(str(getattr(r.counts, name)) for name in _COLUMNS),
            "" if r.quota_left is None else str(r.quota_left),
        ]
        for r in reports
    ]
    out = [_table(heading, rows)]
    left_out = [
        [r.mapping, str(r.direction or ""), reason, str(count)]
        for r in reports
        for reason, count in sorted(r.fields_left_out.items())
    ]
    if left_out:
        out.append("fields left out of records (the rest of each record synced)")
        out.append(_table(["mapping", "leg", "reason", "records"], left_out))
    conflicts = [
        [
            r.mapping,
            c.source_id,
            c.field,
            c.rule.value,
            c.winner.value,
            c.decided_by,
            *((_short(c.source_value), _short(c.destination_value)) if values else ()),
        ]
        for r in reports
        for c in r.conflicts
    ][:max_rows]
    if conflicts:
        out.append("conflicts")
        out.append(
            _table(
                [
                    "mapping",
                    "record",
                    "field",
                    "rule",
                    "winner",
                    "decided by",
                    *(("source", "destination") if values else ()),
                ],
                conflicts,
            )
        )
    samples = [
        [
            r.mapping,
            s.source_id,
            s.action.value,
            s.field,
            *((_short(s.before), _short(s.after)) if values else ()),
        ]
        for r in reports
        for s in r.samples
    ][:max_rows]
    if samples:
        out.append("field changes (sample)")
        heading = ["mapping", "record", "action", "field"]
        out.append(_table([*heading, *(("before", "after") if values else ())], samples))
    return "\n\n".join(out)


def _table(heading: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [heading, *rows]) for i in range(len(heading))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(heading, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def _short(value: Any, limit: int = 32) -> str:
    text = "∅" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
