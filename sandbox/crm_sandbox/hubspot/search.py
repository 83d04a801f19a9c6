"""The CRM search engine (``POST /crm/v3/objects/{ot}/search``) as indexed SQL.

filterGroups are OR-ed, the filters of a group AND-ed; values are compared by the
property's type (numbers numerically, dates and datetimes as epoch milliseconds,
strings case-insensitively). Paging is a numeric offset capped at 10,000 results.
Without ``sorts`` results come in creation order (oldest first, i.e. by id).

How a page is found (:mod:`crm_sandbox.hubspot.search_sql` compiles the conditions):

* sorted by ``hs_object_id`` or not sorted: the records of the type in id order;
* sorted by an indexed property: a walk of that property's keys (key, then id), with
  the group's own conditions on that property as the walk's range — the taps' page
  ``modified >= T sorted by modified`` reads only the page's rows — followed by the
  records without the property, in id order;
* sorted by anything else, or by several properties: every match, sorted in Python.

``total`` is a count of the same conditions; a range of one indexed property (or no
filter at all) is counted by :mod:`crm_sandbox.hubspot.counts` in about one bucket of
its index, whatever the range's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.records import Record
from crm_sandbox.hubspot.search_eval import sort_key, sql_value
from crm_sandbox.hubspot.search_request import RESULT_CAP, SearchRequest, Sort, parse
from crm_sandbox.hubspot.search_sql import KEY_RANGE, TRUE, Compiled, json_path
from crm_sandbox.hubspot.values import search_key

if TYPE_CHECKING:
    import sqlite3

    from crm_sandbox.hubspot.models import ObjectType
    from crm_sandbox.hubspot.properties import Properties
    from crm_sandbox.hubspot.records import Records

_COLUMNS = "r.id, r.object_type_id, r.props, r.created_at, r.updated_at, r.archived, r.archived_at"
_LIVE = "r.object_type_id = ? AND r.archived = 0"


@dataclass
class SearchPage:
    total: int
    records: list[Record]
    names: list[str]
    next_after: int | None


class Search:
    def __init__(self, records: Records, props: Properties) -> None:
        self.records = records
        self.props = props
        self.counts = records.keys.counts

    def run(self, ot: ObjectType, body: dict[str, Any]) -> SearchPage:
        request = parse(body)
        live = self.props.live(ot)
        compiled = Compiled(ot, live, self.records.keys.indexed(ot), request)
        sort = _effective_sort(request, live)
        with self.records.store.db.reading() as conn:
            conn.create_function("hs_check", 3, compiled.check)
            conn.create_function("hs_value_check", 3, compiled.value_check)
            indexed = sort is None or sort.prop in ("hs_object_id", *compiled.index.props)
            if indexed and len(request.sorts) <= 1:
                total, page = self._sql_page(conn, compiled, request, sort)
            elif sort is not None and len(request.sorts) == 1:
                conn.create_function("hs_sort_key", 2, _sort_value, deterministic=True)
                total, page = self._sorted_by_value(conn, compiled, request, sort)
            else:
                total, page = self._python_page(conn, compiled, request)
        end = min(request.offset + request.limit, RESULT_CAP, total)
        next_after = end if end < min(total, RESULT_CAP) else None
        names = request.properties or list(ot.default_properties)
        return SearchPage(total, page, names, next_after)

    # -- counting ---------------------------------------------------------------------------
    def count(self, conn: sqlite3.Connection, c: Compiled) -> int:
        type_id = c.ot.object_type_id
        if not c.groups and c.query is None:
            return self.counts.live(conn, type_id)
        interval = c.only_key_range()
        if interval is not None:
            prop, low, high = interval
            if low is not None and high is not None and low.key > high.key:
                return 0
            return self.counts.between(conn, type_id, prop, low, high)
        where, params = c.where()
        row = conn.execute(
            f"SELECT COUNT(*) FROM records r WHERE {_LIVE} AND {where}", (type_id, *params)
        ).fetchone()
        return int(row[0])

    # -- paging -------------------------------------------------------------------------------
    def _sql_page(
        self,
        conn: sqlite3.Connection,
        c: Compiled,
        request: SearchRequest,
        sort: Sort | None,
    ) -> tuple[int, list[Record]]:
        type_id = c.ot.object_type_id
        total = self.count(conn, c)
        start = request.offset
        want = max(0, min(start + request.limit, RESULT_CAP, total) - start)
        if want == 0:
            return total, []
        if sort is None or sort.prop == "hs_object_id":
            where, params = c.where()
            direction = "DESC" if sort is not None and sort.descending else "ASC"
            if where == TRUE:  # the offset walks the type's id index alone
                ids = conn.execute(
                    f"SELECT r.id FROM records r WHERE {_LIVE}"
                    f" ORDER BY r.id {direction} LIMIT ? OFFSET ?",
                    (type_id, want, start),
                ).fetchall()
                return total, _by_ids(conn, [i[0] for i in ids])
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM records r WHERE {_LIVE} AND {where}"
                f" ORDER BY r.id {direction} LIMIT ? OFFSET ?",
                (type_id, *params, want, start),
            ).fetchall()
            return total, [Record.from_row(r) for r in rows]
        # a walk of the sort property's keys, then the records without it
        walk = c.walk_conditions(sort.prop)
        key_sql, key_params = walk or ("1", [])
        where, params = c.where(sort.prop if walk is not None else None)
        walked_from = (
            f"FROM record_keys s JOIN records r ON r.id = s.record_id"
            f" WHERE s.object_type_id = ? AND s.prop = ? AND {key_sql} AND {where}"
        )
        walked_args = (type_id, sort.prop, *key_params, *params)
        if sort.prop in c.index.always:
            present = total
        else:
            present = int(conn.execute(f"SELECT COUNT(*) {walked_from}", walked_args).fetchone()[0])
        out: list[Record] = []
        if start < present and where == TRUE:  # the offset walks the key index alone
            direction = "DESC" if sort.descending else "ASC"
            ids = conn.execute(
                "SELECT s.record_id FROM record_keys s WHERE s.object_type_id = ?"
                f" AND s.prop = ? AND {key_sql}"
                f" ORDER BY s.key {direction}, s.record_id LIMIT ? OFFSET ?",
                (type_id, sort.prop, *key_params, want, start),
            ).fetchall()
            out = _by_ids(conn, [i[0] for i in ids])
        elif start < present:
            direction = "DESC" if sort.descending else "ASC"
            rows = conn.execute(
                f"SELECT {_COLUMNS} {walked_from}"
                f" ORDER BY s.key {direction}, s.record_id LIMIT ? OFFSET ?",
                (*walked_args, want, start),
            ).fetchall()
            out = [Record.from_row(r) for r in rows]
        if len(out) < want:
            where, params = c.where()
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM records r WHERE {_LIVE} AND {where}"
                f" AND r.id NOT IN ({KEY_RANGE}) ORDER BY r.id LIMIT ? OFFSET ?",
                (
                    type_id,
                    *params,
                    type_id,
                    sort.prop,
                    want - len(out),
                    max(0, start - present),
                ),
            ).fetchall()
            out += [Record.from_row(r) for r in rows]
        return total, out

    def _sorted_by_value(
        self, conn: sqlite3.Connection, c: Compiled, request: SearchRequest, sort: Sort
    ) -> tuple[int, list[Record]]:
        """One sort on an unindexed property: SQLite sorts by the value's key (a top-k
        sort, no rows kept beyond the page); records without it come last, present values
        of the wrong type after the others (before them when descending)."""
        total = self.count(conn, c)
        start = request.offset
        want = max(0, min(start + request.limit, RESULT_CAP, total) - start)
        if want == 0:
            return total, []
        prop = c.live[sort.prop]
        where, params = c.where()
        direction = "DESC" if sort.descending else "ASC"
        value = "json_extract(r.props, ?)"
        key = f"hs_sort_key(?, {value})"
        path = json_path(sort.prop)
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM records r WHERE {_LIVE} AND {where}"
            f" ORDER BY ({value} IS NULL), ({key} IS NULL) {direction}, {key} {direction},"
            " r.id LIMIT ? OFFSET ?",
            (c.ot.object_type_id, *params, path, prop.type, path, prop.type, path, want, start),
        ).fetchall()
        return total, [Record.from_row(r) for r in rows]

    def _python_page(
        self, conn: sqlite3.Connection, c: Compiled, request: SearchRequest
    ) -> tuple[int, list[Record]]:
        """Several sorts: every match, stably sorted by each sort from the last."""
        where, params = c.where()
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM records r WHERE {_LIVE} AND {where} ORDER BY r.id",
            (c.ot.object_type_id, *params),
        ).fetchall()
        matched = [Record.from_row(r) for r in rows]
        for sort in reversed(request.sorts):
            prop = c.live.get(sort.prop)
            kind = prop.type if prop else "string"
            present = [r for r in matched if r.props.get(sort.prop) is not None]
            absent = [r for r in matched if r.props.get(sort.prop) is None]
            present.sort(key=lambda r: sort_key(kind, r.props[sort.prop]), reverse=sort.descending)
            matched = present + absent
        end = min(request.offset + request.limit, RESULT_CAP)
        return len(matched), matched[request.offset : end]


def _sort_value(kind: str, value: str | None) -> Any:
    """``hs_sort_key``: a stored value's comparable key as SQLite holds it (None: none)."""
    return None if value is None else sql_value(search_key(kind, value))


def _by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[Record]:
    """The records of ``ids``, in that order."""
    if not ids:
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM records r WHERE r.id IN ({','.join('?' * len(ids))})", ids
    ).fetchall()
    found = {int(row[0]): Record.from_row(row) for row in rows}
    return [found[i] for i in ids if i in found]


def _effective_sort(request: SearchRequest, live: dict[str, Any]) -> Sort | None:
    """The one sort SQL applies; None for creation order (no sort, or an unknown property,
    which leaves every record "without a value" and so in creation order)."""
    if not request.sorts:
        return None
    sort = request.sorts[0]
    return None if len(request.sorts) == 1 and sort.prop not in live else sort
