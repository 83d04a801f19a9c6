"""The results table: ratios against our run of the same job, failures with their cause."""

from __future__ import annotations

from bench.peers.extractors import extractors
from bench.peers.harness import FULL, INCREMENTAL, Row
from bench.peers.table import Expected, render

BY_KEY = {e.key: e for e in extractors()}


def test_table_gives_ratios_per_job_and_spells_out_failures():
    ids = {f"a{i}" for i in range(100)}
    rows = [
        Row(BY_KEY["ours-sf-rest"], FULL, 100, ids, 0, 2.0, 3, 60.0),
        Row(BY_KEY["singer-sf-rest"], FULL, 100, ids, 0, 7.0, 2, 40.0),
        Row(BY_KEY["ours-sf-rest"], INCREMENTAL, 2, {"a1", "a2"}, 1, 1.0, 3, 60.0),
        Row(BY_KEY["singer-sf-rest"], INCREMENTAL, 2, {"a1", "a2"}, 1, 0.5, 2, 40.0),
        Row(
            BY_KEY["singer-hs"],
            FULL,
            failure="discovery: `GET /properties/v1/deals/properties` → 404: not found — exit 1",
        ),
    ]
    expected = Expected(
        {"salesforce": 100, "hubspot": 10}, {"salesforce": {"a1", "a2"}}, {"salesforce": 1}
    )
    text = render(rows, expected, "## t")
    lines = text.splitlines()
    full_peer = next(ln for ln in lines if "singer-io) | REST | full" in ln)
    assert full_peer.endswith("| 3.50 |")
    assert "| 100/100 |" in full_peer
    incremental_peer = next(ln for ln in lines if "singer-io) | REST | incremental" in ln)
    assert incremental_peer.endswith("| 0.50 |")
    assert "| 2/2 |" in incremental_peer
    failed = next(ln for ln in lines if "v2 companies | full" in ln)
    assert "failed, sandbox gap" in failed
    assert failed.endswith("| — |")
    assert "`GET /properties/v1/deals/properties` → 404" in text
    assert "legacy v1/v2 CRM APIs" in text
