"""Benchmark: target-hubspot-custom's CPU on the forward leg's real input, write-back on.

Records once, in ``--root``: a sandbox seeded with 2,000 ``Account`` and ``--size``
``Project__c`` (80 % linked to an account), a copy of its data (the snapshot), and the
output of ``tap-salesforce-custom | map-crm`` over it (``mapped.singer``). Each replay
starts a sandbox on a fresh copy of the snapshot and runs the target CLI on that file
with a fresh ledger and the Salesforce login, so it also writes every new HubSpot id back
to Salesforce, as ``meltano run forward`` does. It prints the target's CPU seconds
(user + system, from ``wait4``), its peak memory, the sandbox's CPU over the run and the
calls by endpoint: the same input replayed before and after a change gives a CPU pair
that hardly moves with the machine's load.

    .venv/bin/python bench/bench_forward_target.py record --root /tmp/fwd --size 100000
    .venv/bin/python bench/bench_forward_target.py replay --root /tmp/fwd
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import psutil

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import RunningSandbox, start, stop

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCOUNTS = 2_000
FAST = FaultSettings(
    latency_ms=0,
    hs_ten_second_max=10**7,
    hs_daily_max=10**9,
    hs_search_per_second=10**4,
    sf_daily_max=10**9,
)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}


def _salesforce(env: dict[str, str], prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
        f"{prefix}instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        f"{prefix}access_token": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        f"{prefix}api_version": env["CRM_SANDBOX_SF_API_VERSION"],
    }


def tap_config(env: dict[str, str]) -> dict[str, Any]:
    return {
        **_salesforce(env),
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "objects": ["Account", "Contact", "Project__c", "Task"],
        "mappings_dir": str(REPO / "transforms" / "mappings"),
    }


def mapper_config(env: dict[str, str]) -> dict[str, Any]:
    return {
        **_salesforce(env, "salesforce_"),
        "direction": "sf_to_hs",
        "mappings_dir": str(REPO / "transforms" / "mappings"),
        "salesforce_client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "salesforce_client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        "salesforce_ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "hubspot_base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "hubspot_access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "hubspot_ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
    }


def target_config(env: dict[str, str], ledger: Path) -> dict[str, Any]:
    return {
        **_salesforce(env, "sf_"),
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{ledger}",
        "rate_limit_per_10s": 10**7,
    }


def run(command: list[str], stdin: IO[bytes] | int, stdout: IO[bytes] | int, log: Path) -> float:
    """Run ``command`` to its end; its CPU seconds (it must succeed)."""
    with log.open("wb") as err:
        proc = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=err, env=_env())
        _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{command[0]} failed ({status}): see {log}")
    return usage.ru_utime + usage.ru_stime


def record(root: Path, size: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    data_dir = DataDir(root / "sandbox")
    handle = start(data_dir, settings=FAST)
    try:
        handle.seed(salesforce={"Account": ACCOUNTS, "Project__c": size})
    finally:
        stop(data_dir)
    shutil.copytree(root / "sandbox", root / "snapshot")
    handle = start(data_dir, settings=FAST)
    try:
        (root / "tap.json").write_text(json.dumps(tap_config(handle.env)))
        (root / "map.json").write_text(json.dumps(mapper_config(handle.env)))
        tap = [str(BIN / "tap-salesforce-custom"), "--config", str(root / "tap.json")]
        with (root / "tap.singer").open("wb") as out:
            print(f"tap CPU {run(tap, subprocess.DEVNULL, out, root / 'tap.log'):.1f} s")
        mapper = [str(BIN / "map-crm"), "--config", str(root / "map.json")]
        with (root / "tap.singer").open("rb") as inp, (root / "mapped.singer").open("wb") as out:
            print(f"map-crm CPU {run(mapper, inp, out, root / 'map.log'):.1f} s")
    finally:
        stop(data_dir)


def fresh_sandbox(root: Path, name: str) -> tuple[Path, DataDir, RunningSandbox]:
    """A sandbox started on a fresh copy of the recording's snapshot, in ``root / name``
    (emptied first): the work directory, its data directory and the running sandbox."""
    work = root / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "snapshot", work / "sandbox")
    data_dir = DataDir(work / "sandbox")
    return work, data_dir, start(data_dir, settings=FAST)


def _peak_mib(pid: int) -> float:
    """A process's peak resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def replay(root: Path) -> None:
    work, data_dir, handle = fresh_sandbox(root, "replay")
    try:
        config = work / "target.json"
        config.write_text(json.dumps(target_config(handle.env, work / "ledger.sqlite")))
        # Both sandbox processes: the target writes HubSpot and Salesforce's id write-back.
        servers = [psutil.Process(pid) for pid in handle.pids]
        server_cpu = sum(sum(server.cpu_times()[:2]) for server in servers)
        began = time.perf_counter()
        target = [str(BIN / "target-hubspot-custom"), "--config", str(config)]
        with (root / "mapped.singer").open("rb") as inp:
            proc = subprocess.Popen(
                target, stdin=inp, stdout=subprocess.DEVNULL,
                stderr=(work / "target.log").open("wb"), env=_env(),
            )  # fmt: skip
            _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"target failed ({status}): see {work / 'target.log'}")
        stats = handle.stats()
        calls = {
            f"{api} {route}": n
            for api in ("salesforce", "hubspot")
            for route, n in stats.get(api, {}).get("calls", {}).items()
        }
        print(f"wall:              {time.perf_counter() - began:,.1f} s")
        print(f"target CPU:        {usage.ru_utime + usage.ru_stime:,.1f} s (user + system)")
        print(f"target peak:       {usage.ru_maxrss / 1024:,.0f} MiB")
        user = sum(server.cpu_times().user for server in servers)
        system = sum(server.cpu_times().system for server in servers)
        print(f"sandbox CPU:       {user + system - server_cpu:,.1f} s (both processes)")
        print(f"sandbox user/sys:  {user:,.1f} / {system:,.1f} s (since start)")
        print(f"sandbox peak:      {sum(_peak_mib(pid) for pid in handle.pids):,.0f} MiB")
        print(f"load average:      {os.getloadavg()[0]:.1f}")
        print(f"calls by endpoint: {json.dumps(calls, sort_keys=True)}")
    finally:
        stop(data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("record", "replay"))
    parser.add_argument("--root", type=Path, required=True, help="where the recording lives")
    parser.add_argument("--size", type=int, default=100_000, help="Project__c rows to seed")
    args = parser.parse_args()
    if args.step == "record":
        record(args.root, args.size)
    else:
        replay(args.root)


if __name__ == "__main__":
    main()
