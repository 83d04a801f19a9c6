"""Benchmark: batch-upsert N `project` records through hubspot-api-client, then again.

Starts its own sandbox on a temporary data directory (10-second and daily limits raised
so the walk is not throttled), upserts N records 100 at a time by the unique property
``salesforce_id`` (all new), then re-upserts the same N with changed values (all
updates), and prints records/s of each pass plus the peak resident memory (VmHWM) of
the server process and of this client.

    .venv/bin/python bench/bench_hs_batch_upsert.py --records 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hubspot import HubSpot
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import start, stop

BATCH = 100


def vm_hwm_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def batch(
    start_at: int, count: int, generation: int
) -> BatchInputSimplePublicObjectBatchInputUpsert:
    return BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            {
                "id": f"a0B5g0000{n:09d}",
                "idProperty": "salesforce_id",
                "objectWriteTraceId": str(n),
                "properties": {
                    "project_name": f"Project {n} v{generation}",
                    "status": ("draft", "in_progress", "done")[(n + generation) % 3],
                    "budget": (n % 997) * 100 + generation,
                    "completion": (n + generation) % 101,
                    "is_active": (n + generation) % 2 == 0,
                    "start_date": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                    "contact_email": f"owner{n}@example.com",
                },
            }
            for n in range(start_at, start_at + count)
        ]
    )


def walk(client: HubSpot, total: int, generation: int, expect_new: bool) -> float:
    api = client.crm.objects.batch_api
    began = time.perf_counter()
    done = 0
    for start_at in range(0, total, BATCH):
        count = min(BATCH, total - start_at)
        reply = api.upsert("project", batch(start_at, count, generation))
        errors = getattr(reply, "errors", None)
        if errors or len(reply.results) != count:
            raise SystemExit(f"batch at {start_at} failed: {errors}")
        if any(r.new is not expect_new for r in reply.results):
            raise SystemExit(f"batch at {start_at}: expected new={expect_new}")
        done += count
    return done / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        data_dir = DataDir(tmp)
        settings = FaultSettings(hs_ten_second_max=10**9, hs_daily_max=10**9)
        handle = start(data_dir, settings=settings)
        try:
            env = handle.env
            client = HubSpot(
                access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                host=env["CRM_SANDBOX_HS_BASE_URL"],
                ssl_ca_cert=env["CRM_SANDBOX_CA_BUNDLE"],
            )
            create_rate = walk(client, args.records, 1, expect_new=True)
            update_rate = walk(client, args.records, 2, expect_new=False)
            stats = handle.stats()["hubspot"]
            print(f"records:            {args.records}")
            print(f"upsert (create):    {create_rate:,.0f} records/s")
            print(f"upsert (update):    {update_rate:,.0f} records/s")
            print(
                f"API calls:          {stats['total']} "
                f"({stats['total'] / (2 * args.records):.3f} per record written)"
            )
            print(f"project records:    {stats['records']['project']}")
            hubspot_kib = vm_hwm_kib(handle.api_pid("hubspot"))
            print(f"server peak memory: {hubspot_kib / 1024:,.0f} MiB (VmHWM, the HubSpot process)")
            print(f"client peak memory: {vm_hwm_kib() / 1024:,.0f} MiB (VmHWM)")
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
