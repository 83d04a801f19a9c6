"""Wire forms of the Bulk API 1.0 (async API): XML and JSON documents, result files.

The async API answers in XML unless the job (or, before a job exists, the request) is
JSON: ``jobInfo``, ``batchInfo``, ``batchInfoList``, ``result-list`` and ``error``
documents in the ``http://www.force.com/2009/06/asyncapi/dataload`` namespace, or the
same fields as JSON objects. Query results come as CSV (every value quoted), JSON
(datetimes as epoch milliseconds, as Salesforce's Bulk 1.0 JSON results do) or XML.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from crm_sandbox.salesforce.soql.shaping import csv_header, csv_rows, json_record

if TYPE_CHECKING:
    from crm_sandbox.salesforce.soql import CompiledQuery

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
XML_TYPE = "application/xml"
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
NO_RECORDS = "Records not found for this query"
"""The whole CSV result file of a query that matched nothing (Bulk 1.0)."""
_INT_FIELDS = {
    "numberBatchesQueued", "numberBatchesInProgress", "numberBatchesCompleted",
    "numberBatchesFailed", "numberBatchesTotal", "numberRecordsProcessed", "numberRetries",
    "numberRecordsFailed", "totalProcessingTime", "apiActiveProcessingTime",
    "apexProcessingTime",
}  # fmt: skip
_DATE_FIELDS = {"createdDate", "systemModstamp"}


def _xml_value(key: str, value: Any) -> str:
    if key in _DATE_FIELDS and isinstance(value, str) and value.endswith("+0000"):
        value = value[:-5] + "Z"
    return escape(str(value))


def _xml_fields(info: dict[str, Any]) -> str:
    return "".join(f"<{k}>{_xml_value(k, v)}</{k}>" for k, v in info.items())


def xml_document(root: str, info: dict[str, Any]) -> str:
    """``jobInfo`` / ``batchInfo`` / ``error`` as an XML document."""
    return f'{XML_HEAD}<{root} xmlns="{NAMESPACE}">{_xml_fields(info)}</{root}>'


def json_info(info: dict[str, Any]) -> dict[str, Any]:
    """A jobInfo/batchInfo as JSON (``apiVersion`` is a number there)."""
    out = dict(info)
    if "apiVersion" in out:
        out["apiVersion"] = float(out["apiVersion"])
    return out


def batch_list_xml(batches: list[dict[str, Any]]) -> str:
    inner = "".join(f"<batchInfo>{_xml_fields(b)}</batchInfo>" for b in batches)
    return f'{XML_HEAD}<batchInfoList xmlns="{NAMESPACE}">{inner}</batchInfoList>'


def result_list_xml(ids: list[str]) -> str:
    inner = "".join(f"<result>{i}</result>" for i in ids)
    return f'{XML_HEAD}<result-list xmlns="{NAMESPACE}">{inner}</result-list>'


def error_body(code: str, message: str, as_json: bool) -> str:
    if as_json:
        return json.dumps({"exceptionCode": code, "exceptionMessage": message})
    return xml_document("error", {"exceptionCode": code, "exceptionMessage": message})


def parse_job_request(raw: bytes, as_json: bool) -> dict[str, Any]:
    """A ``jobInfo`` request body (JSON or XML) as a dict; ValueError if unreadable."""
    if as_json:
        body = json.loads(raw or b"{}")
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        return body
    root = ElementTree.fromstring(raw)
    return {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in root}


# --- result files -------------------------------------------------------------------
Pages = Iterable[tuple["CompiledQuery", list[Any]]]


def csv_result(pages: Pages, empty: bool) -> Iterator[str]:
    """A CSV result file: header, then every row with each value quoted."""
    if empty:
        yield NO_RECORDS
        return
    header_done = False
    for compiled, rows in pages:
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        if not header_done:
            writer.writerow(csv_header(compiled))
            header_done = True
        writer.writerows(csv_rows(compiled, rows))
        yield buffer.getvalue()


def _epoch_ms(stored: str, date_only: bool) -> int:
    if date_only:
        moment = datetime.strptime(stored[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    else:
        moment = datetime.strptime(stored[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def bulk_json_record(compiled: CompiledQuery, row: Any, version: str) -> dict[str, Any]:
    """A REST record with its date and datetime values as epoch milliseconds.

    Dates as milliseconds at UTC midnight are (unverified); datetimes are documented
    by simple-salesforce issue #290.
    """
    record = json_record(compiled, row, version)
    for i, res in enumerate(compiled.fields):
        if res.field.type not in ("datetime", "date") or row[f"c{i}"] is None:
            continue
        target: Any = record
        for name in res.path[:-1]:
            target = target.get(name) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[res.path[-1]] = _epoch_ms(row[f"c{i}"], res.field.type == "date")
    return record


def json_result(pages: Pages, version: str) -> Iterator[str]:
    """A JSON result file: one array of records, written page by page."""
    yield "["
    first = True
    for compiled, rows in pages:
        parts = [json.dumps(bulk_json_record(compiled, row, version)) for row in rows]
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    yield "]"


def _xml_record(value: Any, tag: str) -> str:
    if value is None:
        return f'<{tag} xsi:nil="true"/>'
    if isinstance(value, dict):
        kind = value.get("attributes", {}).get("type", "")
        inner = f"<type>{escape(kind)}</type>" + "".join(
            _xml_record(v, k) for k, v in value.items() if k != "attributes"
        )
        return f'<{tag} xsi:type="sObject">{inner}</{tag}>'
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, str) and value.endswith("+0000"):
        value = value[:-5] + "Z"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def xml_result(pages: Pages, version: str) -> Iterator[str]:
    """An XML result file: ``<queryResult>`` with one ``<records>`` per row."""
    yield (
        f'{XML_HEAD}<queryResult xmlns="{NAMESPACE}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    )
    for compiled, rows in pages:
        yield "".join(_xml_record(json_record(compiled, r, version), "records") for r in rows)
    yield "</queryResult>"
