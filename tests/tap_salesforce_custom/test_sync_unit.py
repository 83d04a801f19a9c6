"""Discovery, paging, incremental bookmarks, deletes, limits, retries and Bulk (fake org)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tap_salesforce_custom.tap import TapSalesforceCustom

from crm_sync.http import QuotaExhausted
from tests.tap_salesforce_custom.conftest import Run, run_tap
from tests.tap_salesforce_custom.fake_salesforce import RESET, FakeOrg


def test_discovery_types_annotations_and_call_count(fake: FakeOrg, config) -> None:
    tap = TapSalesforceCustom(config=config)
    catalog = {s["tap_stream_id"]: s for s in tap.catalog_dict["streams"]}
    assert set(catalog) == {"Project__c", "Account"}  # AccountChangeEvent never
    props = catalog["Project__c"]["schema"]["properties"]
    assert props["Id"]["type"] == "string"
    assert props["Budget__c"]["type"] == ["number", "null"]
    assert props["Count__c"]["type"] == ["integer", "null"]
    assert props["Is_Active__c"]["type"] == "boolean"
    assert props["Start_Date__c"] == {
        "type": ["string", "null"],
        "format": "date",
        "x-sf-type": "date",
    }
    assert props["SystemModstamp"]["format"] == "date-time"
    assert props["Account__c"]["x-sf-reference-to"] == ["Account"]
    assert props["Account__c"]["x-sf-relationship-name"] == "Account__r"
    assert "Logo__c" not in props and "Site__c" not in props  # base64, location skipped
    assert "BillingAddress" not in catalog["Account"]["schema"]["properties"]
    assert catalog["Project__c"]["replication_key"] == "SystemModstamp"
    assert catalog["Account"]["replication_key"] == "LastModifiedDate"
    assert catalog["Project__c"]["key_properties"] == ["Id"]
    # one describe-global, one composite/batch for both objects
    assert fake.calls.count("describeGlobal") == 1
    assert fake.calls.count("batch") == 1 and "describe" not in fake.calls


def test_unknown_object_name_is_a_clear_error(fake: FakeOrg, config) -> None:
    with pytest.raises(ConfigValidationError, match="Projetc__c"):
        TapSalesforceCustom(config={**config, "objects": ["Projetc__c"]})


def test_rest_paging_emits_every_row_in_order_with_state_per_page(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 7)
    run = run_tap({**config, "page_size": 3})
    assert run.ids("Project__c") == ids
    assert fake.calls.count("queryMore") == 2
    record = run.records["Project__c"][0]
    assert record["SystemModstamp"].endswith("+00:00") and "attributes" not in record
    assert record["_sdc_deleted_at"] is None
    bookmark = run.state["bookmarks"]["Project__c"]
    assert bookmark["replication_key_value"] == run.records["Project__c"][-1]["SystemModstamp"]
    # STATE after every page-worth of records (3, 6) plus the final one
    assert len([s for s in run.states if "Project__c" in s.get("bookmarks", {})]) >= 3


def test_second_run_emits_exactly_changes_and_deletes(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 6)
    fake.add("Project__c", 3, same_stamp=True)  # three rows share the last modstamp
    first = run_tap({**config, "page_size": 2})
    assert len(first.ids("Project__c")) == 9
    fake.touch("Project__c", ids[1], Name="renamed")
    fake.delete("Project__c", ids[2])
    new = fake.add("Project__c", 2, same_stamp=True)
    second = run_tap({**config, "page_size": 2}, state=first.state)
    assert second.ids("Project__c") == [ids[1], ids[2], *new]
    deleted = second.records["Project__c"][1]
    assert deleted["IsDeleted"] is True
    assert deleted["_sdc_deleted_at"] == deleted["SystemModstamp"]
    third = run_tap({**config, "page_size": 2}, state=second.state)
    assert third.ids("Project__c") == []


def test_start_date_is_honoured(fake: FakeOrg, config) -> None:
    fake.add("Project__c", 3)
    late = fake.add("Project__c", 2)
    cut = next(r for r in fake.records["Project__c"] if r["Id"] == late[0])["SystemModstamp"]
    start = cut.replace("+0000", "+00:00")
    run = run_tap({**config, "start_date": start})
    assert run.ids("Project__c") == late


def test_filter_is_applied_and_a_bad_filter_is_a_clear_error(fake: FakeOrg, config) -> None:
    fake.add("Project__c", 2, Name="keep")
    fake.add("Project__c", 1, Name="Draft")
    run = run_tap({**config, "filters": {"Project__c": "Name != 'Draft'"}})
    assert len(run.ids("Project__c")) == 2
    expected = r"filters\.Project__c.*Stage__c.*INVALID_FIELD"
    with pytest.raises(ConfigValidationError, match=expected):
        run_tap({**config, "filters": {"Project__c": "Stage__c = 'x'"}})


def test_retries_5xx_lock_errors_and_resets(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 5)
    fake.fault("query", (503, "SERVER_UNAVAILABLE"), RESET)
    fake.fault("queryMore", (400, "UNABLE_TO_LOCK_ROW"), (500, "UNKNOWN_EXCEPTION"))
    run = run_tap({**config, "page_size": 2, "objects": ["Project__c"]})
    assert run.ids("Project__c") == ids


def test_fatal_errors_are_not_retried(fake: FakeOrg, config) -> None:
    fake.add("Project__c", 1)
    fake.fault("query", (400, "INVALID_TYPE"))
    with pytest.raises(Exception, match="INVALID_TYPE"):
        run_tap({**config, "objects": ["Project__c"]})
    assert fake.calls.count("query") == 1


def test_token_refreshed_mid_run_without_losing_the_page(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 6)
    cfg = {**config, "page_size": 2, "objects": ["Project__c"]}
    fake.fault("queryMore", "revoke")
    run = run_tap(cfg)
    assert run.ids("Project__c") == ids
    assert len(fake.logins) >= 2  # initial login + the re-login after INVALID_SESSION_ID


def test_quota_share_stops_cleanly_with_resumable_state(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 10)
    fake.daily_max = 100
    fake.used = 70
    cfg = {**config, "page_size": 2, "objects": ["Project__c"], "max_api_share": 0.76}
    out = io.StringIO()
    tap = TapSalesforceCustom(config=cfg)
    with redirect_stdout(out), pytest.raises(QuotaExhausted, match="max_api_share"):
        tap.sync_all()  # a stream that did not finish is never reported as succeeded
    first = Run([json.loads(line) for line in out.getvalue().splitlines()], tap)
    got = [m["record"]["Id"] for m in first.messages if m["type"] == "RECORD"]
    assert 0 < len(got) < 10 and got == ids[: len(got)]
    assert tap.quota_stop and "max_api_share" in tap.quota_stop
    fake.used = 0
    second = run_tap(cfg, state=first.state)
    assert second.ids("Project__c") == ids[len(got) :]


def test_bulk_path_streams_typed_csv(fake: FakeOrg, config) -> None:
    ids = fake.add(
        "Project__c",
        5,
        Budget__c=12.5,
        Count__c=3,
        Notes__c='two\nlines, "quoted"',
        Tags__c="AI;Web",
    )
    fake.delete("Project__c", ids[0])
    run = run_tap({**config, "api_type": "bulk", "bulk_page_size": 2, "objects": ["Project__c"]})
    recs = run.records["Project__c"]
    assert [r["Id"] for r in recs] == [*ids[1:], ids[0]]
    assert recs[0]["Budget__c"] == 12.5 and recs[0]["Count__c"] == 3
    assert recs[0]["Notes__c"] == 'two\nlines, "quoted"' and recs[0]["Tags__c"] == "AI;Web"
    assert recs[0]["Is_Active__c"] is False and recs[0]["Priority__c"] is None
    assert recs[-1]["IsDeleted"] is True
    assert recs[-1]["_sdc_deleted_at"] == recs[-1]["SystemModstamp"]
    assert recs[0]["SystemModstamp"].endswith("+00:00")
    assert fake.calls.count("bulkResults") == 3


def test_bulk_page_reset_mid_stream_loses_nothing(fake: FakeOrg, config) -> None:
    ids = fake.add("Project__c", 4)
    fake.fault("bulkResults", RESET)
    run = run_tap({**config, "api_type": "bulk", "objects": ["Project__c"]})
    assert run.ids("Project__c") == ids


def test_auto_picks_bulk_above_threshold(fake: FakeOrg, config) -> None:
    fake.add("Project__c", 5)
    cfg = {**config, "api_type": "auto", "objects": ["Project__c"]}
    run_tap({**cfg, "bulk_threshold": 5})
    assert "bulkCreate" in fake.calls
    fake.calls.clear()
    run_tap({**cfg, "bulk_threshold": 6})
    assert "bulkCreate" not in fake.calls


def test_crash_mid_stream_resumes_without_rereading_emitted_pages(fake: FakeOrg, config) -> None:
    import io
    import json
    from contextlib import redirect_stdout

    ids = fake.add("Project__c", 4)
    ids += fake.add("Project__c", 4, same_stamp=True)  # a tie spanning the crash point
    cfg = {**config, "page_size": 3, "objects": ["Project__c"]}
    fake.fault("queryMore", "ok", (400, "INVALID_TYPE"))  # dies while reading page 3
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(Exception, match="INVALID_TYPE"):
        TapSalesforceCustom(config=cfg).sync_all()
    msgs = [json.loads(line) for line in out.getvalue().splitlines()]
    emitted = [m["record"]["Id"] for m in msgs if m["type"] == "RECORD"]
    state = [m["value"] for m in msgs if m["type"] == "STATE"][-1]
    assert emitted == ids[:6]
    resumed = run_tap(cfg, state=state)
    assert resumed.ids("Project__c") == ids[6:]  # nothing lost, nothing emitted twice


def test_api_calls_are_reported_through_singer_sdk_request_metric(
    fake: FakeOrg, config, caplog
) -> None:
    fake.add("Project__c", 7)
    caplog.set_level("INFO", logger="singer_sdk.metrics")
    run_tap({**config, "page_size": 3, "objects": ["Project__c"], "api_type": "rest"})
    points = [
        json.loads(r.getMessage().split("METRIC: ", 1)[1])
        for r in caplog.records
        if '"http_request_count"' in r.getMessage()
    ]
    counted = sum(p["value"] for p in points if p["tags"]["stream"] == "Project__c")
    assert counted == 3  # the query page and two queryMore pages
    assert {p["tags"]["endpoint"] for p in points} == {"rest"}
