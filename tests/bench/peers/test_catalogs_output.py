"""Catalog selection and output reading of the peer harness (no peers needed)."""

from __future__ import annotations

import json

import pytest

from bench.peers import catalogs
from bench.peers.output import Reading, read


def _singer_catalog() -> dict:
    def stream(name: str, with_key: bool) -> dict:
        top = {"table-key-properties": ["Id"]}
        if with_key:
            top["valid-replication-keys"] = ["SystemModstamp"]
        return {
            "stream": name,
            "tap_stream_id": name,
            "schema": {"properties": {"Id": {}, "Blob": {}}},
            "metadata": [
                {"breadcrumb": [], "metadata": top},
                {"breadcrumb": ["properties", "Id"], "metadata": {"inclusion": "automatic"}},
                {"breadcrumb": ["properties", "Blob"], "metadata": {"inclusion": "unsupported"}},
            ],
        }

    return {"streams": [stream("Account", True), stream("Project__c", True)]}


def test_singer_selection_keeps_one_stream_incremental_on_its_first_valid_key():
    selected = catalogs.select_singer(_singer_catalog(), "Project__c")
    [entry] = selected["streams"]
    assert entry["tap_stream_id"] == "Project__c"
    meta = {tuple(m["breadcrumb"]): m["metadata"] for m in entry["metadata"]}
    assert meta[()]["selected"] is True
    assert meta[()]["replication-key"] == "SystemModstamp"
    assert meta[()]["replication-method"] == "INCREMENTAL"
    assert meta[("properties", "Id")]["selected"] is True
    assert "selected" not in meta[("properties", "Blob")]


def test_singer_selection_respects_a_forced_full_table_and_names_a_missing_stream():
    catalog = _singer_catalog()
    catalog["streams"][1]["metadata"][0]["metadata"]["forced-replication-method"] = "FULL_TABLE"
    [entry] = catalogs.select_singer(catalog, "Project__c")["streams"]
    assert "replication-key" not in entry["metadata"][0]["metadata"]
    with pytest.raises(LookupError, match="Nope"):
        catalogs.select_singer(_singer_catalog(), "Nope")


def test_airbyte_configured_catalog_is_incremental_on_the_default_cursor():
    discovered = [
        {"type": "LOG", "log": {"level": "INFO", "message": "hi"}},
        {
            "type": "CATALOG",
            "catalog": {
                "streams": [
                    {"name": "Account", "supported_sync_modes": ["full_refresh"]},
                    {
                        "name": "Project__c",
                        "supported_sync_modes": ["full_refresh", "incremental"],
                        "default_cursor_field": ["SystemModstamp"],
                        "source_defined_primary_key": [["Id"]],
                    },
                ]
            },
        },
    ]
    configured = catalogs.configure_airbyte(catalogs.airbyte_catalog(discovered), "Project__c")
    [entry] = configured["streams"]
    assert entry["sync_mode"] == "incremental"
    assert entry["cursor_field"] == ["SystemModstamp"]
    assert entry["primary_key"] == [["Id"]]
    with pytest.raises(LookupError):
        catalogs.airbyte_catalog(discovered[:1])


def _deleted(record: dict) -> bool:
    return bool(record.get("IsDeleted"))


def test_singer_output_counts_records_ids_deletes_and_keeps_the_last_state(tmp_path):
    out = tmp_path / "out"
    messages = [
        {"type": "SCHEMA", "stream": "Project__c", "schema": {}},
        {"type": "RECORD", "stream": "Project__c", "record": {"Id": "a", "IsDeleted": False}},
        {"type": "RECORD", "stream": "Project__c", "record": {"Id": "a", "IsDeleted": False}},
        {"type": "RECORD", "stream": "Other", "record": {"Id": "z"}},
        {"type": "STATE", "value": {"n": 1}},
        {"type": "RECORD", "stream": "Project__c", "record": {"Id": "b", "IsDeleted": True}},
        {"type": "STATE", "value": {"n": 2}},
    ]
    out.write_text("\n".join(json.dumps(m) for m in messages) + "\nnot json\n")
    got = read(out, Reading("singer", "Project__c", lambda r: r.get("Id"), _deleted))
    assert (got.records, got.ids, got.deletes, got.state) == (3, {"a", "b"}, 1, {"n": 2})


def test_airbyte_output_keeps_the_latest_state_per_stream_and_trace_errors(tmp_path):
    out = tmp_path / "out"

    def state(n: int) -> dict:
        descriptor = {"stream_descriptor": {"name": "Project__c"}, "stream_state": {"n": n}}
        return {"type": "STATE", "state": {"type": "STREAM", "stream": descriptor}}

    messages = [
        {"type": "RECORD", "record": {"stream": "Project__c", "data": {"Id": "a"}}},
        state(1),
        {"type": "RECORD", "record": {"stream": "Project__c", "data": {"Id": "b"}}},
        state(2),
        {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "boom"}}},
    ]
    out.write_text("\n".join(json.dumps(m) for m in messages))
    got = read(out, Reading("airbyte", "Project__c", lambda r: r.get("Id"), _deleted))
    assert got.records == 2
    assert got.state == [state(2)["state"]]
    assert got.errors == ["boom"]
