"""Property: random edits, page sizes and crashed runs never lose a change (fake org)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import requests_mock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tap_salesforce_custom.tap import TapSalesforceCustom

from tests.tap_salesforce_custom.fake_salesforce import LOGIN, FakeOrg

CONFIG = {
    "login_url": LOGIN,
    "client_id": "cid",
    "client_secret": "csecret",
    "objects": ["Project__c"],
    "api_type": "rest",
    "retry_wait_seconds": 0.001,
}

edit = st.tuples(st.sampled_from(["add", "touch", "delete"]), st.integers(0, 50), st.booleans())
step = st.one_of(
    st.tuples(st.just("edits"), st.lists(edit, min_size=1, max_size=6)),
    st.tuples(st.just("run"), st.integers(1, 4), st.one_of(st.none(), st.integers(0, 3))),
)


def sync(state: dict[str, Any], page_size: int) -> tuple[list[dict[str, Any]], dict, bool]:
    """One run; returns (records, last STATE, crashed)."""
    out = io.StringIO()
    crashed = False
    with redirect_stdout(out):
        try:
            TapSalesforceCustom(config={**CONFIG, "page_size": page_size}, state=state).sync_all()
        except Exception:
            crashed = True
    msgs = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    states = [m["value"] for m in msgs if m["type"] == "STATE"]
    return [m["record"] for m in msgs if m["type"] == "RECORD"], (states or [state])[-1], crashed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=8))
def test_every_change_is_emitted_at_least_once(steps: list[tuple]) -> None:
    with requests_mock.Mocker(case_sensitive=True) as mocker:
        org = FakeOrg().install(mocker)
        state: dict[str, Any] = {}
        emitted: set[tuple[str, str]] = set()
        for s in [*steps, ("run", 2, None)]:
            if s[0] == "edits":
                for op, pick, same in s[1]:
                    live = [
                        r["Id"] for r in org.records.get("Project__c", []) if not r["IsDeleted"]
                    ]
                    if op == "add" or not live:
                        org.add("Project__c", 1, same_stamp=same)
                    elif op == "touch":
                        org.touch("Project__c", live[pick % len(live)], same_stamp=same)
                    else:
                        org.delete("Project__c", live[pick % len(live)])
                continue
            _, page_size, crash_after_pages = s
            if crash_after_pages is not None:
                # the process dies after `crash_after_pages` more pages
                org.fault("queryMore", *(["ok"] * crash_after_pages), (400, "INVALID_TYPE"))
            records, state, crashed = sync(state, page_size)
            org.faults.clear()
            emitted |= {(r["Id"], r["SystemModstamp"][:23]) for r in records}
            if not crashed:
                current = {
                    (r["Id"], r["SystemModstamp"][:23].replace("+", ""))
                    for r in org.records.get("Project__c", [])
                }
                have = {(i, m) for i, m in emitted}
                missing = {(i, m) for i, m in current if (i, m) not in have}
                assert not missing, f"lost changes: {sorted(missing)[:5]}"
