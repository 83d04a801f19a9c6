"""Resolve a parsed query against the org schema and compile it to parameterised SQLite.

Names are matched case-insensitively and reported back in their canonical case.
Literal values are always bound as parameters, never written into the SQL text.

Every compiled condition is two-valued (never NULL), which is how SOQL treats
nulls: ``Name != 'x'`` matches rows whose Name is null, ``Amount < 5`` does not, and
``NOT (...)`` simply flips the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_sandbox.core.ids import BASE62, salesforce_checksum
from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry
from crm_sandbox.salesforce.soql import ast
from crm_sandbox.salesforce.soql.dates import (
    date_literal_range,
    date_start_storage,
    datetime_literal_to_storage,
)
from crm_sandbox.salesforce.soql.errors import SoqlError, invalid_field, malformed, positioned
from crm_sandbox.salesforce.soql.parser import parse
from crm_sandbox.salesforce.soql.polymorphic import NAME_OBJECT, union_sql

TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "multipicklist", "combobox", "phone", "email", "url",
     "encryptedstring", "time"}
)  # fmt: skip
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = {"int": "int", "long": "long", "double": "double", "currency": "double",
                "percent": "double"}  # fmt: skip
MAX_OFFSET = 2000

_NO_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)
_NO_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
_NO_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, "
    "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)


def q(name: str) -> str:
    """Quote an SQL identifier (names come from the schema, never from the query text)."""
    return '"' + name.replace('"', '""') + '"'


def normalize_id(value: str) -> str | None:
    if len(value) == 18 and all(ch in BASE62 for ch in value):
        return value  # as issued (the org's user ids carry a fixed suffix)
    if len(value) == 15 and all(ch in BASE62 for ch in value):
        return value + salesforce_checksum(value)
    return None


@dataclass(frozen=True)
class Join:
    """A LEFT JOIN of a parent object reached through a lookup."""

    alias: str
    obj: ObjectDef
    from_alias: str
    fk: FieldDef
    source: str | None = None
    """A derived table to join instead of ``obj``'s table (polymorphic lookups)."""
    url_objects: dict[str, str] = field(default_factory=dict)
    """Key prefix -> object name, for the ``attributes.url`` of a polymorphic parent."""

    @property
    def polymorphic(self) -> bool:
        return self.source is not None

    def url_object(self, record_id: str) -> str:
        return self.url_objects.get(record_id[:3], self.obj.name)


@dataclass(frozen=True)
class Resolved:
    """A field path resolved: the relationships walked (with their joins) and the field."""

    rels: tuple[tuple[str, Join], ...]
    """(canonical relationship name, join) per hop."""
    field: FieldDef
    alias: str

    @property
    def path(self) -> tuple[str, ...]:
        return (*(name for name, _ in self.rels), self.field.name)

    @property
    def sql(self) -> str:
        """The column, or a formula field's expression, on this path's table."""
        return self.field.sql(self.alias)


@dataclass
class CompiledQuery:
    """A query ready to run: SQL pieces plus what the row shaper needs."""

    query: ast.Query
    sobject: ObjectDef
    fields: list[Resolved] = field(default_factory=list)
    count: str | None = None
    """``"rows"`` for COUNT() (totalSize only), ``"field"`` for COUNT(field)."""
    joins: list[Join] = field(default_factory=list)
    where_sql: str = ""
    where_params: list[Any] = field(default_factory=list)
    order_sql: str = ""

    @property
    def limit(self) -> int | None:
        return self.query.limit

    @property
    def offset(self) -> int:
        return self.query.offset or 0

    @property
    def joins_sql(self) -> str:
        """The LEFT JOINs of the parent objects (empty without relationship paths)."""
        return "".join(
            f" LEFT JOIN {join.source or q(join.obj.table)} AS {join.alias}"
            f' ON {join.alias}."Id" = {join.from_alias}.{q(join.fk.name)}'
            for join in self.joins
        )

    @property
    def from_sql(self) -> str:
        return f"{q(self.sobject.table)} AS t{self.joins_sql}"

    @property
    def columns_sql(self) -> str:
        cols = ['t."Id" AS "_id"']
        cols += [f'{j.alias}."Id" AS "_id_{j.alias}"' for j in self.joins]
        cols += [f'{f.sql} AS "c{i}"' for i, f in enumerate(self.fields)]
        return ", ".join(cols)

    def filter_sql(
        self, include_deleted: bool, id_range: tuple[str | None, str | None] | None = None
    ) -> tuple[str, list[Any]]:
        """The WHERE clause (with ``IsDeleted = 0`` unless queryAll) and its parameters.

        ``id_range`` (lo, hi) adds ``Id >= lo AND Id < hi``: a Bulk 1.0 PK chunk.
        """
        terms = [] if include_deleted else ['t."IsDeleted" = 0']
        params = list(self.where_params)
        if self.where_sql:
            terms.append(f"({self.where_sql})")
        lo, hi = id_range or (None, None)
        if lo is not None:
            terms.append('t."Id" >= ?')
            params.append(lo)
        if hi is not None:
            terms.append('t."Id" < ?')
            params.append(hi)
        if not terms:
            return "", []
        return " WHERE " + " AND ".join(terms), params

    def limit_sql(self) -> tuple[str, list[Any]]:
        if self.limit is None and not self.offset:
            return "", []
        return " LIMIT ? OFFSET ?", [-1 if self.limit is None else self.limit, self.offset]

    def select_sql(self, include_deleted: bool) -> tuple[str, list[Any]]:
        """Rows in query order: ``_rowid``, ids of the record and its parents, fields."""
        where, params = self.filter_sql(include_deleted)
        lim, lim_params = self.limit_sql()
        sql = (
            f"SELECT t._rowid AS _rowid, {self.columns_sql} FROM {self.from_sql}{where}"
            f" ORDER BY {self.order_sql}{lim}"
        )
        return sql, params + lim_params

    def rowid_sql(
        self,
        include_deleted: bool,
        lead: str = "",
        id_range: tuple[str | None, str | None] | None = None,
    ) -> tuple[str, list[Any]]:
        """Only the row ids in query order (what a cursor snapshots), after ``lead``."""
        where, params = self.filter_sql(include_deleted, id_range)
        lim, lim_params = self.limit_sql()
        sql = f"SELECT {lead}t._rowid FROM {self.from_sql}{where} ORDER BY {self.order_sql}{lim}"
        return sql, params + lim_params

    def count_sql(self, include_deleted: bool) -> tuple[str, list[Any]]:
        where, params = self.filter_sql(include_deleted)
        lim, lim_params = self.limit_sql()
        inner = f"SELECT 1 FROM {self.from_sql}{where}{lim}"
        if self.count == "field" and self.fields:
            inner = f"SELECT 1 FROM {self.from_sql}{where}"
            inner += (" AND " if where else " WHERE ") + f"{self.fields[0].sql} IS NOT NULL"
            inner += lim
        return f"SELECT count(*) FROM ({inner})", params + lim_params


class _Compiler:
    def __init__(self, query: ast.Query, schema: SchemaRegistry, now: datetime) -> None:
        self.query = query
        self.schema = schema
        self.now = now
        self.text = query.text
        obj = schema.object(query.sobject)
        if obj is None or not obj.queryable:
            pos = query.sobject_pos
            raise SoqlError(
                "INVALID_TYPE",
                positioned(self.text, pos.line, pos.column, _NO_TYPE.format(name=query.sobject)),
            )
        self.obj = obj
        self.joins: dict[tuple[str, str], Join] = {}
        self.params: list[Any] = []

    # --- names ---------------------------------------------------------------------
    def resolve(self, ref: ast.FieldRef) -> Resolved:
        parts = list(ref.parts)
        if (
            len(parts) > 1
            and parts[0].lower() == self.obj.name.lower()
            and (self.obj.relationship(parts[0]) is None)
        ):
            parts = parts[1:]  # `SELECT Account.Name FROM Account`
        obj, alias = self.obj, "t"
        rels: list[tuple[str, Join]] = []
        for part in parts[:-1]:
            fk = obj.relationship(part)
            target = None
            source: str | None = None
            if fk is not None and len(fk.reference_to) > 1:
                target, source = NAME_OBJECT, union_sql(fk, self.schema)
            elif fk is not None:
                target = next(
                    (o for o in map(self.schema.object, fk.reference_to) if o is not None), None
                )
            if fk is None or target is None:
                raise invalid_field(
                    self.text, ref.pos.line, ref.pos.column, _NO_RELATIONSHIP.format(name=part)
                )
            key = (alias, fk.name)
            join = self.joins.get(key)
            if join is None:
                prefixes = {
                    o.key_prefix: o.name
                    for o in map(self.schema.object, fk.reference_to)
                    if o is not None and source is not None
                }
                join = Join(f"p{len(self.joins) + 1}", target, alias, fk, source, prefixes)
                self.joins[key] = join
            rels.append((fk.relationship_name or part, join))
            obj, alias = target, join.alias
        fdef = obj.field(parts[-1])
        if fdef is None:
            raise invalid_field(
                self.text,
                ref.pos.line,
                ref.pos.column,
                _NO_COLUMN.format(name=parts[-1], entity=obj.name),
            )
        return Resolved(tuple(rels), fdef, alias)

    # --- SELECT --------------------------------------------------------------------
    def select(self, compiled: CompiledQuery) -> None:
        seen: set[tuple[str, ...]] = set()
        for item in self.query.select:
            if isinstance(item, ast.CountExpr):
                if len(self.query.select) > 1:
                    raise malformed(
                        self.text, item.pos.line, item.pos.column,
                        "COUNT() and COUNT(field) must be the only field selected",
                    )  # fmt: skip
                compiled.count = "rows" if item.field is None else "field"
                if item.field is not None:
                    compiled.fields.append(self.resolve(item.field))
                continue
            for ref in self.expand(item) if isinstance(item, ast.FieldsExpr) else [item]:
                resolved = self.resolve(ref)
                key = tuple(p.lower() for p in resolved.path)
                if key in seen:
                    raise SoqlError(
                        "MALFORMED_QUERY",  # (unverified which code Salesforce uses here)
                        f"duplicate field selected: {'.'.join(resolved.path)}",
                    )
                seen.add(key)
                compiled.fields.append(resolved)

    def expand(self, item: ast.FieldsExpr) -> list[ast.FieldRef]:
        """FIELDS(ALL|STANDARD|CUSTOM): the object's fields of that group in describe order.

        ALL and CUSTOM are "unbounded" (a custom field can be added any time), so
        Salesforce takes them only with a LIMIT of at most 200.
        """
        group = item.group.upper()
        if group not in ("ALL", "STANDARD", "CUSTOM"):
            raise malformed(
                self.text, item.pos.line, item.pos.column, f"unexpected token: '{item.group}'"
            )
        if group != "STANDARD" and (self.query.limit is None or self.query.limit > 200):
            raise SoqlError(
                "MALFORMED_QUERY",
                "The SOQL FIELDS function must have a LIMIT of at most 200",  # (unverified)
            )
        return [
            ast.FieldRef((f.name,), item.pos)
            for f in self.obj.fields.values()
            if group == "ALL" or f.custom == (group == "CUSTOM")
        ]

    # --- WHERE ---------------------------------------------------------------------
    def condition(self, node: ast.Condition) -> str:
        if isinstance(node, ast.And):
            return "(" + " AND ".join(self.condition(i) for i in node.items) + ")"
        if isinstance(node, ast.Or):
            return "(" + " OR ".join(self.condition(i) for i in node.items) + ")"
        if isinstance(node, ast.Not):
            return f"(NOT {self.condition(node.item)})"
        resolved = self.resolve(node.field)
        fdef = resolved.field
        if not fdef.filterable:
            raise invalid_field(
                self.text, node.field.pos.line, node.field.pos.column,
                f"field '{fdef.name}' can not be filtered in a query call",
            )  # fmt: skip
        if isinstance(node, ast.Compare):
            return self.compare(resolved, node.op, node.value, node.field)
        if isinstance(node, ast.Like):
            return self.like(resolved, node)
        if isinstance(node, ast.InList):
            return self.in_list(resolved, node)
        return self.includes(resolved, node)

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    @staticmethod
    def collate(fdef: FieldDef) -> str:
        return " COLLATE NOCASE" if fdef.type in TEXT_TYPES else ""

    def type_error(
        self, ref: ast.FieldRef, fdef: FieldDef, type_name: str, quoted: bool
    ) -> SoqlError:
        should = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
        return invalid_field(
            self.text, ref.pos.line, ref.pos.column,
            f"value of filter criterion for field '{fdef.name}' must be of type {type_name} "
            f"and {should}",
        )  # fmt: skip

    def value(self, ref: ast.FieldRef, fdef: FieldDef, lit: ast.Literal) -> Any:
        """A literal as the stored value it is compared with (type-checked)."""
        ftype = fdef.type
        if ftype in TEXT_TYPES:
            if lit.kind != "string":
                raise self.type_error(ref, fdef, "string", True)
            return lit.value
        if ftype in ID_TYPES:
            if lit.kind != "string":
                raise self.type_error(ref, fdef, "id", True)
            text = str(lit.value)
            normalized = normalize_id(text)
            if normalized is None:
                raise SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    positioned(
                        self.text, lit.pos.line, lit.pos.column, f"invalid ID field: {text}"
                    ),
                )
            return normalized
        if ftype == "boolean":
            if lit.kind != "boolean":
                raise self.type_error(ref, fdef, "boolean", False)
            return 1 if lit.value else 0
        if ftype in NUMBER_TYPES:
            if lit.kind != "number":
                raise self.type_error(ref, fdef, NUMBER_TYPES[ftype], False)
            return lit.value
        if ftype == "date":
            if lit.kind != "date":
                raise self.type_error(ref, fdef, "date", False)
            return lit.value
        if ftype == "datetime":
            if lit.kind != "datetime":
                raise self.type_error(ref, fdef, "dateTime", False)
            return datetime_literal_to_storage(str(lit.value))
        if lit.kind != "string":
            raise self.type_error(ref, fdef, "string", True)
        return lit.value

    def date_range(self, ref: ast.FieldRef, fdef: FieldDef, lit: ast.Literal) -> tuple[str, str]:
        if fdef.type not in ("date", "datetime"):
            raise self.type_error(ref, fdef, _type_name(fdef), fdef.type in TEXT_TYPES)
        name, n = lit.value  # type: ignore[misc]
        start, end = date_literal_range(name, n, self.now)
        if fdef.type == "date":
            return start.isoformat(), end.isoformat()
        return date_start_storage(start), date_start_storage(end)

    def compare(self, res: Resolved, op: str, lit: ast.Literal, ref: ast.FieldRef) -> str:
        col = res.sql
        if lit.kind == "null":
            if op == "=":
                return f"({col} IS NULL)"
            if op == "!=":
                return f"({col} IS NOT NULL)"
            return "(0)"  # ordering against null matches nothing
        if lit.kind == "date_literal":
            start, end = self.date_range(ref, res.field, lit)
            if op == "=":
                s, e = self.bind(start), self.bind(end)
                return f"({col} IS NOT NULL AND {col} >= {s} AND {col} < {e})"
            if op == "!=":
                s, e = self.bind(start), self.bind(end)
                return f"({col} IS NULL OR {col} < {s} OR {col} >= {e})"
            # < before the range, <= up to its end, > after it, >= from its start
            bound = self.bind(end if op in ("<=", ">") else start)
            sql_op = {"<": "<", "<=": "<", ">": ">=", ">=": ">="}[op]
            return f"({col} IS NOT NULL AND {col} {sql_op} {bound})"
        value = self.value(ref, res.field, lit)
        coll = self.collate(res.field)
        p = self.bind(value)
        if op == "!=":
            return f"({col} IS NULL OR {col} <> {p}{coll})"
        return f"({col} IS NOT NULL AND {col} {op} {p}{coll})"

    def like(self, res: Resolved, node: ast.Like) -> str:
        from crm_sandbox.salesforce.soql.parser import decode_string

        fdef = res.field
        if node.value.kind != "string" or fdef.type not in TEXT_TYPES | ID_TYPES:
            raise self.type_error(node.field, fdef, _type_name(fdef), fdef.type in TEXT_TYPES)
        pattern = decode_string(node.value.text, self.text, node.value.pos, keep_like_escapes=True)
        p = self.bind(pattern)
        return f"({res.sql} IS NOT NULL AND {res.sql} LIKE {p} ESCAPE '\\')"

    def in_list(self, res: Resolved, node: ast.InList) -> str:
        col, coll = res.sql, self.collate(res.field)
        has_null = any(v.kind == "null" for v in node.values)
        values = [self.value(node.field, res.field, v) for v in node.values if v.kind != "null"]
        if not values:
            return f"({col} IS NOT NULL)" if node.negated else f"({col} IS NULL)"
        marks = ", ".join(self.bind(v) for v in values)
        if node.negated:
            null_part = "IS NOT NULL AND" if has_null else "IS NULL OR"
            return f"({col} {null_part} {col}{coll} NOT IN ({marks}))"
        null_part = f" OR {col} IS NULL" if has_null else ""
        return f"(({col} IS NOT NULL AND {col}{coll} IN ({marks})){null_part})"

    def includes(self, res: Resolved, node: ast.Includes) -> str:
        if res.field.type != "multipicklist":
            raise invalid_field(
                self.text, node.field.pos.line, node.field.pos.column,
                "includes or excludes operator only valid on multipicklist field",
            )  # fmt: skip
        col = res.sql
        wrapped = f"(';' || lower({col}) || ';')"
        alternatives = []
        for lit in node.values:
            value = self.value(node.field, res.field, lit)
            parts = [p.strip().lower() for p in str(value).split(";") if p.strip()]
            terms = [f"instr({wrapped}, {self.bind(';' + p + ';')}) > 0" for p in parts]
            alternatives.append("(" + " AND ".join(terms or ["0"]) + ")")
        any_of = "(" + " OR ".join(alternatives) + ")"
        if node.negated:
            return f"({col} IS NULL OR NOT {any_of})"
        return f"({col} IS NOT NULL AND {any_of})"

    # --- ORDER BY ------------------------------------------------------------------
    def order(self) -> str:
        terms = []
        for item in self.query.order_by:
            res = self.resolve(item.field)
            if not res.field.sortable:
                raise invalid_field(
                    self.text, item.field.pos.line, item.field.pos.column,
                    f"field '{res.field.name}' can not be sorted in a query call",
                )  # fmt: skip
            direction = "DESC" if item.descending else "ASC"
            nulls = "NULLS LAST" if item.nulls_last else "NULLS FIRST"
            terms.append(f"{res.sql}{self.collate(res.field)} {direction} {nulls}")
        # A stable order: Id breaks ties; without ORDER BY, storage (insertion) order.
        terms.append('t."Id" ASC' if terms else "t._rowid ASC")
        return ", ".join(terms)

    def compile(self) -> CompiledQuery:
        compiled = CompiledQuery(self.query, self.obj)
        self.select(compiled)
        if self.query.where is not None:
            compiled.where_sql = self.condition(self.query.where)
            compiled.where_params = self.params
        compiled.order_sql = self.order()
        if self.query.offset is not None and self.query.offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        compiled.joins = list(self.joins.values())
        return compiled


def _type_name(fdef: FieldDef) -> str:
    if fdef.type in TEXT_TYPES:
        return "string"
    if fdef.type in ID_TYPES:
        return "id"
    if fdef.type == "datetime":
        return "dateTime"
    return NUMBER_TYPES.get(fdef.type, fdef.type)


def compile_query(text: str, schema: SchemaRegistry, now: datetime) -> CompiledQuery:
    """Parse and compile SOQL; raises :class:`SoqlError` as Salesforce would refuse it."""
    return _Compiler(parse(text), schema, now).compile()
