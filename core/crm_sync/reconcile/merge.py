"""Three-way merge of one field and of one record (DESIGN §3). Pure: no I/O.

Vocabulary, for one leg (``direction``) of a mapping:

* ``S`` — the incoming source record's value, already renamed and coerced to the
  destination's field names and representation by the mapper;
* ``B`` — the ledger base: the value both sides last agreed on, kept per side in that
  side's own names (``{"salesforce": {...}, "hubspot": {...}}``); the leg compares
  against the destination side's half. A never-synced field has base *blank*, so a
  first sync fills blanks on either side and only real disagreements are conflicts;
* ``D`` — the destination's current value, read in batches only for records whose
  ``S`` differs from ``B`` (:func:`needs_destination`); ``MISSING`` when not read.

Per field, in this order: rule ``none`` → leave; ``S == B`` → leave (nothing changed
at the source: also what stops echoes); ``S == D`` → leave, the sides agree (base
advances); a destination-owned rule → ``always_*`` never writes, ``prefer_*`` writes
only while the destination is blank; otherwise ``D == B`` (or unknown) → send ``S``;
else a conflict the rule decides (``always_*``: owner; ``prefer_*``: owner unless its
value is blank; ``two_way``: the field's ``conflict``, else the mapping's; ``newest`` by
the two sides' modification times, equal or unknown times going to ``tie``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, overload

from crm_sync.convert import Kind
from crm_sync.reconcile.normalize import (
    BLANK,
    BLANK_READ_KINDS,
    canonical,
    is_blank,
    plainly_same,
    same_value,
)
from crm_sync.reconcile.policy import FieldPolicy, MappingPolicy
from crm_sync.vocabulary import Conflict, DeleteRule, Direction, Rule, Side

__all__ = [
    "MISSING",
    "Action",
    "Base",
    "DestinationState",
    "FieldConflict",
    "FieldDecision",
    "LedgerState",
    "Outcome",
    "Reason",
    "RecordPlan",
    "SkipReason",
    "SourceRecord",
    "Tombstone",
    "decide_field",
    "needs_destination",
    "plan_record",
]

Base = dict[str, dict[str, Any]]
"""A base snapshot: ``{"salesforce": {field: value}, "hubspot": {property: value}}``."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""No value: the source record lacks the field, or the destination was not read."""


class Outcome(StrEnum):
    """What happens to one field on the destination."""

    SEND = "send"
    LEAVE = "leave"


class Reason(StrEnum):
    """Why a field decision was taken."""

    RULE_NONE = "rule_none"
    ABSENT = "absent"
    UNCHANGED = "unchanged"
    IN_SYNC = "in_sync"
    CHANGED = "changed"
    NEVER_THIS_DIRECTION = "never_this_direction"
    DESTINATION_PREFERRED = "destination_preferred"
    DESTINATION_UNKNOWN = "destination_unknown"
    FILLS_BLANK = "fills_blank"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """A field changed on both sides since the base; ``winner`` is who keeps it."""

    field: str
    rule: Rule
    winner: Side
    decided_by: str
    source_value: Any
    destination_value: Any
    base_value: Any


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """The decision for one field (named as on the destination)."""

    field: str
    outcome: Outcome
    reason: Reason
    value: Any = None
    conflict: FieldConflict | None = None

    @property
    def agreed(self) -> bool:
        """True when, after the write, both sides hold ``value`` (the base advances)."""
        return self.outcome is Outcome.SEND or self.reason is Reason.IN_SYNC


def decide_field(
    field_name: str,
    source: Any,
    base: Any,
    destination: Any,
    *,
    rule: Rule,
    direction: Direction,
    conflict: Conflict = Conflict.NEWEST,
    tie: Side = Side.SALESFORCE,
    source_modified_at: datetime | None = None,
    destination_modified_at: datetime | None = None,
    kind: str | None = None,
) -> FieldDecision:
    """Decide one field of one leg. ``base``/``destination`` may be :data:`MISSING`.

    A missing base means never synced and counts as blank; a missing destination
    means not read, and is assumed unchanged (no conflict can be seen).
    """
    if rule is Rule.NONE:
        return FieldDecision(field_name, Outcome.LEAVE, Reason.RULE_NONE)
    if source is MISSING:
        return FieldDecision(field_name, Outcome.LEAVE, Reason.ABSENT)
    if base is not MISSING and plainly_same(source, base):  # s == b, found cheaply
        return FieldDecision(field_name, Outcome.LEAVE, Reason.UNCHANGED)
    s = canonical(source, kind)
    b = BLANK if base is MISSING else canonical(base, kind)
    known = destination is not MISSING
    d = canonical(destination, kind) if known else None
    if s == b:
        return FieldDecision(field_name, Outcome.LEAVE, Reason.UNCHANGED)
    if known and s == d:
        return FieldDecision(field_name, Outcome.LEAVE, Reason.IN_SYNC, source)
    src, dst = direction.source, direction.destination

    def clash(winner: Side, decided_by: str) -> FieldDecision:
        note = FieldConflict(
            field_name,
            rule,
            winner,
            decided_by,
            source,
            destination,
            None if base is MISSING else base,
        )
        if winner is src:
            return FieldDecision(field_name, Outcome.SEND, Reason.CONFLICT, source, note)
        return FieldDecision(field_name, Outcome.LEAVE, Reason.CONFLICT, None, note)

    if rule.owner is dst:
        if rule.is_always:
            return FieldDecision(field_name, Outcome.LEAVE, Reason.NEVER_THIS_DIRECTION)
        if not known:
            return FieldDecision(field_name, Outcome.LEAVE, Reason.DESTINATION_UNKNOWN)
        if d is BLANK:
            if d == b:
                return FieldDecision(field_name, Outcome.SEND, Reason.FILLS_BLANK, source)
            return clash(src, f"{rule.value} ({dst.value} blank)")
        if d == b:
            return FieldDecision(field_name, Outcome.LEAVE, Reason.DESTINATION_PREFERRED)
        return clash(dst, rule.value)
    if not known or d == b:
        return FieldDecision(field_name, Outcome.SEND, Reason.CHANGED, source)
    if rule.owner is src:
        if rule.is_always or s is not BLANK:
            return clash(src, rule.value)
        return clash(dst, f"{rule.value} ({src.value} blank)")
    if conflict is Conflict.SALESFORCE:
        return clash(Side.SALESFORCE, "conflict=salesforce")
    if conflict is Conflict.HUBSPOT:
        return clash(Side.HUBSPOT, "conflict=hubspot")
    if source_modified_at and destination_modified_at:
        if source_modified_at > destination_modified_at:
            return clash(src, "conflict=newest")
        if destination_modified_at > source_modified_at:
            return clash(dst, "conflict=newest")
    return clash(tie, f"conflict=newest (tie: {tie.value})")


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class SourceRecord:
    """One incoming record of a leg (one per record read: not ``frozen``, whose
    ``__init__`` sets each field through ``object.__setattr__``; never changed once made).

    ``values`` use the destination's field names and representation (the mapper's
    output); only the mapping's fields are read from it, so it may be the mapped record
    itself, other keys and all (a target passes it as it came, without a copy).
    ``native``, when the mapper passes it, holds the source's own names and values; it
    lets the source half of the base advance exactly (otherwise the destination value is
    used, which the normaliser makes equal in most cases and the next reverse leg
    corrects by one read, never by a write).
    """

    id: str
    values: Mapping[str, Any]
    modified_at: datetime | None = None
    deleted_at: datetime | None = None
    native: Mapping[str, Any] | None = None
    partial: bool = False
    """The record carries only some of its mapped fields (a refresh of calculated
    fields): it may update a linked record, never create one."""


@dataclass(frozen=True, slots=True)
class LedgerState:
    """What the ledger knows about the record (all empty for a never-seen record)."""

    destination_id: str | None = None
    base: Mapping[str, Mapping[str, Any]] | None = None
    source_seen_at: datetime | None = None
    destination_seen_at: datetime | None = None
    source_deleted_at: datetime | None = None
    destination_deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DestinationState:
    """The destination record as read now (``exists=False``: read and not found)."""

    id: str | None
    values: Mapping[str, Any] = field(default_factory=dict)
    modified_at: datetime | None = None
    exists: bool = True

    @classmethod
    def missing(cls, record_id: str | None = None) -> DestinationState:
        """A destination record that was looked up and is gone (deleted/archived)."""
        return cls(id=record_id, exists=False)


class Action(StrEnum):
    """What a leg does with one record."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ARCHIVE = "archive"
    SKIP = "skip"


class SkipReason(StrEnum):
    """Why a record is skipped."""

    DISABLED = "mapping_disabled"
    TOMBSTONED = "tombstoned"
    DESTINATION_DELETED = "destination_deleted"
    CREATE_DISABLED = "create_disabled"
    DELETE_IGNORED = "delete_ignored"
    NOT_SYNCED = "delete_of_unsynced"
    STALE = "stale_replay"
    PARTIAL = "partial_record_not_linked"


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A delete to remember; ``deleted_at`` None means "now"."""

    side: Side
    id: str
    deleted_at: datetime | None = None


@dataclass(slots=True)
class RecordPlan:
    """The reconciled plan for one record of one leg (one per record: not ``frozen``, as
    :class:`SourceRecord`; a changed plan is a copy, :func:`dataclasses.replace`).

    After the write succeeds, the target stores ``base_after`` (when not None) and
    ``tombstones`` in the ledger, and links ``source_id`` to the destination id.
    """

    mapping: str
    direction: Direction
    source_id: str
    destination_id: str | None
    action: Action
    changes: Mapping[str, Any] = field(default_factory=dict)
    decisions: Sequence[FieldDecision] = ()
    """One per mapped field (a create's are built when first read)."""
    skip_reason: SkipReason | None = None
    base_after: Base | None = None
    tombstones: tuple[Tombstone, ...] = ()
    source_modified_at: datetime | None = None
    new_link: bool = False
    """True when the pair is not in the ledger yet (a create, or a destination found by key)."""
    revives: tuple[Tombstone, ...] = ()
    """Tombstones to lift once the plan is durable: the source record was restored."""
    key_missing: bool = False
    """The linked destination record does not carry the source id on the key property the
    leg upserts on (its id write-back was refused and not retried yet): the write goes by
    the destination id and sets the key too; an upsert by the key would create a twin."""

    @property
    def moves_ledger(self) -> bool:
        """True when the plan changes the ledger even if it writes nothing."""
        return self.base_after is not None or bool(self.tombstones) or bool(self.revives)

    @property
    def conflicts(self) -> tuple[FieldConflict, ...]:
        """The field conflicts and how each was decided (a create has none: its base and
        destination are blank, so its decisions need not be built to say so)."""
        if type(self.decisions) is _CreateDecisions:
            return ()
        return tuple(d.conflict for d in self.decisions if d.conflict is not None)

    @property
    def writes(self) -> bool:
        """True when the plan costs a write on the destination."""
        return self.action in (Action.CREATE, Action.UPDATE, Action.ARCHIVE)


def needs_destination(
    policy: MappingPolicy,
    direction: Direction,
    record: SourceRecord,
    ledger: LedgerState | None,
) -> bool:
    """Whether the target should read the destination record before planning.

    True only for records already linked in the ledger whose source values differ
    from the base on a field the leg may write: everything else is decided from the
    ledger alone (a record equal to its base costs nothing; a never-synced record is
    created by upsert on its stable key, so a first import reads nothing).
    """
    if ledger is None or ledger.destination_id is None or record.deleted_at is not None:
        return False
    if ledger.destination_deleted_at is not None:
        return False
    if ledger.source_deleted_at is not None and not restored(record, ledger):
        return False
    base = _base_half(ledger.base, direction.destination)
    for item in policy.fields:
        never = item.rule.is_always and item.rule.owner is direction.destination
        if item.rule is Rule.NONE or never:
            continue
        name = item.name_on(direction.destination)
        if name not in record.values:
            continue
        if not same_value(record.values[name], base.get(name), item.kind):
            return True
    return False


def plan_record(
    policy: MappingPolicy,
    direction: Direction,
    record: SourceRecord,
    ledger: LedgerState | None = None,
    destination: DestinationState | None = None,
) -> RecordPlan:
    """Reconcile one source record against the ledger and the destination (§3)."""
    ledger = ledger or _NEVER_SEEN
    if policy.enabled and restored(record, ledger):
        live = plan_record(policy, direction, record, _after_restore(ledger), destination)
        if live.action is Action.SKIP:
            return live
        return replace(live, revives=(Tombstone(direction.source, record.id),))
    plan = _Planner(policy, direction, record, ledger)
    if not policy.enabled:
        return plan.skip(SkipReason.DISABLED)
    if record.deleted_at is not None:
        return plan.delete(record.deleted_at)
    if ledger.source_deleted_at is not None or ledger.destination_deleted_at is not None:
        return plan.skip(SkipReason.TOMBSTONED)
    if (
        ledger.source_seen_at is not None
        and record.modified_at is not None
        and record.modified_at < ledger.source_seen_at
    ):
        return plan.skip(SkipReason.STALE)
    linked_id = ledger.destination_id
    if linked_id is not None and destination is not None and not destination.exists:
        gone = Tombstone(direction.destination, linked_id)
        return plan.skip(SkipReason.DESTINATION_DELETED, (gone,))
    found = destination if destination is not None and destination.exists else None
    destination_id = linked_id or (found.id if found else None)
    if destination_id is None and found is None:
        if record.partial:
            return plan.skip(SkipReason.PARTIAL)
        if not policy.may_create(direction):
            return plan.skip(SkipReason.CREATE_DISABLED)
        return plan.fields(Action.CREATE, None, {}, None, new_link=True)
    values = found.values if found is not None else None
    dest_time = (found.modified_at if found else None) or ledger.destination_seen_at
    return plan.fields(Action.UPDATE, destination_id, values, dest_time, new_link=not linked_id)


_NEVER_SEEN: Final = LedgerState()
"""The ledger state of every never-seen record (frozen: one shared instance)."""


def restored(record: SourceRecord, ledger: LedgerState) -> bool:
    """Whether a live source record is newer than its tombstone: restored after its
    deletion (a Salesforce undelete), so live again."""
    deleted_at = ledger.source_deleted_at
    return (
        deleted_at is not None
        and record.deleted_at is None
        and record.modified_at is not None
        and record.modified_at > deleted_at
    )


def _after_restore(ledger: LedgerState) -> LedgerState:
    """The ledger as a restored record sees it: a pair whose destination was deleted
    is forgotten (the record is created again, under the mapping's create rule); a
    destination that stayed (deletes ignored) is still linked."""
    if ledger.destination_deleted_at is not None:
        return LedgerState()
    return replace(ledger, source_deleted_at=None)


_SF, _HS = Side.SALESFORCE.value, Side.HUBSPOT.value


@dataclass(frozen=True, slots=True)
class _CreateField:
    """What :meth:`_Planner._created` needs of one field, worked out once per leg."""

    name: str
    """On the destination."""
    source_name: str
    kind: str | None
    rule_none: bool
    never: bool
    """The rule keeps the field on the destination always: never sent on this leg."""
    send_reason: Reason
    typed: bool
    """The kind is one :func:`is_blank` reads strings by (only spaces may be blank)."""
    multi: bool
    """A multi-select: its separators alone are blank too."""


@dataclass(frozen=True, slots=True)
class _CreateFields:
    """A leg's fields as creates see them: all (in policy order), and those a create may
    send (neither rule ``none`` nor kept on the destination always)."""

    all: tuple[_CreateField, ...]
    rows: tuple[tuple[str, str, bool, bool, str | None], ...]
    """Those a create may send as ``(name, source_name, typed, multi, kind)``: unpacked
    per record."""
    destination: str
    """The destination side's key in a base (``hubspot`` / ``salesforce``)."""
    source: str


_LegFields = tuple[tuple[FieldPolicy, ...], _CreateFields]
_CREATE_FIELDS: dict[tuple[int, int], _LegFields] = {}
""":func:`_create_fields` by the identity of a leg's field tuple (and the tuple, to tell a
reused id); a few entries per process."""


def _create_fields(fields: tuple[FieldPolicy, ...], direction: Direction) -> _CreateFields:
    """A leg's fields as creates see them, worked out once per leg.

    Looked up by the tuple's identity: ``functools.cache`` hashed the whole tuple at every
    new record, each :class:`FieldPolicy` and its enums in Python (a tenth of the planning
    thread's CPU on a first import).
    """
    key = (id(fields), id(direction))  # an enum member is a singleton; its hash is Python's
    hit = _CREATE_FIELDS.get(key)
    if hit is not None and hit[0] is fields:
        return hit[1]
    src, dst = direction.source, direction.destination
    every = tuple(
        _CreateField(
            name=item.name_on(dst),
            source_name=item.name_on(src),
            kind=item.kind,
            rule_none=item.rule is Rule.NONE,
            never=item.rule.owner is dst and item.rule.is_always,
            send_reason=Reason.FILLS_BLANK if item.rule.owner is dst else Reason.CHANGED,
            typed=item.kind in BLANK_READ_KINDS,
            multi=item.kind == Kind.MULTI.value,
        )
        for item in fields
    )
    made = _CreateFields(
        every,
        tuple(
            (f.name, f.source_name, f.typed, f.multi, f.kind)
            for f in every
            if not (f.rule_none or f.never)
        ),
        dst.value,
        src.value,
    )
    if len(_CREATE_FIELDS) >= 256:  # many policies (a test suite): start again
        _CREATE_FIELDS.clear()
    _CREATE_FIELDS[key] = (fields, made)
    return made


def _create_decision(item: _CreateField, source: Any) -> FieldDecision:
    """What :func:`decide_field` decides for one field of a create (blank base and
    destination)."""
    if item.rule_none:
        return FieldDecision(item.name, Outcome.LEAVE, Reason.RULE_NONE)
    if source is MISSING:
        return FieldDecision(item.name, Outcome.LEAVE, Reason.ABSENT)
    if is_blank(source, item.kind):
        return FieldDecision(item.name, Outcome.LEAVE, Reason.UNCHANGED)
    if item.never:
        return FieldDecision(item.name, Outcome.LEAVE, Reason.NEVER_THIS_DIRECTION)
    return FieldDecision(item.name, Outcome.SEND, item.send_reason, source)


class _CreateDecisions(Sequence[FieldDecision]):
    """A create's field decisions, built on first read from the record's values.

    A first import creates every record and reads none of them (the run report keeps a
    few samples), so building one :class:`FieldDecision` per field per record up front
    cost more than the rest of the create's planning. Equal to the tuple it stands for.
    """

    __slots__ = ("_fields", "_made", "_values")

    def __init__(self, fields: tuple[_CreateField, ...], values: Mapping[str, Any]) -> None:
        self._fields = fields
        self._values = values
        self._made: tuple[FieldDecision, ...] | None = None

    def _all(self) -> tuple[FieldDecision, ...]:
        if self._made is None:
            values = self._values
            self._made = tuple(
                _create_decision(f, values.get(f.name, MISSING)) for f in self._fields
            )
        return self._made

    @overload
    def __getitem__(self, index: int) -> FieldDecision: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[FieldDecision, ...]: ...
    def __getitem__(self, index: int | slice) -> FieldDecision | tuple[FieldDecision, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._fields)

    def __iter__(self) -> Iterator[FieldDecision]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._all() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, yet mutable inside

    def __repr__(self) -> str:
        return repr(self._all())


class _Planner:
    """Builds one :class:`RecordPlan`; keeps :func:`plan_record` readable."""

    def __init__(
        self,
        policy: MappingPolicy,
        direction: Direction,
        record: SourceRecord,
        ledger: LedgerState,
    ) -> None:
        self.policy = policy
        self.direction = direction
        self.record = record
        self.ledger = ledger

    def _plan(self, action: Action, destination_id: str | None, **kwargs: Any) -> RecordPlan:
        return RecordPlan(
            mapping=self.policy.name,
            direction=self.direction,
            source_id=self.record.id,
            destination_id=destination_id,
            action=action,
            source_modified_at=self.record.modified_at,
            **kwargs,
        )

    def skip(self, reason: SkipReason, tombstones: tuple[Tombstone, ...] = ()) -> RecordPlan:
        return self._plan(
            Action.SKIP, self.ledger.destination_id, skip_reason=reason, tombstones=tombstones
        )

    def delete(self, deleted_at: datetime) -> RecordPlan:
        src = Tombstone(self.direction.source, self.record.id, deleted_at)
        target = self.ledger.destination_id
        if target is None:
            return self.skip(SkipReason.NOT_SYNCED, (src,))
        if self.ledger.destination_deleted_at is not None:
            return self.skip(SkipReason.TOMBSTONED, (src,))
        if self.policy.delete_rule(self.direction) is DeleteRule.IGNORE:
            return self.skip(SkipReason.DELETE_IGNORED, (src,))
        dst = Tombstone(self.direction.destination, target)
        return self._plan(Action.ARCHIVE, target, tombstones=(src, dst))

    def fields(
        self,
        action: Action,
        destination_id: str | None,
        current: Mapping[str, Any] | None,
        destination_modified_at: datetime | None,
        *,
        new_link: bool,
    ) -> RecordPlan:
        dst = self.direction.destination
        base = _base_half(self.ledger.base, dst)
        if action is Action.CREATE and not self.ledger.base and not current:
            changes, created, base_after = self._created()
            return self._plan(
                action,
                destination_id,
                changes=changes,
                decisions=created,
                base_after=base_after,
                new_link=new_link,
            )
        decisions = tuple(
            decide_field(
                item.name_on(dst),
                self.record.values.get(item.name_on(dst), MISSING),
                base.get(item.name_on(dst), MISSING),
                MISSING if current is None else current.get(item.name_on(dst)),
                rule=item.rule,
                direction=self.direction,
                conflict=item.conflict or self.policy.conflict,
                tie=self.policy.tie,
                source_modified_at=self.record.modified_at,
                destination_modified_at=destination_modified_at,
                kind=item.kind,
            )
            for item in self.policy.fields
        )
        changes = {d.field: d.value for d in decisions if d.outcome is Outcome.SEND}
        if action is Action.UPDATE and not changes:
            action = Action.UNCHANGED
        return self._plan(
            action,
            destination_id,
            changes=changes,
            decisions=decisions,
            base_after=self._next_base(decisions),
            new_link=new_link,
        )

    def _created(self) -> tuple[dict[str, Any], _CreateDecisions, Base | None]:
        """Changes, decisions and base of a create: no three-way merge to make.

        A new record's base and destination are blank, so :func:`decide_field` sends
        every field with a non-blank value unless its rule keeps it on the destination
        always, and leaves the rest; this decides the same without the comparisons, and
        builds the per-field decisions only if something reads them (a report's few
        samples): a first import reads none.
        """
        values, native = self.record.values, self.record.native or {}
        fields = _create_fields(self.policy.fields, self.direction)
        changes: dict[str, Any] = {}
        new_src: dict[str, Any] = {}
        for name, source_name, typed, multi, kind in fields.rows:
            source = values.get(name)
            if source is None or source == "":  # absent or blank: nothing to send
                continue
            if type(source) is str:  # is_blank's string rule, inline (every field of a create)
                if typed and not (source.replace(";", "") if multi else source).strip():
                    continue
            elif is_blank(source, kind):
                continue
            changes[name] = source
            new_src[source_name] = native.get(source_name, source)
        new: Base | None = None
        if changes:
            new = {_SF: {}, _HS: {}}
            new[fields.destination] = dict(changes)
            new[fields.source] = new_src
        return changes, _CreateDecisions(fields.all, values), new

    def _next_base(self, decisions: Iterable[FieldDecision]) -> Base | None:
        """The base after a successful write; None when it does not change.

        An agreed field always moves the base: ``decide_field`` only agrees on a
        value that differs from the base (``S == B`` is decided earlier).
        """
        agreed = [decision for decision in decisions if decision.agreed]
        if not agreed:
            return None
        src, dst = self.direction.source, self.direction.destination
        old = self.ledger.base or {}
        new: Base = {side.value: dict(old.get(side.value) or {}) for side in Side}
        by_name = {item.name_on(dst): item for item in self.policy.fields}
        native = self.record.native or {}
        for decision in agreed:
            item: FieldPolicy = by_name[decision.field]
            new[dst.value][decision.field] = decision.value
            source_name = item.name_on(src)
            new[src.value][source_name] = native.get(source_name, decision.value)
        return new


def _base_half(base: Mapping[str, Mapping[str, Any]] | None, side: Side) -> Mapping[str, Any]:
    if not base:
        return {}
    return base.get(side.value) or {}
