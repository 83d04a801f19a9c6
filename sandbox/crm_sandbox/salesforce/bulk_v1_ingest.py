"""Bulk API 1.0 ingest batches: a JSON array or a CSV file of records, written per record.

A batch's records go through the same store writes as Bulk 2.0 (``bulk.write_records``);
each record's outcome is kept (table ``bulk1_ingest_result``) and served as the batch's
result: ``[{"success","created","id","errors"}]`` for JSON jobs, ``Id,Success,Created,
Error`` CSV for CSV jobs, in the order the records were sent.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.bulk import _check_header, _record, blank_record, write_records
from crm_sandbox.salesforce.errors import RecordError, SalesforceError
from crm_sandbox.salesforce.store import SaveResult

if TYPE_CHECKING:
    from crm_sandbox.salesforce.schema import ObjectDef
    from crm_sandbox.salesforce.store import SalesforceStore

MAX_BATCH_RECORDS = 10_000
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bulk1_ingest_result (batch_id TEXT NOT NULL, line INTEGER NOT "
    "NULL, sf_id TEXT, success INTEGER NOT NULL, created INTEGER NOT NULL, errors TEXT NOT NULL, "
    "PRIMARY KEY (batch_id, line))"
)


class BatchRefused(Exception):
    """The whole batch cannot be read: the batch fails with this stateMessage."""


def _parse_json(body: str) -> list[dict[str, Any] | RecordError]:
    try:
        data = json.loads(body)
    except ValueError:
        raise BatchRefused("InvalidBatch : Failed to parse the JSON batch data") from None
    if not isinstance(data, list):
        raise BatchRefused("InvalidBatch : The batch data must be a JSON array of records")
    out: list[dict[str, Any] | RecordError] = []
    for item in data:
        if isinstance(item, dict):
            out.append({k: v for k, v in item.items() if k != "attributes"})
        else:
            out.append(RecordError("INVALID_FIELD", "A record must be a JSON object"))
    return out


def _parse_csv(obj: ObjectDef, operation: str, body: str) -> list[dict[str, Any] | RecordError]:
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise BatchRefused("InvalidBatch : The batch has no header row")
    try:
        _check_header(obj, header, operation)
    except SalesforceError as bad:
        raise BatchRefused(bad.message) from None
    out: list[dict[str, Any] | RecordError] = []
    for row in reader:
        if blank_record(row):
            continue
        try:
            out.append(_record(obj, header, row, operation))
        except ValueError as bad:
            code, _, message = str(bad).partition(":")
            out.append(RecordError(code, message))
    return out


def process_batch(
    conn: sqlite3.Connection,
    store: SalesforceStore,
    batch_id: str,
    job: dict[str, Any],
    body: str,
) -> tuple[int, int]:
    """Write a batch's records and keep their outcomes; (processed, failed)."""
    conn.execute(SCHEMA)
    obj = store.schema.object(job["object"])
    assert obj is not None
    operation = job["operation"]
    is_json = job["contentType"] == "JSON"
    parsed = _parse_json(body) if is_json else _parse_csv(obj, operation, body)
    if len(parsed) > MAX_BATCH_RECORDS:
        # (unverified) wording of the 10,000-record batch limit
        raise BatchRefused(
            f"InvalidBatch : Records in a single batch can't exceed {MAX_BATCH_RECORDS}"
        )
    todo = [p for p in parsed if not isinstance(p, RecordError)]
    saved = iter(write_records(store, obj, operation, job.get("externalIdFieldName"), todo))
    failed = 0
    for line, item in enumerate(parsed):
        result = SaveResult.failed(item) if isinstance(item, RecordError) else next(saved)
        if operation == "hardDelete" and result.success:
            conn.execute(f'DELETE FROM "{obj.table}" WHERE "Id" = ?', (result.id,))
        created = bool(result.created) if result.created is not None else operation == "insert"
        failed += 0 if result.success else 1
        conn.execute(
            "INSERT INTO bulk1_ingest_result VALUES (?, ?, ?, ?, ?, ?)",
            (
                batch_id,
                line,
                result.id,
                int(result.success),
                int(result.success and created),
                json.dumps([e.as_json() for e in result.errors]),
            ),
        )
    return len(parsed), failed


def batch_results(conn: sqlite3.Connection, batch_id: str) -> list[dict[str, Any]]:
    """The kept outcomes of a batch in JSON form, in record order."""
    conn.execute(SCHEMA)
    rows = conn.execute(
        "SELECT sf_id, success, created, errors FROM bulk1_ingest_result WHERE batch_id = ? "
        "ORDER BY line",
        (batch_id,),
    ).fetchall()
    return [
        {"success": bool(r[1]), "created": bool(r[2]), "id": r[0], "errors": json.loads(r[3])}
        for r in rows
    ]


def results_csv(results: list[dict[str, Any]]) -> str:
    """``"Id","Success","Created","Error"`` lines, every value quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Id", "Success", "Created", "Error"])
    for r in results:
        error = " ".join(
            f"{e['statusCode']}:{e['message']}:{','.join(e['fields'])} --" for e in r["errors"]
        )
        flags = ["true" if r["success"] else "false", "true" if r["created"] else "false"]
        writer.writerow([r["id"] or "", *flags, error])
    return buffer.getvalue()
