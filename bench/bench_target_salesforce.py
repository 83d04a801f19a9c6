"""Benchmark target-salesforce-custom: N HubSpot-born records into Salesforce.

Creates N HubSpot projects in a fresh sandbox, maps them with map-crm (hs_to_sf) and
times the target (in-process) through sObject collections and through Bulk 2.0
ingest, each on a fresh org and ledger. Prints records/s (target time only, including
the write-back of new ids to HubSpot) and API calls against the minimum.

    .venv/bin/python bench/bench_target_salesforce.py --records 10000
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import start, stop
from tests.target_salesforce_custom.helpers import (
    HubSpotPortal,
    mapped,
    run_target,
    sf_writes,
    target_config,
    write_mappings,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = DataDir(Path(tmp) / "sandbox")
        handle = start(data_dir, settings=FaultSettings(latency_ms=args.latency_ms))
        try:
            for path, threshold in (("collections", n + 1), ("bulk", 1)):
                handle.reset()
                portal = HubSpotPortal(handle.env)
                rows = [{"project_name": f"P {i}", "budget": str(i)} for i in range(n)]
                ids = portal.create("project", rows)
                work = Path(tmp) / path
                mappings = write_mappings(work / "m")
                messages = mapped(mappings, *portal.stream("project", portal.read("project", ids)))
                config = target_config(handle.env, work, bulk_threshold=threshold)
                handle.clear_stats()
                began = time.perf_counter()
                run_target(config, messages)
                elapsed = time.perf_counter() - began
                stats = handle.stats()
                sf, hs = stats["salesforce"], stats["hubspot"]
                minimum = math.ceil(n / 200) if path == "collections" else 6
                print(
                    f"{path:11s} {n} records in {elapsed:.1f} s = {n / elapsed:,.0f} rec/s; "
                    f"Salesforce calls {sf['total']} (writes {sf_writes(stats)}, minimum "
                    f"{minimum}); HubSpot write-back calls {hs['total']} "
                    f"(minimum {math.ceil(n / 100)} + 1 schema lookup)"
                )
                assert sf["records"]["Project__c"] == n
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
