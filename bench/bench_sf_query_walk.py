"""Benchmark: seed N Project__c rows, walk them with query + queryMore (nextRecordsUrl).

Starts its own sandbox on a temporary data directory, seeds through the control API,
pages ``queryAll`` like the Singer taps do (re-sending ``q`` with each locator), checks
that every Id comes back exactly once (a bitmap over the seeded id sequence numbers, so
the client's memory stays flat), and prints seed time, walk time, rows/s and the peak
resident memory (VmHWM) of the server process and of this client.

    .venv/bin/python bench/bench_sf_query_walk.py --rows 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests

from crm_sandbox.core.datadir import SALESFORCE_API_VERSION, DataDir
from crm_sandbox.core.ids import BASE62
from crm_sandbox.core.process import start, stop

SOQL = (
    "SELECT Id, Name, Status__c, Budget__c, SystemModstamp FROM Project__c "
    "WHERE SystemModstamp >= 2000-01-01T00:00:00.000000Z ORDER BY SystemModstamp ASC"
)


def vm_kib(pid: int | str = "self", key: str = "VmHWM") -> int:
    """VmHWM (peak) or VmRSS (current) resident size of a process in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def vm_hwm_kib(pid: int | str = "self") -> int:
    return vm_kib(pid, "VmHWM")


def sequence_of(record_id: str) -> int:
    """The sequence number encoded in a sandbox id (chars 6..15, base 62)."""
    number = 0
    for ch in record_id[6:15]:
        number = number * 62 + BASE62.index(ch)
    return number


def walk(
    base_url: str, token: str, ca: str, rows: int, batch: int, server_pid: int
) -> tuple[int, int, int]:
    """Page the whole result; return (records, pages, max server RSS KiB while walking).

    Raises on any duplicate or missing record.
    """
    rss_max = 0
    seen = bytearray(rows // 8 + 2)
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = ca
    session.headers.update(
        {"Authorization": f"Bearer {token}", "Sforce-Query-Options": f"batchSize={batch}"}
    )
    url = f"{base_url}/services/data/v{SALESFORCE_API_VERSION}/queryAll"
    count = pages = 0
    total = None
    while url:
        reply = session.get(url, params={"q": SOQL}, timeout=600)
        reply.raise_for_status()
        body = reply.json()
        pages += 1
        if pages % 25 == 1:
            rss_max = max(rss_max, vm_kib(server_pid, "VmRSS"))
        total = body["totalSize"] if total is None else total
        for record in body["records"]:
            seq = sequence_of(record["Id"])
            byte, bit = divmod(seq, 8)
            if seen[byte] & (1 << bit):
                raise AssertionError(f"duplicate record {record['Id']}")
            seen[byte] |= 1 << bit
            count += 1
        url = base_url + body["nextRecordsUrl"] if not body["done"] else ""
    if total != rows or count != rows:
        raise AssertionError(f"expected {rows} records, totalSize={total}, walked {count}")
    return count, pages, rss_max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000, help="Sforce-Query-Options batchSize")
    parser.add_argument("--data-dir", help="sandbox data directory (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sf-walk-") as tmp:
        data_dir = DataDir(args.data_dir or tmp)
        handle = start(data_dir)
        try:
            env = handle.env
            t0 = time.perf_counter()
            handle.control(
                "POST", "seed", {"seed": 42, "salesforce": {"Project__c": args.rows}}, timeout=7200
            )
            seed_s = time.perf_counter() - t0
            server_after_seed = vm_hwm_kib(handle.pid)
            t1 = time.perf_counter()
            count, pages, walk_rss = walk(
                env["CRM_SANDBOX_SF_INSTANCE_URL"],
                env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
                env["CRM_SANDBOX_CA_BUNDLE"],
                args.rows,
                args.batch,
                handle.pid,
            )
            walk_s = time.perf_counter() - t1
            server_peak = vm_hwm_kib(handle.pid)
        finally:
            stop(data_dir)
    print(f"rows                  {args.rows:,}")
    print(f"seed                  {seed_s:8.1f} s  ({args.rows / seed_s:,.0f} rows/s)")
    print(f"walk (query+more)     {walk_s:8.1f} s  ({count / walk_s:,.0f} rows/s, {pages} pages)")
    print("each Id exactly once  yes")
    print(f"server RSS in walk    {walk_rss / 1024:8.1f} MiB (max of samples)")
    print(f"server peak RSS       {server_peak / 1024:8.1f} MiB (after seed: "
          f"{server_after_seed / 1024:.1f} MiB)")  # fmt: skip
    print(f"client peak RSS       {vm_hwm_kib() / 1024:8.1f} MiB")


if __name__ == "__main__":
    main()
