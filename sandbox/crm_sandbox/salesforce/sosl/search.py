"""Runs a parsed SOSL search over the org's records.

Per object: a SQL ``LIKE`` prefilter built from the term's literal fragments narrows
the rows, the RETURNING clause's SOQL (fields, WHERE, ORDER BY) selects and orders the candidates,
and the term tree is evaluated on the tokens of each candidate's searchable fields (a
word matches a whole token, ``*`` / ``?`` are wildcards, a phrase or a word like
``john@acme.com`` matches consecutive tokens of one field, AND / OR / NOT across
fields) until the clause's OFFSET and LIMIT are met.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.soql import compile_query
from crm_sandbox.salesforce.soql.errors import SoqlError
from crm_sandbox.salesforce.soql.shaping import json_record
from crm_sandbox.salesforce.sosl import ast

if TYPE_CHECKING:
    from datetime import datetime

    from crm_sandbox.core.db import Database
    from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, SchemaRegistry

MAX_RESULTS = 2000
"""SOSL returns at most 2,000 records per search."""
# combobox: Task.Subject, a text field with suggested values, is found by SOSL
TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "combobox"})
_TOKEN = re.compile(r"[^\W_]+")


def searched_fields(obj: ObjectDef, group: str) -> list[FieldDef]:
    """The fields an ``IN <group> FIELDS`` search looks at.

    ALL (and SIDEBAR) covers the text, combobox, email, phone and URL fields; picklists are left
    out (unverified: Salesforce indexes some of them).
    """
    fields = [f for f in obj.fields.values() if f.type in TEXT_TYPES and f.name != "Id"]
    if group == "NAME":
        return [f for f in fields if f.name_field or f.name in ("FirstName", "LastName")]
    if group == "EMAIL":
        return [f for f in fields if f.type == "email"]
    if group == "PHONE":
        return [f for f in fields if f.type == "phone"]
    return fields


@lru_cache(maxsize=256)
def _piece_regex(piece: str) -> re.Pattern[str]:
    body = re.escape(piece).replace(r"\*", r"[^\W_]*").replace(r"\?", r"[^\W_]")
    return re.compile(body)


def _phrase_in(tokens: list[str], pieces: tuple[str, ...]) -> bool:
    patterns = [_piece_regex(p) for p in pieces]
    width = len(patterns)
    for start in range(len(tokens) - width + 1):
        if all(patterns[i].fullmatch(tokens[start + i]) for i in range(width)):
            return True
    return False


def matches(term: ast.Term, values: list[list[str]]) -> bool:
    """Whether a record whose searched fields tokenize to ``values`` matches ``term``."""
    if isinstance(term, ast.Phrase):
        return any(_phrase_in(tokens, term.pieces) for tokens in values)
    if isinstance(term, ast.Not):
        return not matches(term.part, values)
    if isinstance(term, ast.And):
        return all(matches(p, values) for p in term.parts)
    return any(matches(p, values) for p in term.parts)


def _fragment(term: ast.Phrase) -> str:
    """The longest wildcard-free run of a phrase (what every match contains)."""
    runs = [run for piece in term.pieces for run in re.split(r"[*?]", piece)]
    return max(runs, key=len, default="")


def prefilter(term: ast.Term, fields: list[FieldDef], params: list[Any]) -> str:
    """A SQL condition every matching row satisfies (a superset; NOT is not narrowed)."""
    if isinstance(term, ast.Phrase):
        fragment = _fragment(term)
        if len(fragment) < 2:
            return "1"
        escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([f"%{escaped}%"] * len(fields))
        return "(" + " OR ".join(f"t.\"{f.name}\" LIKE ? ESCAPE '\\'" for f in fields) + ")"
    if isinstance(term, ast.Not):
        return "1"
    joiner = " AND " if isinstance(term, ast.And) else " OR "
    return "(" + joiner.join(prefilter(p, fields, params) for p in term.parts) + ")"


def _targets(search: ast.Search, schema: SchemaRegistry) -> list[ast.Target]:
    if search.targets is not None:
        return list(search.targets)
    return [ast.Target(o.name) for o in schema.objects() if o.searchable and o.queryable]


def run_search(
    search: ast.Search, db: Database, schema: SchemaRegistry, now: datetime, version: str
) -> list[dict[str, Any]]:
    """The ``searchRecords`` of a search, in RETURNING order."""
    remaining = min(search.limit or MAX_RESULTS, MAX_RESULTS)
    records: list[dict[str, Any]] = []
    for target in _targets(search, schema):
        obj = schema.object(target.sobject)
        if obj is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{target.sobject}' is not supported.")
        fields = ", ".join(target.fields or ("Id",))
        compiled = compile_query(f"SELECT {fields} FROM {obj.name} {target.tail}", schema, now)
        if compiled.count is not None:
            raise SoqlError("MALFORMED_SEARCH", "Aggregate functions are not supported in SOSL")
        searched = searched_fields(obj, search.group)
        if not searched or remaining <= 0:
            continue
        params: list[Any] = []
        condition = prefilter(search.term, searched, params)
        where, where_params = compiled.filter_sql(include_deleted=False)
        texts = ", ".join(f't."{f.name}" AS "s{i}"' for i, f in enumerate(searched))
        sql = (
            f"SELECT {compiled.columns_sql}, {texts} FROM {compiled.from_sql}{where} "
            f"AND {condition} ORDER BY {compiled.order_sql}"
        )
        skip = compiled.offset
        take = min(remaining, compiled.limit if compiled.limit is not None else remaining)
        with db.transaction() as conn:
            cursor = conn.execute(sql, [*where_params, *params])
            for row in cursor:  # in the query's order: stop once the LIMIT is met
                if take <= 0:
                    break
                values = [row[f"s{i}"] for i in range(len(searched))]
                if not matches(search.term, [_TOKEN.findall(str(v).lower()) for v in values if v]):
                    continue
                if skip:
                    skip -= 1
                    continue
                records.append(json_record(compiled, row, version))
                take -= 1
                remaining -= 1
            cursor.close()
    return records
