"""A base's JSON text: the fast path writes exactly what the copy made JSON-ready writes.

:func:`crm_sync.ledger.store.base_text` encodes a base of plain values as it is and
sends any other base through ``_json_ready`` first; the column's text must not depend
on which way it went (ledgers written before are compared and read back as text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from uuid import UUID

import pytest

from crm_sync.ledger import LedgerStore
from crm_sync.ledger.engine import json_text
from crm_sync.ledger.store import _json_ready, base_text

PLAIN = {
    "salesforce": {
        "Name": 'Ünïcode "quoted" \n line',
        "Budget__c": Decimal("3146951.88"),
        "Completion__c": Decimal("34.0"),
        "Tiny__c": Decimal("1E-7"),
        "Nan__c": Decimal("NaN"),
        "Neg__c": Decimal("-0"),
        "Is_Active__c": True,
        "Count__c": 12,
        "Ratio__c": 0.1,
        "Empty__c": None,
    },
    "hubspot": {"project_name": "x", "budget": "3146951.88", "@assoc:Account__c": "001A"},
}

OTHERS: list[Any] = [
    {"salesforce": {"Kickoff__c": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}, "hubspot": {}},
    {"salesforce": {"Start__c": date(2026, 1, 2)}, "hubspot": {}},
    {
        "salesforce": {"At__c": datetime(2026, 1, 2, 3, 4, 5, 6, timezone(timedelta(hours=2)))},
        "hubspot": {},
    },
    {"salesforce": {"Tags__c": ["a", Decimal("1.5")], "Pair__c": ("a", "b")}, "hubspot": {}},
    {"salesforce": {"Nested__c": {"a": Decimal("2.50")}}, "hubspot": {}},
    {"salesforce": {1: "int key"}, "hubspot": {}},
    {"salesforce": MappingProxyType({"Name": "a mapping, not a dict"}), "hubspot": {}},
    {"salesforce": {"Id__c": UUID(int=7)}, "hubspot": {"b": b"bytes"}},
    MappingProxyType({"salesforce": {"Name": "a"}, "hubspot": {}}),
    {"salesforce": {}, "hubspot": {}, "extra": "a third half"},
    {},
]


@pytest.mark.parametrize("base", [PLAIN, *OTHERS])
def test_base_text_is_the_json_ready_text(base: Any) -> None:
    assert base_text(base) == json_text(_json_ready(base))


def test_a_date_time_keeps_its_iso_offset() -> None:
    """The reason a date-time takes the slow path: msgspec would write UTC as ``Z``."""
    text = base_text(OTHERS[0])
    assert "2026-01-02T03:04:05+00:00" in text


def test_a_linked_base_is_stored_as_that_text(tmp_path: Path) -> None:
    store = LedgerStore(tmp_path / "ledger.sqlite")
    try:
        with store.batch() as uow:
            uow.link("project", "a01", "9001", base=PLAIN)
        with store.engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT base FROM sync_record").scalar_one()
        assert stored == json_text(_json_ready(PLAIN))
    finally:
        store.close()
