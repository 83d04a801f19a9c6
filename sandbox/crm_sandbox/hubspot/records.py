"""CRM records of every object type: single and batch writes, reads and lists.

Values are validated per record against the property definitions; a refused record in
a batch becomes one entry of the 207 reply's ``errors`` while the others are written.
Server-maintained properties (``hs_object_id``, create/modify dates) come from the
sandbox clock.
"""

from __future__ import annotations

import operator
import sqlite3
import threading
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from crm_sandbox.core import jsontext
from crm_sandbox.hubspot.errors import (
    Conflict,
    HubSpotError,
    InvalidPropertyValues,
    ObjectNotFound,
    PropertyValueError,
    ValidationError,
)
from crm_sandbox.hubspot.keys import SearchKeys
from crm_sandbox.hubspot.store import FIRST_RECORD_ID
from crm_sandbox.hubspot.values import format_datetime, normalize

if TYPE_CHECKING:
    from collections.abc import Callable

    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.faults import FaultDice
    from crm_sandbox.hubspot.models import ObjectType, Property
    from crm_sandbox.hubspot.properties import Properties
    from crm_sandbox.hubspot.store import Store

MAX_BATCH = 100
ASSOCIATION_READ_MAX = 1000
"""v4 (and v3) associations ``batch/read`` take up to 1,000 ids (HubSpot changelog,
effective 2025-02-10); the other batch calls take 100."""
_STAMP_EVERY = 64
"""insert_many reads the clock once per this many records (each read costs ~10 µs)."""
BATCH_TOO_LARGE = (
    "The maximum number of inputs supported in a batch is {limit}. Please reduce the number"
    " of items and try again"
)
_SCALARS = frozenset({str, int, float, bool})
"""Raw value types whose stored form :meth:`Records.validate` memoises per batch."""
_UNSEEN: Any = object()
_MISSING, _READ_ONLY, _EXTERNAL, _TEXT, _NORMALIZE, _PARSED = range(6)
"""What :meth:`Records.validate` does with a property name: refuse it (no such property,
read-only), check an external option, take text as it is (a text property), normalize
(a contact's email), or normalize with the batch's memo (a type that parses)."""
_Step = tuple[str, "Property | None", int]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What validating one set of property names takes (see :meth:`Records.validate`)."""

    steps: list[_Step]
    texts: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None
    """The text properties' raw values of an input, or None when a name is refused
    (no such property, read-only): such inputs take the step-by-step loop."""
    others: list[_Step]
    """The steps that are not text, in order."""
    other_values: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    """Their raw values of an input."""

    @classmethod
    def of(cls, steps: list[_Step]) -> _Plan:
        if any(kind in (_MISSING, _READ_ONLY) for _, _, kind in steps):
            return cls(steps, None, steps, _picker(list(range(len(steps)))))
        text = [i for i, (_, _, kind) in enumerate(steps) if kind == _TEXT]
        other = [i for i, (_, _, kind) in enumerate(steps) if kind != _TEXT]
        return cls(steps, _picker(text), [steps[i] for i in other], _picker(other))


@dataclass(frozen=True, slots=True)
class _Shown:
    """What a batch write's reply shows of a record for one set of input keys: the
    object's default properties and the keys, a name the record lacks only if it is a
    default (then null)."""

    names: list[str]
    defaults: frozenset[str]
    values: Callable[[dict[str, str]], tuple[str, ...]]

    @classmethod
    def of(cls, defaults: list[str], keys: tuple[str, ...]) -> _Shown:
        names = list(dict.fromkeys([*defaults, *keys]))
        return cls(names, frozenset(defaults), _picker(names))

    def properties(self, props: dict[str, str]) -> dict[str, str | None]:
        try:  # a record that has every name (a create stamps the defaults): C-level
            return dict(zip(self.names, self.values(props), strict=True))
        except KeyError:
            return {n: props.get(n) for n in self.names if n in props or n in self.defaults}


def _picker(at: list[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """The items of a tuple (or dict) at positions (keys) ``at``, as a tuple (itemgetter
    gives a bare item for one position)."""
    if len(at) > 1:
        return operator.itemgetter(*at)
    if at:
        only = at[0]
        return lambda values: (values[only],)
    return lambda values: ()


_SERVER_PROPS = frozenset(
    {
        "hs_object_id",
        "hs_createdate",
        "hs_lastmodifieddate",
        "createdate",
        "lastmodifieddate",
        "hs_object_source",
        "hs_object_source_id",
        "hs_merged_object_ids",
    }
)


@dataclass
class Record:
    id: int
    object_type_id: str
    props: dict[str, str]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> Record:
        return cls(row[0], row[1], jsontext.loads(row[2]), row[3], row[4], bool(row[5]), row[6])

    def wire(
        self, names: list[str], properties: dict[str, str | None] | None = None
    ) -> dict[str, Any]:
        """The record as a reply shows it: ``names`` in order (unset ones null), or the
        ``properties`` given (a batch's :class:`_Shown`)."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "properties": (
                {n: self.props.get(n) for n in names} if properties is None else properties
            ),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": self.archived,
        }
        if self.archived_at:
            out["archivedAt"] = self.archived_at
        return out


def not_found_batch(ot: ObjectType, ids: list[str]) -> dict[str, Any]:
    """The 207 entry for ids that do not exist [API_NOTES §5]."""
    return ObjectNotFound(
        f"Could not get some {ot.singular_upper} objects, they may be deleted or not exist."
        " Check that ids are valid."
    ).as_batch_error({"ids": ids})


def check_batch_size(inputs: Any, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
    """The request's ``inputs``, or HubSpot's 400 when it holds more than ``limit``
    (the body past 1,000 association reads is the 100-input one's, unverified)."""
    if not isinstance(inputs, list):
        raise ValidationError("Some required fields were not set: [inputs]")
    if len(inputs) > limit:
        raise ValidationError(BATCH_TOO_LARGE.format(limit=limit))
    return inputs


class Records:
    def __init__(
        self, store: Store, props: Properties, clock: Clock, dice: FaultDice, portal_id: int
    ) -> None:
        self.store = store
        self.props = props
        self.clock = clock
        self.dice = dice
        self.portal_id = portal_id
        self._id_lock = threading.Lock()
        self._next_id = self._load_next_id()
        self.on_archive: list[Any] = []
        """Callbacks ``(conn, record_ids)`` run when records are archived (associations)."""
        self.keys = SearchKeys(store, props, self.unique_props)
        """The search key index, kept in step with every write below."""
        self.merged_into: Callable[[sqlite3.Connection, ObjectType, str], int | None] = (
            lambda conn, ot, ref: None
        )
        """The id a merged-away record now answers with (set by :class:`merge.Merges`)."""
        self.external_option: Callable[[Property, str], bool] = lambda prop, value: True
        """Whether ``value`` is allowed for a property with external options (owners)."""

    def _load_next_id(self) -> int:
        with self.store.db.reading() as conn:
            top = conn.execute("SELECT MAX(id) FROM records").fetchone()[0]
        return max(FIRST_RECORD_ID, (top or 0) + 1)

    def reset_ids(self) -> None:
        """After the store was wiped: ids start again, derived counts are dropped."""
        with self._id_lock:
            self._next_id = self._load_next_id()
        self.keys.counts.forget()

    def _new_id(self) -> int:
        with self._id_lock:
            value = self._next_id
            self._next_id += 1
        return value

    # -- lookups ------------------------------------------------------------------------------
    def unique_props(self, ot: ObjectType) -> list[str]:
        names = self.props.unique_names(ot)
        if ot.object_type_id == "0-1":
            names.append("email")  # contacts are deduplicated by email
        return names

    def live_id(self, conn: sqlite3.Connection, ot: ObjectType, record_id: int | str) -> int | None:
        """``record_id`` as an int if a live record of ``ot`` has it (no row decoded)."""
        row = self._row(conn, ot, record_id, "id", archived=False)
        return int(row[0]) if row else None

    def live_ids(self, conn: sqlite3.Connection, ot: ObjectType, refs: list[Any]) -> dict[str, int]:
        """:meth:`live_id` of many refs in one query: ``{str(ref): id}`` of the live ones."""
        numbers: dict[int, list[str]] = {}
        for text in {str(ref) for ref in refs}:  # a batch's refs repeat (one company, ...)
            try:
                number = int(text)  # as live_id parses
            except ValueError:
                continue
            numbers.setdefault(number, []).append(text)
        found: dict[str, int] = {}
        ordered = list(numbers)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            for (number,) in conn.execute(
                "SELECT id FROM records WHERE object_type_id = ? AND archived = 0"
                f" AND id IN ({','.join('?' * len(chunk))})",
                (ot.object_type_id, *chunk),
            ):
                for text in numbers[number]:
                    found[text] = number
        return found

    def get(
        self, conn: sqlite3.Connection, ot: ObjectType, record_id: int | str, archived: bool = False
    ) -> Record | None:
        row = self._row(conn, ot, record_id, "*", archived)
        return Record.from_row(row) if row else None

    @staticmethod
    def _row(
        conn: sqlite3.Connection, ot: ObjectType, record_id: int | str, columns: str, archived: bool
    ) -> Any:
        try:
            number = int(record_id)
        except (TypeError, ValueError):
            return None
        return conn.execute(
            f"SELECT {columns} FROM records WHERE id = ? AND object_type_id = ? AND archived = ?",
            (number, ot.object_type_id, int(archived)),
        ).fetchone()

    def find(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        ref: str,
        id_property: str | None,
        archived: bool = False,
    ) -> Record | None:
        """A record by id, or by the value of a unique ``id_property``."""
        if not id_property or id_property == "hs_object_id":
            return self.get(conn, ot, ref, archived)
        self.require_unique(ot, id_property)
        value = ref.lower() if id_property == "email" else ref
        row = conn.execute(
            "SELECT r.* FROM unique_values u JOIN records r ON r.id = u.record_id"
            " WHERE u.object_type_id = ? AND u.prop = ? AND u.value = ? AND r.archived = ?",
            (ot.object_type_id, id_property, value, int(archived)),
        ).fetchone()
        return Record.from_row(row) if row else None

    def require_unique(
        self, ot: ObjectType, id_property: str, email_ok: bool = True, *, write: bool = False
    ) -> None:
        """Refuse a key that is not unique-valued. A contact's ``email`` keys reads and
        upserts but not batch updates (``email_ok=False``): HubSpot's contacts guide
        documents upsert by email, and batch update by it is refused. ``hs_object_id``
        keys reads only: a batch update or upsert by it is refused with the same body
        (HubSpot's reply as quoted in segmentio/action-destinations#3957)."""
        contact_email = ot.object_type_id == "0-1" and id_property == "email"
        if (contact_email and not email_ok) or (write and id_property == "hs_object_id"):
            raise ValidationError(
                f"Unable to perform update/upsert by non-unique {ot.object_type_id} property"
                f" {id_property} in portal ID {self.portal_id}"
            )
        if id_property != "hs_object_id" and id_property not in self.unique_props(ot):
            raise ValidationError(
                f"Unable to perform update/upsert by non-unique {ot.object_type_id} property"
                f" {id_property} in portal ID {self.portal_id}"
            )

    def selected(self, ot: ObjectType, requested: list[str] | None) -> list[str]:
        """Property names a read returns: the requested ones (unset -> null) or defaults."""
        if not requested:
            return list(ot.default_properties)
        live = self.props.live(ot)
        return list(dict.fromkeys(n for n in requested if n in live))

    # -- validation ---------------------------------------------------------------------------
    def validate(
        self,
        ot: ObjectType,
        values: Any,
        creating: bool,
        allowed: dict[tuple[str, str], bool] | None = None,
        normalized: dict[tuple[str, type, Any], str | None] | None = None,
        plans: dict[tuple[str, ...], _Plan] | None = None,
    ) -> dict[str, str | None]:
        """The clean values of one input, or InvalidPropertyValues with every problem.

        ``allowed`` memoises the external-option checks (is this owner id an active
        owner?) across one batch: the owners do not change within a request.
        ``normalized`` memoises the stored form of each (property, raw value) of a type
        that parses (numbers, booleans, options, dates) across one batch, where records
        repeat their statuses, flags and dates; a refused value is not kept, so each
        input that sends it gets its own error. ``plans`` memoises, per set of property
        names (a batch's inputs mostly share theirs), what each name needs; with it, an
        input whose text values are all non-empty strings takes them in one C-level pass
        and runs only its other steps (a single write, without ``plans``, goes step by
        step: the reference the batch tests compare with)."""
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise ValidationError("properties must be an object of property names to values")
        names = tuple(values)
        plan = plans.get(names) if plans is not None else None
        if plan is None:
            plan = _Plan.of(self._plan(ot, names))
            if plans is not None:
                plans[names] = plan
        problems: list[PropertyValueError] = []
        raws = tuple(values.values())
        steps = plan.steps
        if plan.texts is not None and plans is not None:  # a single write: step by step
            texts = plan.texts(raws)
            if "" not in texts and all(map(isinstance, texts, repeat(str))):
                # every text value taken as it is, in one C-level pass; the other steps
                # overwrite their entries below (a refused one is raised with the rest)
                clean: dict[str, str | None] = dict(zip(names, raws, strict=True))
                steps = plan.others
                raws = plan.other_values(raws)
            else:
                clean = {}
        else:
            clean = {}
        for (name, prop, kind), raw in zip(steps, raws, strict=True):
            if kind == _TEXT and type(raw) is str:
                clean[name] = raw or None  # what normalize gives text, without its checks
                continue
            if prop is None:
                problems.append(
                    PropertyValueError(
                        name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                    )
                )
                continue
            if kind == _READ_ONLY:
                problems.append(
                    PropertyValueError(
                        name,
                        "READ_ONLY_VALUE",
                        f"{name} is a read only property; its value cannot be set."
                        " (unverified wording)",
                    )
                )
                continue
            try:
                if kind == _EXTERNAL:
                    clean[name] = self._external(prop, raw, allowed)
                elif normalized is None or kind != _PARSED or type(raw) not in _SCALARS:
                    clean[name] = normalize(prop, raw, ot.object_type_id)
                else:
                    # the type is part of the key: True == 1 == 1.0 but their text differs
                    key = (name, type(raw), raw)
                    if (value := normalized.get(key, _UNSEEN)) is _UNSEEN:
                        value = normalized[key] = normalize(prop, raw, ot.object_type_id)
                    clean[name] = value
            except PropertyValueError as exc:
                problems.append(exc)
        if creating:
            for name in ot.required_properties:
                if clean.get(name) is None and not any(p.name == name for p in problems):
                    problems.append(
                        PropertyValueError(
                            name,
                            "REQUIRED_PROPERTY",
                            f"Property {name} is required (unverified wording)",
                        )
                    )
        if problems:
            raise InvalidPropertyValues(problems, self.portal_id)
        return clean

    def _plan(self, ot: ObjectType, names: tuple[str, ...]) -> list[_Step]:
        """What validating each of ``names`` takes, in order (see :meth:`validate`)."""
        live = self.props.live(ot)
        steps: list[_Step] = []
        for name in names:
            prop = live.get(name)
            if prop is None:
                kind = _MISSING
            elif prop.read_only_value or name in _SERVER_PROPS:
                kind = _READ_ONLY
            elif prop.external_options:
                kind = _EXTERNAL
            elif prop.type == "string":
                # a contact's email is checked by normalize
                kind = _NORMALIZE if ot.object_type_id == "0-1" and name == "email" else _TEXT
            else:
                kind = _PARSED
            steps.append((name, prop, kind))
        return steps

    def _external(
        self, prop: Property, raw: Any, allowed: dict[tuple[str, str], bool] | None = None
    ) -> str | None:
        value = None if raw is None else str(int(raw) if isinstance(raw, float) else raw)
        if value is None or value.strip() == "":
            return None
        key = (prop.name, value.strip())
        if allowed is None:
            ok = self.external_option(prop, key[1])
        elif (ok := allowed.get(key)) is None:
            ok = allowed[key] = self.external_option(prop, key[1])
        if not ok:
            # HubSpot refuses an owner id that is no owner (INVALID_OWNER_ID, wording
            # unverified).
            raise PropertyValueError(
                prop.name, "INVALID_OWNER_ID", f"{value} is not a valid owner id"
            )
        return value.strip()

    def _injected_refusal(self, ot: ObjectType, values: Any) -> None:
        if self.dice.refuse_record("hubspot"):
            name = next(iter(values or {}), ot.primary_display_property or "hs_object_id")
            raise InvalidPropertyValues(
                [
                    PropertyValueError(
                        name,
                        "INVALID_VALUE",
                        f"The value of {name} was refused (sandbox-injected per-record refusal)",
                    )
                ],
                self.portal_id,
            )

    # -- writes --------------------------------------------------------------------------
    def _claim_uniques(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        record_id: int,
        before: dict[str, str],
        after: dict[str, str],
    ) -> None:
        """Check every unique value first, then write them: a Conflict leaves no trace,
        so a batch needs no savepoint per record."""
        moves: list[tuple[str, str | None, str | None]] = []
        for name in self.unique_props(ot):
            old, new = before.get(name), after.get(name)
            if name == "email":
                old, new = (old or "").lower() or None, (new or "").lower() or None
            if old == new:
                continue
            if new is not None:
                row = conn.execute(
                    "SELECT record_id FROM unique_values WHERE object_type_id = ? AND prop = ?"
                    " AND value = ?",
                    (ot.object_type_id, name, new),
                ).fetchone()
                if row and row[0] != record_id:
                    if ot.object_type_id == "0-1" and name == "email":
                        raise Conflict(f"Contact already exists. Existing ID: {row[0]}")
                    raise Conflict(
                        f"A {ot.labels['singular']} with the unique value {new!r} for property"
                        f" {name} already exists. Existing ID: {row[0]} (unverified wording)"
                    )
            moves.append((name, old, new))
        for name, old, new in moves:
            if old is not None:
                conn.execute(
                    "DELETE FROM unique_values WHERE object_type_id = ? AND prop = ? AND value = ?",
                    (ot.object_type_id, name, old),
                )
            if new is not None:
                conn.execute(
                    "INSERT INTO unique_values VALUES (?, ?, ?, ?)",
                    (ot.object_type_id, name, new, record_id),
                )

    def _stamp(self, ot: ObjectType, props: dict[str, str], now: str, creating: bool) -> None:
        props["hs_lastmodifieddate"] = now
        if ot.modified_property != "hs_lastmodifieddate":
            props[ot.modified_property] = now
        if creating:
            props["hs_createdate"] = now
            if not ot.custom:
                props["createdate"] = now
            props["hs_object_source"] = "INTEGRATION"

    def insert(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        values: dict[str, str | None],
    ) -> Record:
        now = format_datetime(self.clock.now())
        record_id = self._new_id()
        props = {k: v for k, v in values.items() if v is not None}
        props["hs_object_id"] = str(record_id)
        self._stamp(ot, props, now, creating=True)
        self._claim_uniques(conn, ot, record_id, {}, props)
        self.keys.update(conn, ot, record_id, {}, props)
        self.keys.created(ot, record_id)
        conn.execute(
            "INSERT INTO records (id, object_type_id, props, created_at, updated_at, archived)"
            " VALUES (?, ?, ?, ?, ?, 0)",
            (record_id, ot.object_type_id, jsontext.dumps(props), now, now),
        )
        return Record(record_id, ot.object_type_id, props, now, now)

    def insert_many(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        rows: list[dict[str, str | None]],
    ) -> list[Record]:
        """Create validated records with one statement per table (seeding).

        A duplicate unique value anywhere in the set falls back to :meth:`insert` per
        record, which names the duplicate in HubSpot's error.
        """
        if not rows:
            return []
        with self._id_lock:
            first = self._next_id
            self._next_id += len(rows)
        uniques = self.unique_props(ot)
        made: list[Record] = []
        claims: list[tuple[str, str, str, int]] = []
        now = ""
        for number, values in enumerate(rows, start=first):
            if (number - first) % _STAMP_EVERY == 0:
                now = format_datetime(self.clock.now())
            if None in values.values():
                props = {k: v for k, v in values.items() if v is not None}
            else:
                props = dict(values)
            props["hs_object_id"] = str(number)
            self._stamp(ot, props, now, creating=True)
            for name in uniques:
                value = props.get(name)
                if value is not None:
                    value = value.lower() if name == "email" else value
                    claims.append((ot.object_type_id, name, value, number))
            made.append(Record(number, ot.object_type_id, props, now, now))
        conn.execute("SAVEPOINT bulk")
        try:
            conn.executemany("INSERT INTO unique_values VALUES (?, ?, ?, ?)", claims)
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO bulk")
            conn.execute("RELEASE bulk")
            return [self.insert(conn, ot, values) for values in rows]
        conn.execute("RELEASE bulk")
        conn.executemany(
            "INSERT INTO records (id, object_type_id, props, created_at, updated_at, archived)"
            " VALUES (?, ?, ?, ?, ?, 0)",
            [
                (r.id, r.object_type_id, jsontext.dumps(r.props), r.created_at, r.updated_at)
                for r in made
            ],
        )
        self.keys.insert_many(conn, ot, [(r.id, r.props) for r in made])
        return made

    def modify(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        record: Record,
        values: dict[str, str | None],
    ) -> Record:
        now = format_datetime(self.clock.now())
        props = dict(record.props)
        for key, value in values.items():
            if value is None:
                props.pop(key, None)
            else:
                props[key] = value
        self._stamp(ot, props, now, creating=False)
        self._claim_uniques(conn, ot, record.id, record.props, props)
        self.keys.update(conn, ot, record.id, record.props, props)
        conn.execute(
            "UPDATE records SET props = ?, updated_at = ? WHERE id = ?",
            (jsontext.dumps(props), now, record.id),
        )
        record.props, record.updated_at = props, now
        return record

    def create(self, ot: ObjectType, values: Any) -> Record:
        clean = self.validate(ot, values, creating=True)
        with self.store.db.transaction() as conn:
            return self.insert(conn, ot, clean)

    def update(self, ot: ObjectType, ref: str, id_property: str | None, values: Any) -> Record:
        clean = self.validate(ot, values, creating=False)
        with self.store.db.transaction() as conn:
            record = self.find(conn, ot, ref, id_property)
            if record is None:
                raise object_not_found(ref)
            return self.modify(conn, ot, record, clean)

    def archive(self, ot: ObjectType, ids: list[int]) -> None:
        now = format_datetime(self.clock.now())
        with self.store.db.transaction() as conn:
            rows = (
                [
                    (int(row[0]), jsontext.loads(row[1]))
                    for row in conn.execute(
                        "SELECT id, props FROM records WHERE object_type_id = ? AND archived = 0"
                        f" AND id IN ({','.join('?' * len(ids))})",
                        (ot.object_type_id, *ids),
                    )
                ]
                if ids
                else []
            )
            if not rows:
                return
            live = [record_id for record_id, _ in rows]
            self.keys.drop(conn, ot, rows)
            marks = ",".join("?" * len(live))
            conn.execute(
                f"UPDATE records SET archived = 1, archived_at = ?, updated_at = ? WHERE id IN"
                f" ({marks})",
                (now, now, *live),
            )
            conn.execute(f"DELETE FROM unique_values WHERE record_id IN ({marks})", live)
            for callback in self.on_archive:
                callback(conn, live)

    # -- batches ------------------------------------------------------------------------------
    def batch_create(
        self,
        ot: ObjectType,
        inputs: list[dict[str, Any]],
        on_created: Any = None,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        names = self.selected(ot, None)
        allowed: dict[tuple[str, str], bool] = {}
        normalized: dict[tuple[str, type, Any], str | None] = {}
        plans: dict[tuple[str, ...], _Plan] = {}
        with self.store.db.transaction() as conn:
            for item in inputs:
                trace = item.get("objectWriteTraceId")
                try:
                    self._injected_refusal(ot, item.get("properties"))
                    clean = self.validate(
                        ot, item.get("properties"), True, allowed, normalized, plans
                    )
                    conn.execute("SAVEPOINT rec")
                    mark = self.keys.counts.savepoint()
                    try:
                        record = self.insert(conn, ot, clean)
                        if on_created is not None:
                            on_created(conn, ot, record, item.get("associations") or [])
                    except BaseException:
                        conn.execute("ROLLBACK TO rec")
                        self.keys.counts.rollback_to(mark)
                        raise
                    finally:
                        conn.execute("RELEASE rec")
                except HubSpotError as exc:
                    ctx = (
                        {"objectWriteTraceId": [trace]}
                        if trace
                        else {"propertyName": sorted((item.get("properties") or {}).keys())}
                    )
                    errors.append(exc.as_batch_error(ctx))
                    continue
                wire = record.wire(names)
                if trace:
                    wire["objectWriteTraceId"] = trace
                results.append(wire)
        return results, errors

    def batch_update(
        self,
        ot: ObjectType,
        inputs: list[dict[str, Any]],
        upsert: bool,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        seen: set[tuple[str | None, str]] = set()
        dupes: list[str] = []
        for item in inputs:
            if "id" not in item:
                raise ValidationError("Some required fields were not set: [id]")
            key = (item.get("idProperty"), str(item["id"]))
            if key in seen:
                dupes.append(str(item["id"]))
            seen.add(key)
            if item.get("idProperty"):
                self.require_unique(ot, str(item["idProperty"]), upsert, write=True)
        if dupes:
            raise ValidationError(
                f"Duplicate IDs found in batch input: {dupes}. IDs must be unique"
            )
        outcomes: list[tuple[dict[str, Any], Record, bool] | dict[str, Any] | None] = []
        allowed: dict[tuple[str, str], bool] = {}
        normalized: dict[tuple[str, type, Any], str | None] = {}
        plans: dict[tuple[str, ...], _Plan] = {}
        with self.store.db.transaction() as conn:
            found = self._prefetch(conn, ot, inputs)
            creates: list[tuple[int, dict[str, str | None]]] = []
            for item in inputs:
                ref, id_property = str(item["id"]), item.get("idProperty")
                outcome: tuple[dict[str, Any], Record, bool] | dict[str, Any] | None = None
                try:
                    self._injected_refusal(ot, item.get("properties"))
                    if found is None:
                        record = self.find(conn, ot, ref, id_property)
                    else:
                        record = found.get(ref)
                    # validation and unique checks come before any write of the record, so
                    # a refusal needs no savepoint (two statements a record saved)
                    if record is not None:
                        clean = self.validate(
                            ot, item.get("properties"), False, allowed, normalized, plans
                        )
                        outcome = (item, self.modify(conn, ot, record, clean), False)
                    elif upsert and id_property and id_property != "hs_object_id":
                        values = {**(item.get("properties") or {}), id_property: ref}
                        clean = self.validate(ot, values, True, allowed, normalized, plans)
                        if found is None:
                            outcome = (item, self.insert(conn, ot, clean), True)
                        else:  # created below, all at once
                            creates.append((len(outcomes), clean))
                    else:
                        by_id = id_property in (None, "hs_object_id")
                        if not (by_id and self.merged_into(conn, ot, ref) is not None):
                            outcome = not_found_batch(ot, [ref])
                        # a merged-away id is dropped without an error [rec]
                except HubSpotError as exc:
                    trace = item.get("objectWriteTraceId")
                    ctx = {"objectWriteTraceId": [trace]} if trace else {"ids": [ref]}
                    outcome = exc.as_batch_error(ctx)
                outcomes.append(outcome)
            for index, made in self._insert_all(conn, ot, creates):
                item = inputs[index]
                if isinstance(made, HubSpotError):
                    trace = item.get("objectWriteTraceId")
                    ctx = {"objectWriteTraceId": [trace]} if trace else {"ids": [str(item["id"])]}
                    outcomes[index] = made.as_batch_error(ctx)
                else:
                    outcomes[index] = (item, made, True)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        named: dict[tuple[str, ...], _Shown] = {}  # a batch's inputs mostly share their keys
        for outcome in outcomes:
            if outcome is None:
                continue
            if isinstance(outcome, dict):
                errors.append(outcome)
                continue
            item, record, new = outcome
            keys = tuple(item.get("properties") or ())
            shown = named.get(keys)
            if shown is None:
                shown = named[keys] = _Shown.of(ot.default_properties, keys)
            wire = record.wire(shown.names, shown.properties(record.props))
            if upsert:
                wire["new"] = new
            if item.get("objectWriteTraceId"):
                wire["objectWriteTraceId"] = item["objectWriteTraceId"]
            results.append(wire)
        return results, errors

    def _prefetch(
        self, conn: sqlite3.Connection, ot: ObjectType, inputs: list[dict[str, Any]]
    ) -> dict[str, Record] | None:
        """The live records a batch names, in one query, by its input ``id``.

        None (look each up in turn, creating as it goes) unless every input names its
        record by one unique property that no input also sets to another value: then no
        write of the batch can change what a later input finds, and the batch's new
        records can be created together.
        """
        id_properties = {item.get("idProperty") for item in inputs}
        if len(id_properties) != 1:
            return None
        id_property = id_properties.pop()
        if not id_property or id_property == "hs_object_id":
            return None
        for item in inputs:
            values = item.get("properties")
            own = values.get(id_property, item["id"]) if isinstance(values, dict) else item["id"]
            if str(own) != str(item["id"]):
                return None
        email = id_property == "email"
        refs = {(str(item["id"]).lower() if email else str(item["id"])): str(item["id"])
                for item in inputs}  # fmt: skip
        if len(refs) != len(inputs):  # two inputs name one contact (case apart)
            return None
        found: dict[str, Record] = {}
        marks = ",".join("?" * len(refs))
        for row in conn.execute(
            "SELECT u.value, r.* FROM unique_values u JOIN records r ON r.id = u.record_id"
            f" WHERE u.object_type_id = ? AND u.prop = ? AND u.value IN ({marks})"
            " AND r.archived = 0",
            (ot.object_type_id, id_property, *refs),
        ):
            found[refs[row[0]]] = Record.from_row(row[1:])
        return found

    def _insert_all(
        self,
        conn: sqlite3.Connection,
        ot: ObjectType,
        creates: list[tuple[int, dict[str, str | None]]],
    ) -> list[tuple[int, Record | HubSpotError]]:
        """Create a batch's new records: one statement per table when no unique value
        clashes, else one at a time, each clash its record's error (HubSpot's wording)."""
        if not creates:
            return []
        conn.execute("SAVEPOINT creates")
        mark = self.keys.counts.savepoint()
        try:
            made = self.insert_many(conn, ot, [clean for _, clean in creates])
        except HubSpotError:  # insert_many's one-by-one retry met the clash
            conn.execute("ROLLBACK TO creates")
            self.keys.counts.rollback_to(mark)
        else:
            conn.execute("RELEASE creates")
            return [(index, record) for (index, _), record in zip(creates, made, strict=True)]
        conn.execute("RELEASE creates")
        out: list[tuple[int, Record | HubSpotError]] = []
        for index, clean in creates:
            try:
                out.append((index, self.insert(conn, ot, clean)))
            except HubSpotError as exc:
                out.append((index, exc))
        return out

    def batch_read(
        self,
        ot: ObjectType,
        ids: list[str],
        id_property: str | None,
        names: list[str],
        archived: bool,
    ) -> tuple[list[Record], list[str]]:
        found: list[Record] = []
        missing: list[str] = []
        with self.store.db.reading() as conn:
            for ref in dict.fromkeys(ids):
                record = self.find(conn, ot, ref, id_property, archived)
                if record is None and id_property in (None, "hs_object_id") and not archived:
                    # A merged-away id reads as its merged record (unverified for batch).
                    moved = self.merged_into(conn, ot, ref)
                    record = self.get(conn, ot, moved) if moved is not None else None
                if record is None:
                    missing.append(ref)
                else:
                    found.append(record)
        return found, missing

    def page(
        self,
        ot: ObjectType,
        limit: int,
        after: int | None,
        archived: bool,
    ) -> tuple[list[Record], int | None]:
        with self.store.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM records WHERE object_type_id = ? AND archived = ? AND id >= ?"
                " ORDER BY id LIMIT ?",
                (ot.object_type_id, int(archived), after or 0, limit + 1),
            ).fetchall()
        records = [Record.from_row(r) for r in rows]
        next_after = records[limit].id if len(records) > limit else None
        return records[:limit], next_after

    def all_live(self, ot: ObjectType) -> list[Record]:
        with self.store.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM records WHERE object_type_id = ? AND archived = 0 ORDER BY id",
                (ot.object_type_id,),
            ).fetchall()
        return [Record.from_row(r) for r in rows]

    def count_live(self, object_type_id: str) -> int:
        with self.store.db.reading() as conn:
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM records WHERE object_type_id = ? AND archived = 0",
                    (object_type_id,),
                ).fetchone()[0]
            )

    def with_history(self, record: Record, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """``propertiesWithHistory``: the sandbox keeps only the current value of each."""
        return {
            n: [
                {
                    "value": record.props[n],
                    "timestamp": record.updated_at,
                    "sourceType": "INTEGRATION",
                }
            ]
            for n in names
            if n in record.props
        }


def object_not_found(ref: str) -> ObjectNotFound:
    return ObjectNotFound(
        "resource not found"
        if ref.isdigit()
        else "Object not found.  objectId are usually numeric."
    )
