"""Benchmark the tap's refresh pass: re-reading a formula field of every row.

    .venv/bin/python bench/bench_refresh.py --rows 100000 [--paths rest,bulk]

Starts a sandbox on a temp dir, seeds N Project__c rows, and per path runs the tap
(a subprocess, output to a file) twice with a mapping that refreshes
``Budget_Remaining__c`` (a formula) every day: a first full read, then — the sandbox
clock a day later, nothing changed — the refresh pass alone. Prints one line per run:
partial records emitted, seconds, Salesforce API calls (the sandbox's accounting), the
tap's peak RSS.
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
from typing import Any

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import RunningSandbox, start, stop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tap_salesforce import tap_config

ROOT = Path(__file__).resolve().parent.parent
DAY_MS = 86_400_000
SPEC = """\
name: project
salesforce: {object: Project__c, id_field: HubSpot_Id__c}
hubspot: {object: project, id_property: salesforce_id}
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way}
  - {salesforce: Budget_Remaining__c, hubspot: budget_remaining, rule: always_salesforce}
refresh: {fields: formulas, every: 1d}
"""


def config(env: dict[str, str], api_type: str, mappings: Path) -> dict[str, Any]:
    """bench_tap_salesforce's tap config, with the mapping specs to refresh from."""
    return {**tap_config(env, api_type), "mappings_dir": str(mappings)}


def run_tap(
    handle: RunningSandbox, work: Path, api_type: str, state: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One tap run: (figures, last STATE)."""
    cfg, state_file, out = (work / f"{api_type}-{n}.json" for n in ("config", "state", "out"))
    cfg.write_text(json.dumps(config(handle.env, api_type, work / "mappings")))
    state_file.write_text(json.dumps(state))
    handle.clear_stats()
    started = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/tap-salesforce-custom"), "--config", str(cfg),
             "--state", str(state_file)],
            stdout=sink, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"tap exited with {os.waitstatus_to_exitcode(status)}")
    elapsed = time.perf_counter() - started
    # Streamed, nothing kept: the next tap is forked from this process, and a child's
    # max RSS starts at its parent's size.
    records, last = 0, {}
    with out.open() as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"') or '"type": "RECORD"' in line[:30]:
                records += 1
            elif '"STATE"' in line[:30]:
                last = json.loads(line)["value"]
    figures = {
        "path": api_type,
        "records": records,
        "seconds": round(elapsed, 2),
        "api_calls": handle.stats()["salesforce"]["total"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
    return figures, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--paths", default="rest,bulk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        work = Path(tmp)
        (work / "mappings").mkdir()
        (work / "mappings" / "project.yml").write_text(SPEC)
        data_dir = DataDir(work / "sandbox")
        handle = start(data_dir)
        try:
            handle.seed(salesforce={"Project__c": args.rows})
            for api_type in args.paths.split(","):
                handle.clock(reset=True)
                first, state = run_tap(handle, work, api_type, {})
                handle.clock(advance_ms=DAY_MS + 60_000)
                refresh, _ = run_tap(handle, work, api_type, state)
                print(json.dumps({"rows": args.rows, "first_read": first, "refresh": refresh}))
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
