"""Property: random WHERE trees compiled to SQLite select the rows a plain Python
evaluation of SOQL's (two-valued, null-aware, case-insensitive) semantics selects."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.soql import compile_query

SCHEMA = default_schema()
NOW = datetime(2024, 5, 15, tzinfo=UTC)
NAMES = ["alpha", "Alpha", "beta", "b_ta", "100%", "", None]
STATUSES = ["Draft", "Done", "In Progress", None]
BUDGETS = [None, -1.0, 0.0, 2.5, 10.0]

names = st.sampled_from(NAMES)
row = st.fixed_dictionaries(
    {
        "Name": names,
        "Status__c": st.sampled_from(STATUSES),
        "Budget__c": st.sampled_from(BUDGETS),
        "Is_Active__c": st.booleans(),
    }
)


def soql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(field: str, value: Any) -> str:
    if value is None:
        return "null"
    if field == "Is_Active__c":
        return "true" if value else "false"
    if field == "Budget__c":
        return repr(value)
    return soql_string(value)


leaf = st.one_of(
    st.tuples(
        st.just("cmp"),
        st.sampled_from(["Name", "Status__c"]),
        st.sampled_from(["=", "!=", "<", ">=", "<>"]),
        st.sampled_from([v for v in NAMES + STATUSES if v != ""]),
    ),
    st.tuples(
        st.just("cmp"),
        st.just("Budget__c"),
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        st.sampled_from(BUDGETS),
    ),
    st.tuples(st.just("cmp"), st.just("Is_Active__c"), st.sampled_from(["=", "!="]), st.booleans()),
    st.tuples(
        st.just("like"),
        st.just("Name"),
        st.just("LIKE"),
        st.sampled_from(["a%", "%A", "b_ta", "%", "_", "100\\%"]),
    ),
    st.tuples(
        st.just("in"),
        st.sampled_from(["Status__c", "Name"]),
        st.sampled_from(["IN", "NOT IN"]),
        st.lists(st.sampled_from(["Draft", "done", "alpha", None]), min_size=1, max_size=3),
    ),
)
tree = st.recursive(
    leaf,
    lambda kids: st.one_of(
        st.tuples(st.sampled_from(["AND", "OR"]), st.lists(kids, min_size=2, max_size=3)),
        st.tuples(st.just("NOT"), kids),
    ),
    max_leaves=8,
)


def render(node: Any) -> str:
    kind = node[0]
    if kind in ("AND", "OR"):
        return f" {kind} ".join(f"({render(child)})" for child in node[1])
    if kind == "NOT":
        return f"NOT ({render(node[1])})"
    _, field, op, value = node
    if kind == "like":
        return f"{field} LIKE '{value}'"
    if kind == "in":
        return f"{field} {op} ({', '.join(literal(field, v) for v in value)})"
    return f"{field} {op} {literal(field, value)}"


def fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def like(value: str, pattern: str) -> bool:
    regex = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def evaluate(node: Any, rec: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "AND":
        return all(evaluate(child, rec) for child in node[1])
    if kind == "OR":
        return any(evaluate(child, rec) for child in node[1])
    if kind == "NOT":
        return not evaluate(node[1], rec)
    _, field, op, value = node
    col = rec[field]
    if kind == "like":
        return col is not None and like(col, value)
    if kind == "in":
        inside = col in value if col is None else fold(col) in {fold(v) for v in value}
        return inside if op == "IN" else not inside
    op = "!=" if op == "<>" else op
    if value is None:
        return (col is None) == (op == "=") if op in ("=", "!=") else False
    if op == "!=":
        return col is None or fold(col) != fold(value)
    if col is None:
        return False
    a, b = fold(col), fold(value)
    return {"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def make_db(rows: list[dict[str, Any]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    obj = SCHEMA.object("Project__c")
    assert obj is not None
    cols = ", ".join(f'"{f.name}" {f.sql_type}' for f in obj.fields.values())
    conn.execute(f'CREATE TABLE "{obj.table}" (_rowid INTEGER PRIMARY KEY, {cols})')
    for i, rec in enumerate(rows):
        conn.execute(
            'INSERT INTO "sobj_Project__c" ("Id", "Name", "Status__c", "Budget__c", '
            '"Is_Active__c", "IsDeleted") VALUES (?, ?, ?, ?, ?, 0)',
            (f"a0X5g000000{i:04d}AAA", rec["Name"], rec["Status__c"], rec["Budget__c"],
             int(rec["Is_Active__c"])),
        )  # fmt: skip
    return conn


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=12), where=tree)
def test_compiled_where_agrees_with_python(rows: list[dict[str, Any]], where: Any) -> None:
    compiled = compile_query(f"SELECT Id FROM Project__c WHERE {render(where)}", SCHEMA, NOW)
    sql, params = compiled.select_sql(False)
    got = [r["c0"] for r in make_db(rows).execute(sql, params)]
    expected = [f"a0X5g000000{i:04d}AAA" for i, rec in enumerate(rows) if evaluate(where, rec)]
    assert got == expected, render(where)
