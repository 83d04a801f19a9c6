"""Discovery reads every selected type's properties in one round trip."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tap_hubspot_custom import discovery

TYPES = discovery.STANDARD


def test_properties_of_reads_all_types_at_once_in_order() -> None:
    arrived = threading.Barrier(len(TYPES), timeout=30)  # passes only if all are in flight
    paths: list[str] = []

    def get(path: str, route: str) -> dict[str, Any]:
        paths.append(path)
        arrived.wait()
        type_id = path.rsplit("/", 1)[1]
        return {"results": [{"name": f"p_{type_id}", "type": "string"}]}

    found = discovery.properties_of(get, TYPES)

    assert [props[0]["name"] for props in found] == [f"p_{t.type_id}" for t in TYPES]
    assert sorted(paths) == sorted(f"/crm/v3/properties/{t.type_id}" for t in TYPES)


def test_properties_of_raises_the_failure() -> None:
    def get(path: str, route: str) -> dict[str, Any]:
        if path.endswith("/0-3"):
            raise ConfigValidationError("HubSpot discovery failed: 403 deals")
        return {"results": []}

    with pytest.raises(ConfigValidationError, match="403 deals"):
        discovery.properties_of(get, TYPES)


def test_properties_of_one_type_stays_on_the_calling_thread() -> None:
    threads: list[str] = []

    def get(path: str, route: str) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return {"results": []}

    assert discovery.properties_of(get, TYPES[:1]) == [[]]
    assert threads == [threading.current_thread().name]
