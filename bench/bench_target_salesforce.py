"""Benchmark target-salesforce-custom: N HubSpot-born projects created in Salesforce.

Starts its own sandbox, seeds N HubSpot ``project`` records (set-based, no API calls),
and makes the reverse leg's input the way ``meltano run reverse`` does: the real
``tap-hubspot-custom | map-crm`` (direction hs_to_sf, a mapping that creates in
Salesforce) into a messages file. The real target CLI then reads that file as a child
process, once per write path, each on a fresh org and ledger:

* ``collections``: ``bulk_threshold`` above N, so every batch goes through sObject
  collections (minimum ceil(N/200) write calls);
* ``bulk``: the default threshold, so every batch of the default size is one Bulk 2.0
  ingest job (create, upload, close: 3 write calls per batch, then status polls and the
  results, which only read).

Both then write the new Salesforce ids back to HubSpot (ceil(N/100) batch updates). It
prints the target's wall time, records/s, CPU seconds and peak resident memory (VmHWM,
the child's ``ru_maxrss`` from ``wait4`` in a bare launcher, :mod:`bench.child_usage`: the target
alone, not this script), and the API calls against the minimum.

    .venv/bin/python bench/bench_target_salesforce.py --records 10000
    .venv/bin/python bench/bench_target_salesforce.py --records 100000 --paths bulk
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from target_salesforce_custom.sinks import SalesforceSink

from bench.child_usage import run_measured
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import RunningSandbox, start, stop
from tests.target_salesforce_custom.helpers import sf_writes, target_config, write_mappings

BIN = Path(sys.executable).parent
LIFTED = 10_000_000
"""HubSpot's call limits lifted in the sandbox and the plugins: only our code is measured."""
PATHS = ("collections", "bulk")


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}


def write_input(env: Mapping[str, str], work: Path, messages: Path) -> None:
    """``tap-hubspot-custom | map-crm > messages``: the reverse leg's input, as in a run."""
    mappings = write_mappings(work / "mappings")
    tap = work / "tap.json"
    tap.write_text(
        json.dumps(
            {
                "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                "objects": ["project"],
                "include_archived": False,
                "max_requests_per_10s": LIFTED,
            }
        )
    )
    mapper = work / "map.json"
    mapper.write_text(json.dumps({"mappings_dir": str(mappings), "direction": "hs_to_sf"}))
    with messages.open("w") as out:
        tap_proc = subprocess.Popen(
            [str(BIN / "tap-hubspot-custom"), "--config", str(tap)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env(),
        )
        mapped = subprocess.run(
            [str(BIN / "map-crm"), "--config", str(mapper)],
            stdin=tap_proc.stdout,
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=child_env(),
            check=False,
        )
        assert tap_proc.stdout is not None
        tap_proc.stdout.close()
        assert tap_proc.wait() == 0 and mapped.returncode == 0, "tap | map-crm failed"


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_mib: float
    cpu_s: float


def run_target(config: Mapping[str, Any], work: Path, messages: Path) -> ChildRun:
    """The target CLI over ``messages`` (in ``work``): wall time, peak RSS, CPU seconds."""
    path = work / "target.json"
    path.write_text(json.dumps(dict(config)))
    stderr = work / "target.stderr"
    command = [str(BIN / "target-salesforce-custom"), "--config", str(path)]
    began = time.perf_counter()
    with messages.open() as stdin, stderr.open("w") as err:
        usage = run_measured(command, stdin=stdin, stderr=err, env=child_env())
    elapsed = time.perf_counter() - began
    assert usage.returncode == 0, stderr.read_text()[-3000:]
    return ChildRun(elapsed, usage.peak_mib, usage.cpu_s)


def bench_path(
    handle: RunningSandbox, root: Path, n: int, path: str, messages: Path, bulk_threshold: int
) -> None:
    work = root / path
    work.mkdir()
    threshold = n + 1 if path == "collections" else bulk_threshold
    config = {
        **target_config(handle.env, work, bulk_threshold=threshold),
        "hs_rate_limit_per_10s": LIFTED,
    }
    config.pop("plan_path")
    handle.clear_stats()
    run = run_target(config, work, messages)
    stats = handle.stats()
    sf, hs = stats["salesforce"], stats["hubspot"]
    batches = math.ceil(n / SalesforceSink.MAX_SIZE_DEFAULT)
    minimum = math.ceil(n / 200) if path == "collections" else 3 * batches
    print(
        f"{path:11s} {n:,} records in {run.seconds:.1f} s = {n / run.seconds:,.0f} rec/s; "
        f"target CPU {run.cpu_s:.1f} s, peak RSS {run.peak_mib:.0f} MiB; "
        f"Salesforce calls {sf['total']} (writes {sf_writes(stats)}, minimum {minimum}); "
        f"HubSpot write-back calls {hs['total']} (minimum {math.ceil(n / 100)} "
        "+ 1 schema lookup)",
        flush=True,
    )
    assert sf["records"]["Project__c"] == n, sf["records"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--paths", default=",".join(PATHS), help="collections,bulk")
    parser.add_argument("--bulk-threshold", type=int, default=2000)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory(prefix="target-sf-bench-") as tmp:
        root = Path(tmp)
        data_dir = DataDir(root / "sandbox")
        settings = FaultSettings(
            latency_ms=args.latency_ms, hs_ten_second_max=LIFTED, hs_daily_max=10**9
        )
        handle = start(data_dir, settings=settings)
        try:
            began = time.perf_counter()
            handle.seed(hubspot={"project": n})
            messages = root / "messages.singer"
            write_input(handle.env, root, messages)
            print(f"seeded and mapped {n:,} projects in {time.perf_counter() - began:.1f} s")
            for path in args.paths.split(","):
                handle.reset(["salesforce"])  # a fresh org; HubSpot keeps its projects
                bench_path(handle, root, n, path, messages, args.bulk_threshold)
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
