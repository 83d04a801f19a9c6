"""Benchmark: a first import of N mapped project records through target-hubspot-custom.

Starts its own sandbox on a temporary data directory, writes a Singer messages file of
N records shaped as map-crm emits them (``x-crm-mapping`` / ``x-crm-rule``
annotations, ``_crm_*`` fields): ``--accounts`` companies first, then the projects, 80 %
of them associated with one of those companies; the last 1 % of the companies come after
the projects, so the associations to them are parked as pending and made at the end of
the run (both paths measured). It runs the real target CLI on it as a subprocess (the
ledger a SQLite file in the temp dir) and reports:

* records/s of the whole target run (process start to exit);
* HubSpot API calls against the minimum (ceil(N/100) upserts + ceil(A/100) association
  batches + the schema check);
* with ``--latency-ms`` and ``--ten-second-max``: the share of the portal's 10-second
  ceiling the run reached, ``calls / (duration / 10 s * ten_second_max)``, from the
  sandbox's call counter over the run's duration (goal ≥ 90 %);
* the target's CPU seconds (user + system, from ``wait4``): on a busy machine a steadier
  figure than the wall time;
* the sandbox server's CPU seconds over the run (it shares the machine's cores with the
  target, so its cost per call bounds the run too);
* peak resident memory (VmHWM / ru_maxrss) of the target and of the sandbox server.

    .venv/bin/python bench/bench_target_hubspot.py --records 100000
    .venv/bin/python bench/bench_target_hubspot.py --records 100000 --latency-ms 150
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
from pathlib import Path

import psutil

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import start, stop

MAPPING = {
    "name": "project",
    "salesforce": {"object": "Project__c", "id_field": "HubSpot_Id__c"},
    "hubspot": {"object": "project", "id_property": "salesforce_id"},
    "create": {"to_hubspot": True, "to_salesforce": False},
    "delete": {"to_hubspot": "propagate", "to_salesforce": "ignore"},
    "conflict": "newest",
    "tie": "salesforce",
    "direction": "sf_to_hs",
    "key": "salesforce_id",
}
ACCOUNT_MAPPING = {
    **MAPPING,
    "name": "account",
    "salesforce": {"object": "Account", "id_field": "HubSpot_Id__c"},
    "hubspot": {"object": "companies", "id_property": "salesforce_id"},
    "delete": {"to_hubspot": "ignore", "to_salesforce": "ignore"},
}
NULL_STR = {"type": ["string", "null"]}


def _field(source: str, rule: str, kind: str, json_type: str = "string") -> dict:
    return {
        "type": [json_type, "null"],
        "x-crm-rule": rule,
        "x-crm-source": source,
        "x-crm-kind": kind,
    }


def schema_message() -> dict:
    props = {
        "project_name": _field("Name", "two_way", "text"),
        "status": _field("Status__c", "always_salesforce", "picklist"),
        "budget": _field("Budget__c", "prefer_salesforce", "number", "number"),
        "contact_email": _field("Contact_Email__c", "two_way", "text"),
        "salesforce_id": {**NULL_STR, "x-crm-role": "source_id"},
        "_crm_source_id": {"type": ["string"]},
        "_crm_source_modified_at": {"type": ["string", "null"], "format": "date-time"},
        "_crm_associations": {"type": ["array", "null"], "items": {"type": "object"}},
        "_crm_errors": {"type": ["array", "null"], "items": {"type": "object"}},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    }
    return {
        "type": "SCHEMA",
        "stream": "project",
        "key_properties": ["salesforce_id"],
        "schema": {"type": "object", "properties": props, "x-crm-mapping": MAPPING},
    }


def account_schema_message() -> dict:
    props = {
        "name": _field("Name", "two_way", "text"),
        "salesforce_id": {**NULL_STR, "x-crm-role": "source_id"},
        "_crm_source_id": {"type": ["string"]},
        "_crm_source_modified_at": {"type": ["string", "null"], "format": "date-time"},
        "_crm_associations": {"type": ["array", "null"], "items": {"type": "object"}},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    }
    return {
        "type": "SCHEMA",
        "stream": "account",
        "key_properties": ["salesforce_id"],
        "schema": {"type": "object", "properties": props, "x-crm-mapping": ACCOUNT_MAPPING},
    }


def account_id(n: int) -> str:
    return f"0015g0000{n:09d}"


def _account_record(n: int) -> str:
    sid = account_id(n)
    record = {
        "name": f"Company {n}",
        "salesforce_id": sid,
        "_crm_source_id": sid,
        "_crm_source_modified_at": "2026-01-01T00:00:00.000Z",
        "_crm_associations": [],
    }
    return json.dumps({"type": "RECORD", "stream": "account", "record": record}) + "\n"


def associated_account(n: int, accounts: int) -> int | None:
    """The account project ``n`` is associated with: 80 % of the projects have one."""
    return None if accounts == 0 or n % 5 == 4 else n % accounts


def late_accounts(accounts: int) -> int:
    """The last 1 % of the accounts (at least one) come after the projects."""
    return max(1, accounts // 100) if accounts else 0


def write_messages(path: Path, records: int, accounts: int = 0) -> int:
    """Write the messages file; returns how many associations it asks for."""
    statuses = ("planned", "in_progress", "on_hold", "done", "cancelled")
    early = accounts - late_accounts(accounts)
    associations = 0
    with path.open("w") as handle:
        if accounts:
            handle.write(json.dumps(account_schema_message()) + "\n")
            handle.writelines(_account_record(a) for a in range(early))
        handle.write(json.dumps(schema_message()) + "\n")
        for n in range(records):
            sid = f"a0B5g0000{n:09d}"
            record = {
                "project_name": f"Project {n}",
                "status": statuses[n % len(statuses)],
                "budget": (n % 997) * 100.5,
                "contact_email": f"owner{n}@example.com",
                "salesforce_id": sid,
                "_crm_source_id": sid,
                "_crm_source_modified_at": "2026-01-01T00:00:00.000Z",
                "_crm_associations": [],
            }
            account = associated_account(n, accounts)
            if account is not None:
                associations += 1
                record["_crm_associations"] = [
                    {"to_mapping": "account", "lookup": "Account__c",
                     "source_id": account_id(account)}
                ]  # fmt: skip
            handle.write(json.dumps({"type": "RECORD", "stream": "project", "record": record}))
            handle.write("\n")
            if (n + 1) % 10_000 == 0:
                handle.write(json.dumps({"type": "STATE", "value": {"upto": n + 1}}) + "\n")
        handle.writelines(_account_record(a) for a in range(early, accounts))
    return associations


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000, help="0: no associations")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the target here")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--ten-second-max", type=int, default=190)
    parser.add_argument("--max-workers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="target-hs-bench-") as tmp:
        root = Path(tmp)
        data_dir = DataDir(root / "sandbox")
        settings = FaultSettings(
            latency_ms=args.latency_ms,
            hs_ten_second_max=args.ten_second_max,
            hs_daily_max=10**9,
        )
        handle = start(data_dir, settings=settings)
        try:
            env = handle.env
            messages = root / "messages.singer"
            associations = write_messages(messages, args.records, args.accounts)
            config = root / "config.json"
            config.write_text(
                json.dumps(
                    {
                        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                        "ledger_url": f"sqlite:///{root / 'ledger.sqlite'}",
                        "max_workers": args.max_workers,
                        "rate_limit_per_10s": args.ten_second_max,
                    }
                )
            )
            cli = [str(Path(sys.executable).parent / "target-hubspot-custom"), "--config"]
            if args.profile:
                cli = [sys.executable, "-m", "cProfile", "-o", str(args.profile), *cli]
            child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
            handle.clear_stats()
            server = psutil.Process(handle.api_pid("hubspot"))  # the HubSpot process
            server_cpu = sum(server.cpu_times()[:2])
            began = time.perf_counter()
            with messages.open() as stdin:
                proc = subprocess.Popen(
                    [*cli, str(config)],
                    stdin=stdin,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    env=child_env,
                )
                _, status, usage = os.wait4(proc.pid, 0)
                stderr = proc.stderr.read().decode() if proc.stderr else ""
            duration = time.perf_counter() - began
            server_cpu = sum(server.cpu_times()[:2]) - server_cpu
            if status != 0:
                raise SystemExit(f"target failed ({status}):\n{stderr[-3000:]}")
            stats = handle.stats()["hubspot"]
            upserts = sum(n for k, n in stats["calls"].items() if "batch/upsert" in k)
            linked = sum(n for k, n in stats["calls"].items() if "associations" in k)
            minimum = math.ceil(args.records / 100) + math.ceil(args.accounts / 100)
            linked_minimum = math.ceil(associations / 100)
            ceiling = duration / 10.0 * args.ten_second_max
            print(f"records:              {args.records:,}")
            print(f"latency:              {args.latency_ms} ms, max_workers {args.max_workers}")
            print(f"duration:             {duration:,.1f} s")
            print(f"throughput:           {args.records / duration:,.0f} records/s")
            print(
                f"API calls:            {stats['total']:,} ({upserts:,} upserts; minimum "
                f"{minimum:,} upserts + schema check)"
            )
            print(
                f"association calls:    {linked:,} for {associations:,} associations "
                f"(minimum {linked_minimum:,} batches)"
            )
            print(
                f"rate-limit share:     {stats['total'] / ceiling:.1%} of "
                f"{args.ten_second_max}/10 s over the run"
            )
            print(f"HubSpot project rows: {stats['records']['project']:,}")
            print(f"calls by endpoint:    {json.dumps(stats['calls'], sort_keys=True)}")
            cpu = usage.ru_utime + usage.ru_stime
            print(
                f"target CPU:           {cpu:,.1f} s ({args.records / cpu:,.0f} records per "
                "CPU second; user + system, from wait4)"
            )
            print(f"server CPU:           {server_cpu:,.1f} s (user + system over the run)")
            print(f"target peak memory:   {usage.ru_maxrss / 1024:,.0f} MiB (ru_maxrss)")
            hubspot_kib = vm_hwm_kib(handle.api_pid("hubspot"))
            print(
                f"server peak memory:   {hubspot_kib / 1024:,.0f} MiB (VmHWM, the HubSpot process)"
            )
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
