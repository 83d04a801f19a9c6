"""Turn a discovered catalog into one that selects a single stream.

Singer catalogs carry selection in ``metadata`` (breadcrumb ``[]`` for the stream,
``["properties", name]`` per field); Airbyte takes a separate "configured catalog"
naming each stream with its sync mode and cursor.
"""

from __future__ import annotations

from typing import Any


def select_singer(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    """``catalog`` with ``stream`` selected (every field it can select) and nothing else."""
    streams = []
    for entry in catalog.get("streams", []):
        chosen = stream in (entry.get("tap_stream_id"), entry.get("stream"))
        if not chosen:
            continue
        metadata = entry.setdefault("metadata", [])
        if not any(item.get("breadcrumb") == [] for item in metadata):
            metadata.append({"breadcrumb": [], "metadata": {}})
        for item in metadata:
            fields = item.setdefault("metadata", {})
            if item.get("breadcrumb") == []:
                _incremental(fields)
            if item.get("breadcrumb") == [] or fields.get("inclusion") != "unsupported":
                fields["selected"] = True
        streams.append(entry)
    if not streams:
        names = [e.get("tap_stream_id") or e.get("stream") for e in catalog.get("streams", [])]
        raise LookupError(f"stream {stream!r} is not among the {len(names)} discovered streams")
    return {**catalog, "streams": streams}


def _incremental(stream: dict[str, Any]) -> None:
    """Choose incremental replication on the first valid key, as Stitch or Meltano would.

    singer-io taps discover ``valid-replication-keys`` but run FULL_TABLE unless the
    catalog names a ``replication-key``; singer-sdk taps already carry one.
    """
    keys = stream.get("valid-replication-keys") or []
    if stream.get("forced-replication-method") == "FULL_TABLE" or not keys:
        return
    stream.setdefault("replication-key", keys[0])
    stream.setdefault("replication-method", "INCREMENTAL")


def airbyte_catalog(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``catalog`` of the CATALOG message among an Airbyte ``discover`` run's output."""
    for message in messages:
        if message.get("type") == "CATALOG":
            return message["catalog"]
    raise LookupError("discover printed no CATALOG message")


def configure_airbyte(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    """An incremental, append configured catalog of ``stream`` alone."""
    for entry in catalog.get("streams", []):
        if entry.get("name") != stream:
            continue
        incremental = "incremental" in entry.get("supported_sync_modes", [])
        return {
            "streams": [
                {
                    "stream": entry,
                    "sync_mode": "incremental" if incremental else "full_refresh",
                    "destination_sync_mode": "append",
                    "cursor_field": entry.get("default_cursor_field") or [],
                    "primary_key": entry.get("source_defined_primary_key") or [],
                }
            ]
        }
    raise LookupError(f"stream {stream!r} is not in the Airbyte catalog")
