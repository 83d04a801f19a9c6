"""Bulk API 1.0 query jobs (``/services/async/{version}/job``), kept in the org's SQLite file.

A job holds batches; each query batch runs once through the SOQL engine into a cursor
snapshot (cursors.py), and its result files are slices of that snapshot read page by
page, so a result of any size streams in constant memory and holds every row once.

Timing follows Bulk 2.0 (bulk.py): a batch is ``Queued`` until ``latency_ms`` of the
fault settings has passed since it was added, then the next status read completes it.
With PK chunking (``Sforce-Enable-PKChunking`` on job creation) the added batch turns
``NotProcessed`` and one chunk batch per ``chunkSize`` record ids of the object takes
its place, each bounded by ``Id >= lo AND Id < hi``, as Salesforce does.

Ingest jobs (insert, update, upsert, delete, hardDelete; JSON or CSV) write each batch
through the store when it is processed (bulk_v1_ingest.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.salesforce.bulk_v1_ingest import BatchRefused, batch_results, process_batch
from crm_sandbox.salesforce.soql import SoqlError
from crm_sandbox.salesforce.values import format_datetime, normalize_id, wire_datetime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from crm_sandbox.salesforce.cursors import CursorStore, Snapshot
    from crm_sandbox.salesforce.schema import ObjectDef
    from crm_sandbox.salesforce.soql import CompiledQuery
    from crm_sandbox.salesforce.store import SalesforceStore

JOB_PREFIX, BATCH_PREFIX, RESULT_PREFIX = "750", "751", "752"
JOB_SEQ_OFFSET = 62**7
"""Bulk 1.0 and 2.0 jobs share the 750 prefix; this keeps their sandbox ids apart."""
RESULT_ROWS = 100_000
"""Rows per result file. Salesforce cuts result files at 1 GB (unverified); a row count
keeps several files observable at test sizes."""
PAGE_ROWS = 2_000
"""Rows read from the snapshot per step while a result file streams."""
PK_DEFAULT_CHUNK, PK_MAX_CHUNK = 100_000, 250_000
CONTENT_TYPES = ("CSV", "JSON", "XML")
INGEST_CONTENT_TYPES = ("CSV", "JSON")
QUERY_OPERATIONS = ("query", "queryAll")
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
_HEAD_FIELDS = ("operation", "object", "createdById", "createdDate", "systemModstamp",
                "state", "concurrencyMode", "contentType")  # fmt: skip

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bulk1_job (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT UNIQUE NOT NULL,
        info TEXT NOT NULL,            -- jobInfo fields that are stored, as JSON
        pk_chunking TEXT)              -- JSON {chunkSize, startRow} or NULL""",
    """CREATE TABLE IF NOT EXISTS bulk1_batch (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT UNIQUE NOT NULL,
        job_id TEXT NOT NULL,
        state TEXT NOT NULL,
        state_message TEXT,
        query TEXT NOT NULL,
        created TEXT NOT NULL,
        modstamp TEXT NOT NULL,
        ready_at TEXT NOT NULL,
        processed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        chunkable INTEGER NOT NULL DEFAULT 0,  -- the batch a PK-chunking job splits
        id_lo TEXT,
        id_hi TEXT,
        cursor_id INTEGER)""",
    "CREATE INDEX IF NOT EXISTS bulk1_batch_job ON bulk1_batch (job_id, seq)",
    """CREATE TABLE IF NOT EXISTS bulk1_result (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT UNIQUE NOT NULL DEFAULT '',
        batch_id TEXT NOT NULL,
        part INTEGER NOT NULL)""",
)


class AsyncApiError(Exception):
    """An error of the async API: ``exceptionCode`` and ``exceptionMessage`` (HTTP 400)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ResultFile:
    """One result file of a completed batch: rows ``start .. start+count`` of its snapshot."""

    job: dict[str, Any]
    cursor_id: int
    start: int
    count: int


def parse_pk_chunking(header: str | None) -> dict[str, Any] | None:
    """``Sforce-Enable-PKChunking: true; chunkSize=50000; startRow=001...`` (None if off)."""
    if header is None:
        return None
    parts = [p.strip() for p in header.split(";") if p.strip()]
    if not parts or parts[0].lower() == "false":
        return None
    options: dict[str, Any] = {"chunkSize": PK_DEFAULT_CHUNK, "startRow": None}
    for part in parts:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            if key.lower() != "true":
                raise AsyncApiError("InvalidJob", f"Invalid PK chunking option: {part}")
            continue
        if key.lower() == "chunksize":
            if not value.isdigit() or not 0 < int(value) <= PK_MAX_CHUNK:
                # (unverified) wording; the documented maximum is 250,000
                raise AsyncApiError("InvalidJob", f"Invalid chunk size: {value}")
            options["chunkSize"] = int(value)
        elif key.lower() == "startrow":
            start = normalize_id(value)
            if start is None:
                raise AsyncApiError("InvalidJob", f"Invalid startRow: {value}")  # (unverified)
            options["startRow"] = start
        elif key.lower() != "parent":  # parent= names the object of a share/history table
            raise AsyncApiError("InvalidJob", f"Invalid PK chunking option: {part}")
    return options


class BulkV1Jobs:
    """Bulk 1.0 query jobs of the org; a model without HTTP (routes/async_bulk.py serves it)."""

    def __init__(
        self,
        store: SalesforceStore,
        cursors: CursorStore,
        latency_ms: Callable[[], Any],
        count_batch: Callable[[], None],
    ) -> None:
        self.store = store
        self.db = store.db
        self.cursors = cursors
        self.latency_ms = latency_ms
        self.count_batch = count_batch
        """Called per added batch (the org's DailyBulkApiBatches allocation)."""
        self._ready = False

    # --- plumbing ------------------------------------------------------------------
    def _tables(self, conn: sqlite3.Connection) -> None:
        if not self._ready:
            for sql in _SCHEMA:
                conn.execute(sql)
            self._ready = True

    def _now(self) -> str:
        return format_datetime(self.store.clock.now())

    def _ready_at(self) -> str:
        delay = timedelta(milliseconds=int(self.latency_ms() or 0))
        return format_datetime(self.store.clock.now() + delay)

    def _job_row(self, conn: sqlite3.Connection, job_id: str) -> sqlite3.Row:
        self._tables(conn)
        ident = normalize_id(job_id)
        row = conn.execute("SELECT * FROM bulk1_job WHERE id = ?", (ident,)).fetchone()
        if row is None:
            # (unverified) exact wording for an unknown job id
            raise AsyncApiError("InvalidJob", f"Invalid job id: {job_id}")
        return row

    def _batch_row(self, conn: sqlite3.Connection, job_id: str, batch_id: str) -> sqlite3.Row:
        ident = normalize_id(batch_id)
        row = conn.execute(
            "SELECT * FROM bulk1_batch WHERE id = ? AND job_id = ?", (ident, job_id)
        ).fetchone()
        if row is None:
            # (unverified) exact wording for an unknown batch id
            raise AsyncApiError("InvalidBatch", f"Invalid batch id: {batch_id}")
        return row

    # --- jobs ----------------------------------------------------------------------
    def create_job(
        self, body: dict[str, Any], version: str, pk_header: str | None
    ) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in QUERY_OPERATIONS + INGEST_OPERATIONS:
            raise AsyncApiError("InvalidJob", f"Invalid operation: {operation}")  # (unverified)
        obj = self.store.schema.object(str(body.get("object") or ""))
        if obj is None:
            # (unverified) wording of an unknown object
            raise AsyncApiError("InvalidJob", f"Unable to find object: {body.get('object')}")
        content_type = str(body.get("contentType") or "XML")  # the documented default
        allowed = CONTENT_TYPES if operation in QUERY_OPERATIONS else INGEST_CONTENT_TYPES
        if content_type not in allowed:
            raise AsyncApiError(
                "InvalidJob", f"Unsupported content type for {operation}: {content_type}"
            )  # (unverified) wording; XML and ZIP ingest are not served by the sandbox
        ext_field = self._external_id(obj, operation, body.get("externalIdFieldName"))
        mode = body.get("concurrencyMode", "Parallel")
        # simple-salesforce sends the enum's ordinal (0 Parallel, 1 Serial)
        mode = {0: "Parallel", 1: "Serial", "0": "Parallel", "1": "Serial"}.get(mode, mode)
        if mode not in ("Parallel", "Serial"):
            raise AsyncApiError("InvalidJob", f"Invalid concurrency mode: {mode}")  # (unverified)
        pk = parse_pk_chunking(pk_header)
        now = wire_datetime(self._now())
        info = {
            "operation": operation,
            "object": obj.name,
            "createdById": self.store.user_id,
            "createdDate": now,
            "systemModstamp": now,
            "state": "Open",
            "concurrencyMode": mode,
            "contentType": content_type,
            "apiVersion": version,
        }
        if ext_field:
            info["externalIdFieldName"] = ext_field
        with self.db.transaction() as conn:
            self._tables(conn)
            seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM bulk1_job").fetchone()[0]
            job_id = salesforce_id(JOB_PREFIX, JOB_SEQ_OFFSET + seq)
            conn.execute(
                "INSERT INTO bulk1_job (seq, id, info, pk_chunking) VALUES (?, ?, ?, ?)",
                (seq, job_id, json.dumps(info), json.dumps(pk) if pk else None),
            )
            return self._job_info(conn, job_id, info)

    @staticmethod
    def _external_id(obj: ObjectDef, operation: str, name: Any) -> str | None:
        if operation != "upsert":
            return None
        fdef = obj.field(str(name or ""))
        if fdef is None or not (fdef.external_id or fdef.id_lookup):
            # (unverified) wordings, as Bulk 2.0's
            raise AsyncApiError(
                "InvalidJob",
                f"Invalid value for externalIdFieldName: {name}"
                if name
                else "External ID was blank for upsert operation",
            )
        return fdef.name

    def job(self, job_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            row = self._job_row(conn, job_id)
            self._advance_all(conn, row)
            return self._job_info(conn, row["id"], json.loads(row["info"]))

    def set_state(self, job_id: str, state: str) -> dict[str, Any]:
        """Close (``Closed``) or abort (``Aborted``) an open job."""
        with self.db.transaction() as conn:
            row = self._job_row(conn, job_id)
            info = json.loads(row["info"])
            if state not in ("Closed", "Aborted") or info["state"] != "Open":
                # (unverified) wording of an illegal state change
                raise AsyncApiError(
                    "InvalidJobState", f"Invalid state change from {info['state']} to {state}"
                )
            info["state"] = state
            info["systemModstamp"] = wire_datetime(self._now())
            if state == "Aborted":
                conn.execute(
                    "UPDATE bulk1_batch SET state = 'NotProcessed', modstamp = ? "
                    "WHERE job_id = ? AND state IN ('Queued', 'InProgress')",
                    (self._now(), row["id"]),
                )
            conn.execute(
                "UPDATE bulk1_job SET info = ? WHERE id = ?", (json.dumps(info), row["id"])
            )
            return self._job_info(conn, row["id"], info)

    def _job_info(self, conn: sqlite3.Connection, job_id: str, info: dict[str, Any]) -> dict:
        counts = dict(
            conn.execute(
                "SELECT state, count(*) FROM bulk1_batch WHERE job_id = ? GROUP BY state",
                (job_id,),
            ).fetchall()
        )
        processed, failed = conn.execute(
            "SELECT coalesce(sum(processed), 0), coalesce(sum(failed), 0) FROM bulk1_batch "
            "WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        return {
            "id": job_id,
            **{k: info[k] for k in _HEAD_FIELDS},
            "numberBatchesQueued": counts.get("Queued", 0),
            "numberBatchesInProgress": counts.get("InProgress", 0),
            "numberBatchesCompleted": counts.get("Completed", 0),
            "numberBatchesFailed": counts.get("Failed", 0),
            "numberBatchesTotal": sum(counts.values()),
            "numberRecordsProcessed": processed,
            "numberRetries": 0,
            "apiVersion": info["apiVersion"],
            "numberRecordsFailed": failed,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }

    def content_type(self, job_id: str) -> str:
        with self.db.transaction() as conn:
            return str(json.loads(self._job_row(conn, job_id)["info"])["contentType"])

    # --- batches -------------------------------------------------------------------
    def add_batch(self, job_id: str, soql: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            info = json.loads(job["info"])
            if info["state"] != "Open":
                # (unverified) wording for a batch added to a closed or aborted job
                raise AsyncApiError("InvalidJobState", f"Job is not open: {info['state']}")
            if not soql.strip():
                raise AsyncApiError("InvalidBatch", "Batch data is empty")  # (unverified)
            batch_id = self._insert_batch(conn, job["id"], soql, chunkable=bool(job["pk_chunking"]))
            self.count_batch()
            return self._batch_info(self._batch_row(conn, job["id"], batch_id))

    def _insert_batch(
        self,
        conn: sqlite3.Connection,
        job_id: str,
        soql: str,
        *,
        chunkable: bool = False,
        id_range: tuple[str | None, str | None] = (None, None),
    ) -> str:
        seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM bulk1_batch").fetchone()[0]
        batch_id = salesforce_id(BATCH_PREFIX, seq)
        now = self._now()
        conn.execute(
            "INSERT INTO bulk1_batch (seq, id, job_id, state, query, created, modstamp, "
            "ready_at, chunkable, id_lo, id_hi) VALUES (?, ?, ?, 'Queued', ?, ?, ?, ?, ?, ?, ?)",
            (seq, batch_id, job_id, soql, now, now, self._ready_at(), int(chunkable), *id_range),
        )
        return batch_id

    def batch(self, job_id: str, batch_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            row = self._batch_row(conn, job["id"], batch_id)
            self._advance(conn, job, row)
            return self._batch_info(self._batch_row(conn, job["id"], batch_id))

    def batches(self, job_id: str) -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            self._advance_all(conn, job)
            rows = conn.execute(
                "SELECT * FROM bulk1_batch WHERE job_id = ? ORDER BY seq", (job["id"],)
            ).fetchall()
            return [self._batch_info(r) for r in rows]

    def batch_request(self, job_id: str, batch_id: str) -> str:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            return str(self._batch_row(conn, job["id"], batch_id)["query"])

    def _batch_info(self, row: sqlite3.Row) -> dict[str, Any]:
        info: dict[str, Any] = {"id": row["id"], "jobId": row["job_id"], "state": row["state"]}
        if row["state_message"]:
            info["stateMessage"] = row["state_message"]
        info.update(
            createdDate=wire_datetime(row["created"]),
            systemModstamp=wire_datetime(row["modstamp"]),
            numberRecordsProcessed=row["processed"],
            numberRecordsFailed=row["failed"],
            totalProcessingTime=0,
            apiActiveProcessingTime=0,
            apexProcessingTime=0,
        )
        return info

    def _advance_all(self, conn: sqlite3.Connection, job: sqlite3.Row) -> None:
        rows = conn.execute(
            "SELECT * FROM bulk1_batch WHERE job_id = ? AND state = 'Queued' ORDER BY seq",
            (job["id"],),
        ).fetchall()
        split = [self._advance(conn, job, row) for row in rows]
        if any(split):  # the chunk batches just made may be due as well
            self._advance_all(conn, job)

    def _advance(self, conn: sqlite3.Connection, job: sqlite3.Row, row: sqlite3.Row) -> bool:
        """Process a Queued batch whose time has come (once); True if it was split in chunks."""
        if row["state"] != "Queued" or row["ready_at"] > self._now():
            return False
        info = json.loads(job["info"])
        if info["operation"] in INGEST_OPERATIONS:
            self._ingest(conn, info, row)
            return False
        try:
            compiled = self._compile(row["query"], info["object"])
            if row["chunkable"]:
                self._split(conn, job, row, compiled)
                return True
            snap = self._snapshot(conn, compiled, info["operation"], row)
        except AsyncApiError as failed:
            self._finish(conn, row["id"], "Failed", failed.message)
            return False
        conn.execute(
            "UPDATE bulk1_batch SET state = 'Completed', processed = ?, cursor_id = ?, "
            "modstamp = ? WHERE id = ?",
            (snap.total, snap.id, self._now(), row["id"]),
        )
        for part in range(max(1, -(-snap.total // RESULT_ROWS))):
            seq = conn.execute(
                "INSERT INTO bulk1_result (batch_id, part) VALUES (?, ?)", (row["id"], part)
            ).lastrowid
            assert seq is not None
            conn.execute(
                "UPDATE bulk1_result SET id = ? WHERE seq = ?",
                (salesforce_id(RESULT_PREFIX, seq), seq),
            )
        return False

    def _ingest(self, conn: sqlite3.Connection, info: dict[str, Any], row: sqlite3.Row) -> None:
        try:
            processed, failed = process_batch(conn, self.store, row["id"], info, row["query"])
        except BatchRefused as refused:
            self._finish(conn, row["id"], "Failed", str(refused))
            return
        conn.execute(
            "UPDATE bulk1_batch SET state = 'Completed', processed = ?, failed = ?, "
            "modstamp = ? WHERE id = ?",
            (processed, failed, self._now(), row["id"]),
        )

    def ingest_results(self, job_id: str, batch_id: str) -> list[dict[str, Any]] | None:
        """An ingest batch's per-record results (None for a query job)."""
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            if json.loads(job["info"])["operation"] not in INGEST_OPERATIONS:
                return None
            row = self._batch_row(conn, job["id"], batch_id)
            self._advance(conn, job, row)
            row = self._batch_row(conn, job["id"], batch_id)
            if row["state"] != "Completed":
                # (unverified) wording when results are asked for too early
                raise AsyncApiError("InvalidBatch", f"Batch not completed: {row['state']}")
            return batch_results(conn, row["id"])

    def _finish(self, conn: sqlite3.Connection, batch_id: str, state: str, message: str) -> None:
        conn.execute(
            "UPDATE bulk1_batch SET state = ?, state_message = ?, modstamp = ? WHERE id = ?",
            (state, message, self._now(), batch_id),
        )

    def _compile(self, soql: str, sobject: str) -> CompiledQuery:
        try:
            compiled = self.cursors.compile(soql)
        except SoqlError as exc:
            raise AsyncApiError(
                "InvalidBatch",
                f"InvalidBatch : Failed to process query: {exc.error_code}: {exc.message}",
            ) from None
        if compiled.count is not None:
            # (unverified) Bulk 1.0 refuses aggregate queries; wording as Bulk 2.0's
            raise AsyncApiError(
                "InvalidBatch",
                "InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED: "
                "Aggregate Relationships not supported in Bulk Query",
            )
        if compiled.sobject.name != sobject:
            raise AsyncApiError(
                "InvalidBatch",
                # (unverified) wording for a query on another object than the job's
                f"InvalidBatch : Failed to process query: The query object "
                f"{compiled.sobject.name} does not match the job object {sobject}",
            )
        return compiled

    def _snapshot(
        self, conn: sqlite3.Connection, compiled: CompiledQuery, operation: str, row: sqlite3.Row
    ) -> Snapshot:
        id_range = (row["id_lo"], row["id_hi"]) if row["id_lo"] or row["id_hi"] else None
        return self.cursors.snapshot(
            conn, compiled, operation == "queryAll", kind="bulk", id_range=id_range
        )

    def _split(
        self, conn: sqlite3.Connection, job: sqlite3.Row, row: sqlite3.Row, compiled: CompiledQuery
    ) -> None:
        """PK chunking: the batch becomes NotProcessed, one chunk batch per Id range."""
        pk = json.loads(job["pk_chunking"])
        table = compiled.sobject.table
        start = pk["startRow"]
        params: list[Any] = [pk["chunkSize"]]
        where = ""
        if start:
            where, params = ' WHERE "Id" >= ?', [start, pk["chunkSize"]]
        bounds = [
            r[0]
            for r in conn.execute(
                f'SELECT "Id" FROM (SELECT "Id", row_number() OVER (ORDER BY "Id") AS n '
                f'FROM "{table}"{where}) WHERE (n - 1) % ? = 0 ORDER BY n',
                params,
            )
        ]
        if not bounds:
            bounds = [start]
        elif start:
            bounds[0] = start
        else:
            bounds[0] = None  # the first chunk has no lower bound
        for i, lo in enumerate(bounds):
            hi = bounds[i + 1] if i + 1 < len(bounds) else None
            self._insert_batch(conn, job["id"], row["query"], id_range=(lo, hi))
        self._finish(conn, row["id"], "NotProcessed", "")

    # --- results -------------------------------------------------------------------
    def result_ids(self, job_id: str, batch_id: str) -> list[str]:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            row = self._batch_row(conn, job["id"], batch_id)
            self._advance(conn, job, row)
            row = self._batch_row(conn, job["id"], batch_id)
            if row["state"] != "Completed":
                # (unverified) wording when results are asked for too early
                raise AsyncApiError("InvalidBatch", f"Batch not completed: {row['state']}")
            return [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM bulk1_result WHERE batch_id = ? ORDER BY part", (row["id"],)
                )
            ]

    def result_file(self, job_id: str, batch_id: str, result_id: str) -> ResultFile:
        with self.db.transaction() as conn:
            job = self._job_row(conn, job_id)
            row = self._batch_row(conn, job["id"], batch_id)
            found = conn.execute(
                "SELECT part FROM bulk1_result WHERE id = ? AND batch_id = ?",
                (normalize_id(result_id), row["id"]),
            ).fetchone()
            if found is None or row["cursor_id"] is None:
                # (unverified) wording of an unknown result id
                raise AsyncApiError("InvalidBatch", f"Invalid result id: {result_id}")
            snap = self.cursors.load(conn, row["cursor_id"], "bulk")
            start = found[0] * RESULT_ROWS
            count = max(0, min(RESULT_ROWS, snap.total - start))
            return ResultFile(json.loads(job["info"]), row["cursor_id"], start, count)

    def result_pages(self, result: ResultFile) -> Iterator[tuple[CompiledQuery, list[Any]]]:
        """The rows of a result file, ``PAGE_ROWS`` at a time, each page in its own read."""
        done = 0
        while done < result.count:
            with self.db.transaction() as conn:
                snap = self.cursors.load(conn, result.cursor_id, "bulk")
                size = min(PAGE_ROWS, result.count - done)
                compiled, rows = self.cursors.rows(conn, snap, result.start + done, size)
            done += size
            yield compiled, rows

    def reset(self) -> None:
        with self.db.transaction() as conn:
            for table in ("bulk1_ingest_result", "bulk1_result", "bulk1_batch", "bulk1_job"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._ready = False
            self._tables(conn)
