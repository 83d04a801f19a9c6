"""The target's memory does not grow with the run: peak RSS at 16,000 records ≈ at 2,000.

HubSpot projects are seeded in the sandbox and read the way ``meltano run reverse`` reads
them (the real ``tap-hubspot-custom | map-crm``, a mapping that creates in Salesforce,
:func:`bench.bench_target_salesforce.write_input`); the small run reads the first 2,000
records of the same file. The target CLI writes each into a fresh org and ledger, with
batches of 500 through Bulk 2.0 (threshold 200) and the new ids written back to HubSpot,
so both runs go through many whole batches: the small one 4, the large one 32. The peak
resident set of each target process (its ``ru_maxrss``, the kernel's VmHWM, read by a bare
launcher when it exits, not inherited from pytest: no sampling, no timing) must stay
within 10 %. Anything kept per record for the run (ids,
results, write-back lists, plans) would add its size times 14,000 to the second run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.bench_target_salesforce import run_target, write_input
from tests.target_salesforce_custom.helpers import target_config

pytestmark = pytest.mark.slow

SMALL, LARGE = 2_000, 16_000
BATCH, BULK_FROM = 500, 200
MARGIN = 0.10
LIFTED = 10_000_000


def first_records(messages: Path, out: Path, records: int) -> None:
    """The messages of ``messages`` up to its ``records``-th RECORD (SCHEMA, STATE kept)."""
    seen = 0
    with messages.open() as source, out.open("w") as sink:
        for line in source:
            if json.loads(line).get("type") == "RECORD":
                if seen == records:
                    break
                seen += 1
            sink.write(line)


def peak_rss_mib(sandbox: Any, work: Path, messages: Path, records: int) -> float:
    """The target CLI over ``messages`` into a fresh org and ledger; its peak RSS, MiB."""
    sandbox.reset(["salesforce"])
    work.mkdir()
    config = {
        **target_config(sandbox.env, work, bulk_threshold=BULK_FROM),
        "batch_size_rows": BATCH,
        "hs_rate_limit_per_10s": LIFTED,
    }
    run = run_target(config, work, messages)
    assert sandbox.stats()["salesforce"]["records"]["Project__c"] == records
    return run.peak_mib


def test_peak_memory_is_flat_from_2k_to_16k_records(clean_sandbox: Any, tmp_path: Path) -> None:
    clean_sandbox.set_faults(hs_ten_second_max=LIFTED, hs_daily_max=10**9)
    clean_sandbox.seed(hubspot={"project": LARGE})
    large_input = tmp_path / "large.singer"
    write_input(clean_sandbox.env, tmp_path, large_input)
    small_input = tmp_path / "small.singer"
    first_records(large_input, small_input, SMALL)
    small = peak_rss_mib(clean_sandbox, tmp_path / "small", small_input, SMALL)
    large = peak_rss_mib(clean_sandbox, tmp_path / "large", large_input, LARGE)
    calls = clean_sandbox.stats()["salesforce"]["calls"]
    jobs = sum(n for key, n in calls.items() if key.startswith("POST") and key.endswith("/ingest"))
    figures = f"peak RSS {small:.0f} MiB at {SMALL:,} records, {large:.0f} MiB at {LARGE:,}"
    assert jobs == LARGE // BATCH, f"the large run used {jobs} Bulk jobs; {figures}"
    assert large <= small * (1 + MARGIN), figures
