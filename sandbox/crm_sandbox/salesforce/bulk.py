"""Bulk API 2.0: query jobs and ingest jobs, kept in the org's SQLite file.

Jobs finish at the first status poll once their ready time has passed: at creation
(query) or upload-complete (ingest) a job gets ``ready_at = now + latency_ms`` of the
fault settings, so by default both taps' first 20-second poll sees JobComplete.
Query results are a cursor snapshot (see cursors.py) paged with base64 position
locators; ingest writes go through the store's list writes (an update list set-based).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crm_sandbox.core import jsontext
from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.soql import SoqlError
from crm_sandbox.salesforce.soql.shaping import csv_header, csv_rows
from crm_sandbox.salesforce.values import format_datetime, wire_datetime

if TYPE_CHECKING:
    from crm_sandbox.salesforce.cursors import CursorStore
    from crm_sandbox.salesforce.schema import FieldDef, ObjectDef
    from crm_sandbox.salesforce.store import SalesforceStore, SaveResult

JOB_PREFIX = "750"
DEFAULT_MAX_RECORDS = 50_000
INGEST_CHUNK = 5_000
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}  # fmt: skip
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bulk_job (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT UNIQUE NOT NULL,
        kind TEXT NOT NULL,
        info TEXT NOT NULL,           -- the job's JSON as GET returns it
        query TEXT,
        ready_at TEXT NOT NULL,
        cursor_id INTEGER)""",
    "CREATE TABLE IF NOT EXISTS bulk_upload (job_id TEXT NOT NULL, part INTEGER NOT NULL, "
    "data TEXT NOT NULL, PRIMARY KEY (job_id, part))",
    "CREATE TABLE IF NOT EXISTS bulk_result (job_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "line INTEGER NOT NULL, sf_id TEXT, extra TEXT, cells TEXT NOT NULL, "
    "PRIMARY KEY (job_id, kind, line))",
)


def error(status: int, code: str, message: str) -> SalesforceError:
    return SalesforceError(status, code, message)


def not_found() -> SalesforceError:
    return error(404, "NOT_FOUND", "The requested resource does not exist")


def encode_locator(position: int) -> str:
    return base64.b64encode(str(position).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        padded = locator + "=" * (-len(locator) % 4)
        return int(base64.b64decode(padded).decode())
    except ValueError:
        raise error(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from None


class BulkJobs:
    """Bulk 2.0 jobs of the org; a model without HTTP (routes/bulk.py serves it)."""

    def __init__(self, store: SalesforceStore, cursors: CursorStore, latency_ms: Any) -> None:
        self.store = store
        self.db = store.db
        self.cursors = cursors
        self.latency_ms = latency_ms
        """Callable returning the configured latency (ms) that delays job completion."""
        self._ready = False
        self._processing = threading.Lock()

    # --- plumbing ------------------------------------------------------------------
    def _conn_ready(self, conn: sqlite3.Connection) -> None:
        if not self._ready:
            for sql in _SCHEMA:
                conn.execute(sql)
            self._ready = True

    def _now(self) -> str:
        return format_datetime(self.store.clock.now())

    def _ready_at(self) -> str:
        delay = timedelta(milliseconds=int(self.latency_ms() or 0))
        return format_datetime(self.store.clock.now() + delay)

    def _load(self, conn: sqlite3.Connection, job_id: str, kind: str) -> sqlite3.Row:
        self._conn_ready(conn)
        row = conn.execute(
            "SELECT * FROM bulk_job WHERE id = ? AND kind = ?", (job_id, kind)
        ).fetchone()
        if row is None:
            raise not_found()
        return row

    def _save(
        self, conn: sqlite3.Connection, job_id: str, info: dict[str, Any], **cols: Any
    ) -> None:
        info["systemModstamp"] = wire_datetime(self._now())
        sets = ", ".join(f"{k} = ?" for k in ["info", *cols])
        conn.execute(
            f"UPDATE bulk_job SET {sets} WHERE id = ?",
            (json.dumps(info), *cols.values(), job_id),
        )

    def _new_job(
        self, conn: sqlite3.Connection, kind: str, info: dict[str, Any], query: str | None
    ) -> dict[str, Any]:
        self._conn_ready(conn)
        seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM bulk_job").fetchone()[0]
        job_id = salesforce_id(JOB_PREFIX, seq)
        now = wire_datetime(self._now())
        full = {
            "id": job_id,
            **info,
            "createdById": self.store.user_id,
            "createdDate": now,
            "systemModstamp": now,
        }
        conn.execute(
            "INSERT INTO bulk_job (seq, id, kind, info, query, ready_at) VALUES (?, ?, ?, ?, ?, ?)",
            (seq, job_id, kind, json.dumps(full), query, self._ready_at()),
        )
        return full

    @staticmethod
    def _options(body: dict[str, Any]) -> tuple[str, str]:
        delimiter = body.get("columnDelimiter") or "COMMA"
        line_ending = body.get("lineEnding") or "LF"
        if delimiter not in DELIMITERS:
            raise error(400, "API_ERROR", f"Invalid column delimiter: {delimiter}")
        if line_ending not in LINE_ENDINGS:
            raise error(400, "API_ERROR", f"Invalid line ending: {line_ending}")
        if (body.get("contentType") or "CSV") != "CSV":
            raise error(400, "API_ERROR", f"Invalid content type: {body.get('contentType')}")
        return delimiter, line_ending

    # --- query jobs ----------------------------------------------------------------
    def create_query_job(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in QUERY_OPERATIONS:
            # (unverified) message of an unknown query-job operation
            raise error(400, "API_ERROR", f"Invalid query operation: {operation}")
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise error(400, "API_ERROR", "Query is required for query jobs")
        delimiter, line_ending = self._options(body)
        try:
            compiled = self.cursors.compile(soql)
        except SoqlError as exc:
            raise SalesforceError(exc.status, exc.error_code, exc.message) from None
        if compiled.count is not None:
            raise error(400, "API_ERROR", "Aggregate Relationships not supported in Bulk Query")
        info = {
            "operation": operation,
            "object": compiled.sobject.name,
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": line_ending,
            "columnDelimiter": delimiter,
        }
        with self.db.transaction() as conn:
            job = self._new_job(conn, "query", info, soql)
        return _query_view(job)

    def _advance_query(self, conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        info = json.loads(row["info"])
        if info["state"] == "UploadComplete" and row["ready_at"] <= self._now():
            compiled = self.cursors.compile(row["query"])
            snap = self.cursors.snapshot(
                conn, compiled, info["operation"] == "queryAll", kind="bulk"
            )
            info.update(state="JobComplete", numberRecordsProcessed=snap.total)
            self._save(conn, row["id"], info, cursor_id=snap.id)
        return info

    def query_job(self, job_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            info = self._advance_query(conn, self._load(conn, job_id, "query"))
        return _query_view(info, detail=True)

    def query_results(
        self, job_id: str, locator: str | None, max_records: int | None
    ) -> tuple[str, int, str]:
        """(CSV page, number of records, next locator or ``"null"``)."""
        with self.db.transaction() as conn:
            row = self._load(conn, job_id, "query")
            info = self._advance_query(conn, row)
            if info["state"] != "JobComplete":
                # (unverified) Salesforce's reply when results are read too early
                raise error(400, "API_ERROR", f"Job is not complete, state: {info['state']}")
            cursor_id = conn.execute(
                "SELECT cursor_id FROM bulk_job WHERE id = ?", (job_id,)
            ).fetchone()[0]
            snap = self.cursors.load(conn, cursor_id, "bulk")
            start = decode_locator(locator) if locator else 0
            count = max(1, max_records or DEFAULT_MAX_RECORDS)
            compiled, rows = self.cursors.rows(conn, snap, start, count)
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=DELIMITERS[info["columnDelimiter"]],
            lineterminator=LINE_ENDINGS[info["lineEnding"]],
        )
        writer.writerow(csv_header(compiled))
        writer.writerows(csv_rows(compiled, rows))
        end = min(snap.total, start + count)
        return buffer.getvalue(), len(rows), encode_locator(end) if end < snap.total else "null"

    # --- shared job operations -----------------------------------------------------
    def list_jobs(self, kind: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            self._conn_ready(conn)
            rows = conn.execute(
                "SELECT info FROM bulk_job WHERE kind = ? ORDER BY seq", (kind,)
            ).fetchall()
        view = _query_view if kind == "query" else _ingest_view
        return {"done": True, "records": [view(json.loads(r[0])) for r in rows],
                "nextRecordsUrl": None}  # fmt: skip

    def set_state(self, job_id: str, kind: str, state: str, version: str) -> dict[str, Any]:
        """PATCH a job: Aborted (any open job) or UploadComplete (an Open ingest job)."""
        with self.db.transaction() as conn:
            row = self._load(conn, job_id, kind)
            info = json.loads(row["info"])
            current = info["state"]
            if state == "Aborted" and current in ("Open", "UploadComplete", "InProgress"):
                info["state"] = "Aborted"
                self._save(conn, job_id, info)
            elif state == "UploadComplete" and kind == "ingest" and current == "Open":
                info["state"] = "UploadComplete"
                self._save(conn, job_id, info, ready_at=self._ready_at())
            else:
                # (unverified) wording of an illegal state change
                raise error(
                    400, "INVALIDJOBSTATE", f"Cannot change state from {current} to {state}"
                )
        return (_query_view if kind == "query" else _ingest_view)(info)

    def delete_job(self, job_id: str, kind: str) -> None:
        with self.db.transaction() as conn:
            row = self._load(conn, job_id, kind)
            info = json.loads(row["info"])
            if info["state"] in ("Open", "UploadComplete", "InProgress"):
                raise error(
                    400, "INVALIDJOBSTATE", "Job must be complete, aborted or failed to delete"
                )
            if row["cursor_id"] is not None:
                self.cursors._drop(conn, row["cursor_id"])
            conn.execute("DELETE FROM bulk_result WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM bulk_upload WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM bulk_job WHERE id = ?", (job_id,))

    # --- ingest jobs ---------------------------------------------------------------
    def create_ingest_job(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in INGEST_OPERATIONS:
            raise error(400, "API_ERROR", f"Invalid operation: {operation}")  # (unverified)
        obj = self.store.schema.object(str(body.get("object") or ""))
        if obj is None:
            raise error(
                400,
                "INVALIDENTITY",  # (unverified) Bulk 2.0 wording of an unknown object
                f"Entity '{body.get('object')}' is not supported by the Bulk API.",
            )
        delimiter, line_ending = self._options(body)
        ext = body.get("externalIdFieldName")
        if operation == "upsert":
            fdef = obj.field(str(ext or ""))
            if fdef is None or not (fdef.external_id or fdef.id_lookup):
                raise error(
                    400,
                    "INVALIDJOB",
                    f"Invalid value for externalIdFieldName: {ext}"
                    if ext
                    else "External ID was blank for upsert operation",
                )
            ext = fdef.name
        info: dict[str, Any] = {
            "operation": operation,
            "object": obj.name,
            "state": "Open",
            "externalIdFieldName": ext if operation == "upsert" else None,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": line_ending,
            "columnDelimiter": delimiter,
        }
        with self.db.transaction() as conn:
            job = self._new_job(conn, "ingest", info, None)
            job["contentUrl"] = f"services/data/v{version}/jobs/ingest/{job['id']}/batches"
            self._save(conn, job["id"], job)
        return _ingest_view(job)

    def upload(self, job_id: str, data: str) -> None:
        with self.db.transaction() as conn:
            info = json.loads(self._load(conn, job_id, "ingest")["info"])
            if info["state"] != "Open":
                raise error(
                    409 if info["state"] != "Aborted" else 400,
                    "INVALIDJOBSTATE",  # (unverified)
                    "Job is not open for uploads",
                )
            part = conn.execute(
                "SELECT count(*) FROM bulk_upload WHERE job_id = ?", (job_id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO bulk_upload (job_id, part, data) VALUES (?, ?, ?)",
                (job_id, part, data),
            )

    def ingest_job(self, job_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            row = self._load(conn, job_id, "ingest")
        info = json.loads(row["info"])
        if info["state"] == "UploadComplete" and row["ready_at"] <= self._now():
            with self._processing:  # one poll processes; concurrent polls wait for it
                with self.db.transaction() as conn:
                    info = json.loads(self._load(conn, job_id, "ingest")["info"])
                if info["state"] == "UploadComplete":
                    info = self._process(job_id, info)
        return _ingest_view(info, detail=True)

    def _records(self, job_id: str, info: dict[str, Any]) -> Iterator[tuple[list[str], list[str]]]:
        """(header, row) of every uploaded CSV line, in upload order."""
        with self.db.reading() as conn:
            parts = [r[0] for r in conn.execute(
                "SELECT data FROM bulk_upload WHERE job_id = ? ORDER BY part", (job_id,)
            )]  # fmt: skip
        for data in parts:
            reader = csv.reader(io.StringIO(data), delimiter=DELIMITERS[info["columnDelimiter"]])
            header = next(reader, None)
            if header is None:
                continue
            for row in reader:
                if not blank_record(row):
                    yield header, row

    def _process(self, job_id: str, info: dict[str, Any]) -> dict[str, Any]:
        """Run an uploaded ingest job through the store, recording per-record results."""
        obj = self.store.schema.object(info["object"])
        assert obj is not None
        info["state"] = "InProgress"
        processed = failed = 0
        batch: list[tuple[list[str], list[str]]] = []
        checked: list[str] | None = None  # one header a part: checked once, not per row
        try:
            for header, row in self._records(job_id, info):
                if header is not checked:
                    _check_header(obj, header, info["operation"])
                    checked = header
                batch.append((header, row))
                if len(batch) >= INGEST_CHUNK:
                    ok, bad = self._write(job_id, obj, info, batch, processed)
                    processed, failed, batch = processed + ok + bad, failed + bad, []
            if batch:
                ok, bad = self._write(job_id, obj, info, batch, processed)
                processed, failed = processed + ok + bad, failed + bad
            info["state"] = "JobComplete"
        except SalesforceError as exc:
            info["state"] = "Failed"
            info["errorMessage"] = exc.message
        info.update(numberRecordsProcessed=processed, numberRecordsFailed=failed)
        with self.db.transaction() as conn:
            self._save(conn, job_id, info)
        return info

    def _write(
        self,
        job_id: str,
        obj: ObjectDef,
        info: dict[str, Any],
        batch: list[tuple[list[str], list[str]]],
        first_line: int,
    ) -> tuple[int, int]:
        operation = info["operation"]
        records: list[dict[str, Any] | None] = []
        results: list[SaveResult | str | None] = []
        for header, row in batch:
            try:
                records.append(_record(obj, header, row, operation))
                results.append(None)
            except ValueError as exc:
                records.append(None)
                results.append(str(exc))
        todo = [r for r in records if r is not None]
        saved = iter(self._store_write(obj, info, todo))
        final: list[SaveResult | str] = [r if r is not None else next(saved) for r in results]
        ok = bad = 0
        lines: list[tuple[str, str, int, str, str, str]] = []
        with self.db.transaction() as conn:
            for offset, ((header, row), outcome) in enumerate(zip(batch, final, strict=True)):
                line = first_line + offset
                if isinstance(outcome, str) or not outcome.success:
                    bad += 1
                    message = f"{outcome} --" if isinstance(outcome, str) else _error_text(outcome)
                    sf_id = "" if isinstance(outcome, str) else (outcome.id or "")
                    kind, extra = "failed", message
                else:
                    ok += 1
                    created = (
                        outcome.created if outcome.created is not None else (operation == "insert")
                    )
                    sf_id, kind, extra = outcome.id or "", "success", "true" if created else "false"
                    if operation == "hardDelete":
                        conn.execute(f'DELETE FROM "{obj.table}" WHERE "Id" = ?', (sf_id,))
                lines.append((job_id, kind, line, sf_id, extra, jsontext.dumps([header, row])))
            conn.executemany(
                "INSERT INTO bulk_result (job_id, kind, line, sf_id, extra, cells) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                lines,
            )
        return ok, bad

    def _store_write(
        self, obj: ObjectDef, info: dict[str, Any], records: list[dict[str, Any]]
    ) -> list[SaveResult]:
        return write_records(
            self.store, obj, info["operation"], info.get("externalIdFieldName"), records
        )

    def results_csv(self, job_id: str, kind: str) -> str:
        """successfulResults / failedResults / unprocessedrecords as CSV."""
        with self.db.transaction() as conn:
            info = json.loads(self._load(conn, job_id, "ingest")["info"])
            rows = conn.execute(
                "SELECT sf_id, extra, cells FROM bulk_result WHERE job_id = ? AND kind = ? "
                "ORDER BY line",
                (job_id, kind),
            ).fetchall()
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=DELIMITERS[info["columnDelimiter"]],
            lineterminator=LINE_ENDINGS[info["lineEnding"]],
        )
        if kind == "unprocessed":
            lines = list(self._records(job_id, info)) if info["state"] in ("Aborted",) else []
            header = lines[0][0] if lines else []
            writer.writerow(header)
            for _, row in lines:
                writer.writerow(row)
            return buffer.getvalue()
        extra_name = "sf__Created" if kind == "success" else "sf__Error"
        header = jsontext.loads(rows[0][2])[0] if rows else _uploaded_header(self, job_id, info)
        writer.writerow(["sf__Id", extra_name, *header])
        for sf_id, extra, cells in rows:  # cells: [header, row] as _write stored them
            writer.writerow([sf_id, extra, *jsontext.loads(cells)[1]])
        return buffer.getvalue()

    def reset(self) -> None:
        with self.db.transaction() as conn:
            for table in ("bulk_result", "bulk_upload", "bulk_job"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._ready = False
            self._conn_ready(conn)


def write_records(
    store: SalesforceStore,
    obj: ObjectDef,
    operation: str,
    ext_field: str | None,
    records: list[dict[str, Any]],
) -> list[SaveResult]:
    """One bulk write (Bulk 2.0 or 1.0) through the store's list writes, per record.

    A request-level refusal of one record is isolated by retrying one by one.
    """

    def many(items: list[dict[str, Any]]) -> list[SaveResult]:
        if operation == "insert":
            return store.create_many(obj.name, items)
        if operation == "update":
            return store.update_many(obj.name, items)
        if operation == "upsert":
            return store.upsert_many(obj.name, str(ext_field), items)
        return store.delete_many([str(i.get("Id") or "") for i in items])

    if not records:
        return []
    try:
        return many(records)
    except SalesforceError:
        from crm_sandbox.salesforce.errors import RecordError
        from crm_sandbox.salesforce.store import SaveResult as Result

        out: list[SaveResult] = []
        for record in records:
            try:
                out.extend(many([record]))
            except SalesforceError as exc:
                out.append(Result.failed(RecordError(exc.error_code, exc.message)))
        return out


def _uploaded_header(jobs: BulkJobs, job_id: str, info: dict[str, Any]) -> list[str]:
    first = next(jobs._records(job_id, info), None)
    return first[0] if first else []


def _check_header(obj: ObjectDef, header: list[str], operation: str) -> None:
    for name in header:
        rel, _, sub = name.partition(".")
        if obj.field(name) is None and not (sub and obj.relationship(rel) is not None):
            raise error(400, "INVALIDBATCH", f"InvalidBatch : Field name not found : {name}")
    if operation in ("delete", "hardDelete") and [h.lower() for h in header] != ["id"]:
        raise error(400, "INVALIDBATCH", "InvalidBatch : The 'delete' batch must contain only ids")


def _convert(fdef: FieldDef, text: str) -> Any:
    """A CSV cell as the JSON value the store expects; ``#N/A`` clears the field."""
    if text == "#N/A":
        return None
    ftype = fdef.type
    if ftype == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"INVALID_FIELD:'{text}' is not a valid value for the type xsd:boolean")
    if ftype in ("int", "long", "double", "currency", "percent"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"INVALID_FIELD:'{text}' is not a valid value for the type {fdef.soap_type}"
            ) from None
        return int(number) if ftype in ("int", "long") else number
    return text


def blank_record(row: list[str]) -> bool:
    """A line the Bulk API skips: empty, or one empty value (``""`` included).

    Salesforce's own CSV reader (``com.sforce.async.CSVReader`` in its WSC library, whose
    ``ignoreBlankRecords`` is on by default) drops such records, so a one-column CSV's
    blank line (jsforce writes one for an empty value, Python's csv writes ``""``) is no
    record; the server's parser is not published, so that it does the same is (unverified).
    A line of separators only (``,,``) is a record.
    """
    return not row or (len(row) == 1 and not row[0])


def _record(obj: ObjectDef, header: list[str], row: list[str], operation: str) -> dict[str, Any]:
    """One CSV row as a store record; empty cells are left out (unchanged)."""
    if len(row) != len(header):
        raise ValueError("INVALID_FIELD:number of fields in the row does not match the header")
    record: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        if cell == "":
            continue
        fdef = obj.field(name)
        if fdef is None:
            rel, _, sub = name.partition(".")
            record.setdefault(rel, {})[sub] = cell
            continue
        record[fdef.name] = _convert(fdef, cell)
    return record


def _error_text(result: SaveResult) -> str:
    """``CODE:message:Field1,Field2 --`` as Bulk 2.0 writes sf__Error (one per error)."""
    return " ".join(f"{e.status_code}:{e.message}:{','.join(e.fields)} --" for e in result.errors)


def _query_view(info: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    keys = ["id", "operation", "object", "createdById", "createdDate", "systemModstamp",
            "state", "concurrencyMode", "contentType", "apiVersion", "lineEnding",
            "columnDelimiter"]  # fmt: skip
    view = {k: info.get(k) for k in keys}
    if detail:
        view.update(
            numberRecordsProcessed=info.get("numberRecordsProcessed", 0),
            retries=0,
            totalProcessingTime=0,
            isPkChunkingSupported=True,
        )
    else:
        view["jobType"] = "V2Query"
    return view


def _ingest_view(info: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    keys = ["id", "operation", "object", "createdById", "createdDate", "systemModstamp",
            "state", "externalIdFieldName", "concurrencyMode", "contentType", "apiVersion",
            "contentUrl", "lineEnding", "columnDelimiter"]  # fmt: skip
    view = {k: info.get(k) for k in keys if k != "externalIdFieldName" or info.get(k)}
    view["jobType"] = "V2Ingest"
    if detail:
        view.update(
            numberRecordsProcessed=info.get("numberRecordsProcessed", 0),
            numberRecordsFailed=info.get("numberRecordsFailed", 0),
            retries=0,
            totalProcessingTime=0,
            apiActiveProcessingTime=0,
            apexProcessingTime=0,
        )
        if info.get("errorMessage"):
            view["errorMessage"] = info["errorMessage"]
    return view
