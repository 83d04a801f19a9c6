"""Benchmark: the sandbox's own CPU on the forward leg's calls, replayed in one process.

``bench_forward_target.py replay`` measures the sandbox beside the target on two shared
cores: under other people's load its CPU figure moves by ± 0.7 s a run. This bench takes
the target out. ``record`` runs that replay once with the server logging every answered
call (``crm_sandbox.core.call_log``) to ``ROOT/calls.jsonl``; ``replay`` builds the
sandbox in this process on a fresh copy of the recording's snapshot, sends it those calls
one by one through the whole ASGI stack (no TLS, no sockets) and times each call's CPU.
``--passes N`` repeats that on N fresh copies and sums, per call, the least of its N
times: what the load adds to a call is rarely there in every pass. It prints that sum by
kind of call and any call whose status differs from the recording (a replay that went
another way than the recorded run).

    .venv/bin/python bench/bench_forward_target.py record --root /tmp/fwd --size 100000
    .venv/bin/python bench/bench_sandbox_calls.py record --root /tmp/fwd
    .venv/bin/python bench/bench_sandbox_calls.py replay --root /tmp/fwd --passes 3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_forward_target import FAST
from bench_forward_target import replay as forward_replay

from crm_sandbox.core import call_log
from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir

KINDS = (
    ("/batch/upsert", "HubSpot batch upsert"),
    ("/crm/v4/associations/", "HubSpot association batch"),
    ("/jobs/", "Salesforce Bulk 2.0"),
    ("/composite/sobjects", "Salesforce collections"),
)


def kind(call: dict[str, Any]) -> str:
    return next((name for part, name in KINDS if part in call["path"]), "other")


def record(root: Path) -> None:
    log = root / "calls.jsonl"
    log.unlink(missing_ok=True)
    os.environ[call_log.ENV] = str(log)  # the server started below inherits it
    try:
        forward_replay(root)
    finally:
        del os.environ[call_log.ENV]
    print(f"calls logged:      {sum(1 for _ in log.open())} in {log}")


async def _pass(app: Any, calls: list[dict[str, Any]]) -> tuple[list[float], Counter[str]]:
    times: list[float] = []
    differ: Counter[str] = Counter()
    for call in calls:
        began = time.process_time()  # the Bulk ingest runs on a worker thread: all threads
        status = await call_log.answer(app, call)
        times.append(time.process_time() - began)
        if status != call["status"]:
            differ[f"{call['method']} {call['path']} {call['status']} -> {status}"] += 1
    return times, differ


def replay(root: Path, passes: int) -> None:
    calls = call_log.read(root / "calls.jsonl")
    runs: list[list[float]] = []
    for number in range(passes):
        work = Path(tempfile.mkdtemp(prefix="bench-sandbox-calls-"))
        try:
            shutil.copytree(root / "snapshot", work / "sandbox")
            sandbox = assemble(DataDir(work / "sandbox"), FAST)
            gc.collect()
            gc.freeze()  # as the server does (crm_sandbox.core.server)
            gc.set_threshold(20_000, 5, 2)
            times, differ = asyncio.run(_pass(sandbox.asgi_app(), calls))
            sandbox.close()
            gc.unfreeze()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        runs.append(times)
        print(f"pass {number + 1}: {sum(times):,.2f} CPU s, {len(calls)} calls, "
              f"{sum(differ.values())} with another status {dict(differ) or ''}")  # fmt: skip
    least = [min(each) for each in zip(*runs, strict=True)]
    by_kind: Counter[str] = Counter()
    for call, seconds in zip(calls, least, strict=True):
        by_kind[kind(call)] += seconds
    print(f"least per call:    {sum(least):,.2f} CPU s over {passes} passes")
    for name, seconds in sorted(by_kind.items(), key=lambda item: -item[1]):
        print(f"  {name + ':':<26} {seconds:,.2f} s")
    print(f"load average:      {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("record", "replay"))
    parser.add_argument("--root", type=Path, required=True, help="bench_forward_target's root")
    parser.add_argument("--passes", type=int, default=3, help="fresh copies to replay on")
    args = parser.parse_args()
    if args.step == "record":
        record(args.root)
    else:
        replay(args.root, args.passes)


if __name__ == "__main__":
    sys.exit(main())
