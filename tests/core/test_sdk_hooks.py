"""The private singer-sdk methods :class:`crm_sync.sync.target.SyncSink` overrides for
speed are still called, with the arguments it expects: a singer-sdk upgrade that renames
or stops calling one fails here instead of silently dropping the override."""

from __future__ import annotations

import inspect

from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target

from crm_sync.sync.target import SyncSink


def _params(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_sdk_still_stamps_record_metadata_through_the_overridden_method() -> None:
    assert "_add_sdc_metadata_to_record(" in inspect.getsource(Target._process_record_message)
    assert "include_sdc_metadata_properties" in inspect.getsource(Target._process_record_message)
    assert _params(Sink._add_sdc_metadata_to_record) == ["self", "record", "message", "context"]
    assert _params(SyncSink._add_sdc_metadata_to_record) == _params(
        Sink._add_sdc_metadata_to_record
    )


def test_the_sdk_still_parses_timestamps_through_the_overridden_method() -> None:
    assert "_parse_timestamps_in_record(" in inspect.getsource(Sink._validate_and_parse)
    assert _params(Sink._parse_timestamps_in_record) == _params(
        SyncSink._parse_timestamps_in_record
    )


def test_only_the_deleted_at_column_is_stamped() -> None:
    stamp = SyncSink._add_sdc_metadata_to_record
    record: dict = {"name": "a"}
    stamp(None, record, {"time_extracted": "2026-01-01T00:00:00Z", "version": 3}, {})  # type: ignore[arg-type]
    assert record == {"name": "a", "_sdc_deleted_at": None}
    deleted = {"name": "b", "_sdc_deleted_at": "2026-01-02T00:00:00Z"}
    stamp(None, deleted, {}, {})  # type: ignore[arg-type]
    assert deleted == {"name": "b", "_sdc_deleted_at": "2026-01-02T00:00:00Z"}
