"""SOQL grammar and compiler: parsing, name resolution, errors with positions, SQL results."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from crm_sandbox.salesforce.org import default_schema
from crm_sandbox.salesforce.soql import SoqlError, ast, compile_query, parse
from crm_sandbox.salesforce.soql.dates import date_literal_range, datetime_literal_to_storage
from crm_sandbox.salesforce.soql.shaping import csv_header, csv_row, json_record

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)  # a Wednesday
SCHEMA = default_schema()


def error_of(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as info:
        compile_query(text, SCHEMA, NOW)
    return info.value


# --- parsing ---------------------------------------------------------------------------


def test_parses_full_query_case_insensitively() -> None:
    query = parse(
        "select Id, account__r.Name from Project__c where (Name = 'a' or Budget__c > 5) "
        "and not Status__c in ('Draft') order by Name desc nulls last, Id limit 10 offset 5"
    )
    assert query.sobject == "Project__c"
    assert [f.text for f in query.select] == ["Id", "account__r.Name"]
    assert isinstance(query.where, ast.And)
    assert isinstance(query.where.items[1], ast.Not)
    assert query.order_by[0].descending and query.order_by[0].nulls_last
    assert query.order_by[1] == ast.OrderItem(query.order_by[1].field)
    assert (query.limit, query.offset) == (10, 5)


def test_object_named_like_a_keyword_and_fields_starting_with_keywords() -> None:
    assert parse("SELECT Id FROM Order").sobject == "Order"
    assert parse("SELECT Count__c, Order__c, Limit__c FROM X").select[0].text == "Count__c"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("'it\\'s'", "string", "it's"),
        ("'a\\nb'", "string", "a\nb"),
        ("42", "number", 42),
        ("-1.5", "number", -1.5),
        ("TRUE", "boolean", True),
        ("null", "null", None),
        ("2024-01-01", "date", "2024-01-01"),
        ("2024-01-01T00:00:00.000000Z", "datetime", "2024-01-01T00:00:00.000000Z"),
        ("2024-01-01T00:00:00+00:00", "datetime", "2024-01-01T00:00:00+00:00"),
        ("LAST_N_DAYS:30", "date_literal", ("LAST_N_DAYS", 30)),
        ("this_month", "date_literal", ("THIS_MONTH", None)),
    ],
)
def test_literals(text: str, kind: str, value: object) -> None:
    where = parse(f"SELECT Id FROM Account WHERE Name = {text}").where
    assert isinstance(where, ast.Compare)
    assert (where.value.kind, where.value.value) == (kind, value)


def test_datetime_literals_to_stored_utc() -> None:
    assert datetime_literal_to_storage("2024-01-01T00:00:00.000000Z") == "2024-01-01T00:00:00.000Z"
    assert datetime_literal_to_storage("2024-01-01T02:00:00.5+02:00") == "2024-01-01T00:00:00.500Z"
    assert datetime_literal_to_storage("2024-01-01T00:00:00-01:30") == "2024-01-01T01:30:00.000Z"


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, "2024-05-15", "2024-05-16"),
        ("YESTERDAY", None, "2024-05-14", "2024-05-15"),
        ("THIS_WEEK", None, "2024-05-12", "2024-05-19"),
        ("LAST_MONTH", None, "2024-04-01", "2024-05-01"),
        ("THIS_QUARTER", None, "2024-04-01", "2024-07-01"),
        ("LAST_N_DAYS", 1, "2024-05-14", "2024-05-16"),
        ("NEXT_N_DAYS", 2, "2024-05-16", "2024-05-18"),
        ("LAST_90_DAYS", None, "2024-02-15", "2024-05-16"),
        ("N_DAYS_AGO", 3, "2024-05-12", "2024-05-13"),
        ("LAST_N_MONTHS", 2, "2024-03-01", "2024-05-01"),
        ("NEXT_YEAR", None, "2025-01-01", "2026-01-01"),
    ],
)
def test_date_literal_ranges(name: str, n: int | None, start: str, end: str) -> None:
    lo, hi = date_literal_range(name, n, NOW)
    assert (lo.isoformat(), hi.isoformat()) == (start, end)


# --- errors, with Salesforce's messages and positions ---------------------------------


def test_missing_object_is_malformed_at_the_select_item() -> None:
    err = error_of("SELECT Nme FROM")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == (
        "\nSELECT Nme FROM\n       ^\nERROR at Row:1:Column:8\nunexpected token: 'FROM'"
    )


def test_unknown_field() -> None:
    err = error_of("SELECT Nme FROM Account")
    assert err.error_code == "INVALID_FIELD"
    assert err.message == (
        "\nSELECT Nme FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Nme' "
        "on entity 'Account'. If you are attempting to use a custom field, be sure to append "
        "the '__c' after the custom field name. Please reference your WSDL or the describe "
        "call for the appropriate names."
    )


def test_unknown_object() -> None:
    err = error_of("SELECT Id FROM Projekt__c")
    assert err.error_code == "INVALID_TYPE"
    assert "\nERROR at Row:1:Column:16\nsObject type 'Projekt__c' is not supported." in err.message


def test_unknown_relationship_and_parent_field() -> None:
    err = error_of("SELECT Acount.Name FROM Contact")
    assert err.error_code == "INVALID_FIELD"
    assert "Didn't understand relationship 'Acount' in field path" in err.message
    err = error_of("SELECT Account__r.Nme FROM Project__c")
    assert "No such column 'Nme' on entity 'Account'" in err.message


def test_mixing_and_or_without_parentheses() -> None:
    err = error_of("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("ERROR at Row:1:Column:56\nunexpected token: 'OR'")


@pytest.mark.parametrize(
    ("text", "code", "tail"),
    [
        ("SELECT Id, FROM Account", "MALFORMED_QUERY", "Column:12\nunexpected token: 'FROM'"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "Column:29\nunexpected token: <EOF>"),
        ("SELECT Id FROM Account WHERE Name = \"x\"", "MALFORMED_QUERY", "unexpected token: '\"'"),
        ("SELECT Id FROM Account\nWHERE Name = 5", "INVALID_FIELD",
         "Row:2:Column:7\nvalue of filter criterion for field 'Name' must be of type string "
         "and should be enclosed in quotes"),
        ("SELECT Id FROM Project__c WHERE Budget__c = '5'", "INVALID_FIELD",
         "must be of type double and should not be enclosed in quotes"),
        ("SELECT Id FROM Project__c WHERE Is_Active__c = 'true'", "INVALID_FIELD",
         "must be of type boolean and should not be enclosed in quotes"),
        ("SELECT Id FROM Project__c WHERE Kickoff__c > 2024-01-01", "INVALID_FIELD",
         "must be of type dateTime and should not be enclosed in quotes"),
        ("SELECT Id FROM Project__c WHERE Start_Date__c > 2024-01-01T00:00:00Z", "INVALID_FIELD",
         "must be of type date and should not be enclosed in quotes"),
        ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid ID field: abc"),
        ("SELECT Id FROM Project__c WHERE Description__c = 'x'", "INVALID_FIELD",
         "field 'Description__c' can not be filtered in a query call"),
        ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE",
         "Maximum SOQL offset allowed is 2000"),
    ],
)  # fmt: skip
def test_error_paths(text: str, code: str, tail: str) -> None:
    err = error_of(text)
    assert err.error_code == code
    assert err.message.endswith(tail), err.message


# --- compiled SQL against SQLite --------------------------------------------------------


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    for name in ("Account", "User", "Project__c"):
        obj = SCHEMA.object(name)
        assert obj is not None
        cols = ", ".join(f'"{f.name}" {f.sql_type}' for f in obj.fields.values())
        conn.execute(f'CREATE TABLE "{obj.table}" (_rowid INTEGER PRIMARY KEY, {cols})')
    conn.execute(
        'INSERT INTO "sobj_User" ("Id", "Name", "IsDeleted") VALUES (?, ?, 0)',
        ("0055g0000000001AAA", "Ada"),
    )
    conn.execute(
        'INSERT INTO "sobj_Account" ("Id", "Name", "OwnerId", "IsDeleted") VALUES (?, ?, ?, 0)',
        ("0015g0000000001AAA", "Acme", "0055g0000000001AAA"),
    )
    rows = [
        ("a0X5g0000000001AAA", "Alpha", "Draft", 10.0, "AI;Web", 1, "2024-05-15T08:00:00.000Z",
         "2024-05-01", "0015g0000000001AAA", 0),
        ("a0X5g0000000002AAA", "beta", "Done", None, "Mobile", 0, "2024-05-10T08:00:00.000Z",
         None, None, 0),
        ("a0X5g0000000003AAA", None, None, 5.5, None, 0, "2024-04-01T00:00:00.000Z",
         "2023-12-31", None, 0),
        ("a0X5g0000000004AAA", "100% real_", "Done", 99.0, "Web", 1, "2024-05-15T23:59:59.999Z",
         None, "0015g0000000001AAA", 1),
    ]  # fmt: skip
    conn.executemany(
        'INSERT INTO "sobj_Project__c" ("Id", "Name", "Status__c", "Budget__c", "Tags__c", '
        '"Is_Active__c", "SystemModstamp", "Start_Date__c", "Account__c", "IsDeleted") '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return conn


def names(db: sqlite3.Connection, where: str, include_deleted: bool = False) -> list[str | None]:
    compiled = compile_query(f"SELECT Name FROM Project__c {where}", SCHEMA, NOW)
    sql, params = compiled.select_sql(include_deleted)
    assert all(isinstance(p, int | float | str) for p in params)
    return [row["c0"] for row in db.execute(sql, params)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("", ["Alpha", "beta", None]),
        ("WHERE Name = 'ALPHA'", ["Alpha"]),
        ("WHERE Name != 'alpha'", ["beta", None]),
        ("WHERE Name = null", [None]),
        ("WHERE Name != null ORDER BY Name DESC", ["beta", "Alpha"]),
        ("WHERE Status__c <> 'Draft'", ["beta", None]),
        ("WHERE NOT Budget__c > 6", ["beta", None]),
        ("WHERE Budget__c < 6", [None]),
        ("WHERE Name LIKE 'a%'", ["Alpha"]),
        ("WHERE Name LIKE '_eta'", ["beta"]),
        ("WHERE Status__c IN ('done', 'Draft')", ["Alpha", "beta"]),
        ("WHERE Status__c NOT IN ('Done')", ["Alpha", None]),
        ("WHERE Status__c IN ('Done', null)", ["beta", None]),
        ("WHERE Tags__c INCLUDES ('web;ai', 'Mobile')", ["Alpha", "beta"]),
        ("WHERE Tags__c EXCLUDES ('Web')", ["beta", None]),
        ("WHERE Is_Active__c = true", ["Alpha"]),
        ("WHERE SystemModstamp >= 2024-05-10T08:00:00.000000Z", ["Alpha", "beta"]),
        ("WHERE SystemModstamp > 2024-05-10T09:59:00+02:00", ["Alpha", "beta"]),
        ("WHERE SystemModstamp = TODAY", ["Alpha"]),
        ("WHERE SystemModstamp = LAST_N_DAYS:7", ["Alpha", "beta"]),
        ("WHERE SystemModstamp < THIS_MONTH", [None]),
        ("WHERE Start_Date__c > 2024-01-01", ["Alpha"]),
        ("WHERE Start_Date__c = LAST_N_DAYS:30", ["Alpha"]),
        ("WHERE (Name = 'Alpha' OR Name = 'beta') AND Budget__c = null", ["beta"]),
        ("WHERE Account__r.Name = 'Acme'", ["Alpha"]),
        ("WHERE Account__c = '0015g0000000001'", ["Alpha"]),
        ("ORDER BY Name", [None, "Alpha", "beta"]),
        ("ORDER BY Name NULLS LAST", ["Alpha", "beta", None]),
        ("ORDER BY Budget__c DESC", ["beta", "Alpha", None]),
        ("ORDER BY Name LIMIT 2 OFFSET 1", ["Alpha", "beta"]),
    ],
)
def test_where_order_limit(db: sqlite3.Connection, where: str, expected: list[str | None]) -> None:
    assert names(db, where) == expected


def test_query_all_includes_deleted_rows(db: sqlite3.Connection) -> None:
    assert names(db, "WHERE Name LIKE '100\\% real\\_'", include_deleted=True) == ["100% real_"]
    assert names(db, "WHERE Name LIKE '100\\% real\\_'") == []


def test_count_queries(db: sqlite3.Connection) -> None:
    compiled = compile_query("SELECT COUNT() FROM Project__c WHERE Name != null", SCHEMA, NOW)
    assert compiled.count == "rows"
    sql, params = compiled.count_sql(False)
    assert db.execute(sql, params).fetchone()[0] == 2
    compiled = compile_query("SELECT COUNT(Budget__c) FROM Project__c", SCHEMA, NOW)
    sql, params = compiled.count_sql(True)
    assert db.execute(sql, params).fetchone()[0] == 3


def test_literals_are_bound_never_interpolated() -> None:
    compiled = compile_query(
        "SELECT Id FROM Account WHERE Name = 'x\\' OR 1=1 --' AND Name LIKE '%y%'", SCHEMA, NOW
    )
    assert "1=1" not in compiled.where_sql and "%y%" not in compiled.where_sql
    assert compiled.where_params == ["x' OR 1=1 --", "%y%"]


def test_row_shaping(db: sqlite3.Connection) -> None:
    compiled = compile_query(
        "SELECT id, NAME, account__r.name, Account__r.Owner.Name, Budget__c, Is_Active__c, "
        "SystemModstamp FROM project__c ORDER BY Name NULLS LAST",
        SCHEMA,
        NOW,
    )
    sql, params = compiled.select_sql(False)
    rows = db.execute(sql, params).fetchall()
    first = json_record(compiled, rows[0], "62.0")
    assert list(first) == ["attributes", "Id", "Name", "Account__r", "Budget__c",
                           "Is_Active__c", "SystemModstamp"]  # fmt: skip
    assert first["attributes"] == {
        "type": "Project__c",
        "url": "/services/data/v62.0/sobjects/Project__c/a0X5g0000000001AAA",
    }
    assert first["Account__r"] == {
        "attributes": {"type": "Account",
                       "url": "/services/data/v62.0/sobjects/Account/0015g0000000001AAA"},
        "Name": "Acme",
        "Owner": {"attributes": {"type": "User",
                                 "url": "/services/data/v62.0/sobjects/User/0055g0000000001AAA"},
                  "Name": "Ada"},
    }  # fmt: skip
    assert (first["Budget__c"], first["Is_Active__c"]) == (10.0, True)
    assert first["SystemModstamp"] == "2024-05-15T08:00:00.000+0000"
    assert json_record(compiled, rows[1], "62.0")["Account__r"] is None
    assert csv_header(compiled) == ["Id", "Name", "Account__r.Name", "Account__r.Owner.Name",
                                    "Budget__c", "Is_Active__c", "SystemModstamp"]  # fmt: skip
    assert csv_row(compiled, rows[1]) == ["a0X5g0000000002AAA", "beta", "", "", "", "false",
                                          "2024-05-10T08:00:00.000Z"]  # fmt: skip
