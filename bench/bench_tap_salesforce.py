"""Benchmark tap-salesforce-custom on its own sandbox: records/s, API calls, peak memory.

    .venv/bin/python bench/bench_tap_salesforce.py --rows 100000 [--latency-ms 100]
        [--paths rest,bulk]

Starts a sandbox on a temp dir, seeds N Project__c rows, then runs the tap as a
subprocess (output to /dev/null) once per path and prints one line per run. API calls
come from the sandbox's own accounting; peak memory is the tap process's max RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import start, stop

ROOT = Path(__file__).resolve().parent.parent


def tap_config(env: dict[str, str], api_type: str) -> dict:
    return {
        "login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "api_version": env["CRM_SANDBOX_SF_API_VERSION"],
        "objects": ["Project__c"],
        "api_type": api_type,
        "page_size": 2000,
        "bulk_page_size": 50_000,
        "bulk_poll_seconds": 0.2,
    }


def run_once(handle, workdir: Path, api_type: str, rows: int) -> dict:
    cfg = workdir / f"config-{api_type}.json"
    cfg.write_text(json.dumps(tap_config(handle.env, api_type)))
    handle.clear_stats()
    started = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/tap-salesforce-custom"), "--config", str(cfg)],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own max RSS
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"tap exited with {proc.returncode}")
    elapsed = time.perf_counter() - started
    stats = handle.stats()["salesforce"]
    return {
        "path": api_type,
        "rows": rows,
        "seconds": round(elapsed, 2),
        "records_per_s": round(rows / elapsed),
        "api_calls": stats["total"],
        "calls": stats["calls"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--paths", default="rest,bulk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tap-sf-") as tmp:
        data_dir = DataDir(Path(tmp) / "sandbox")
        handle = start(data_dir, settings=FaultSettings(latency_ms=args.latency_ms))
        try:
            t0 = time.perf_counter()
            handle.seed(salesforce={"Project__c": args.rows})
            print(f"seeded {args.rows} Project__c in {time.perf_counter() - t0:.1f}s",
                  file=sys.stderr)  # fmt: skip
            for path in args.paths.split(","):
                result = run_once(handle, Path(tmp), path.strip(), args.rows)
                result["latency_ms"] = args.latency_ms
                print(json.dumps(result))
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
