"""Benchmark: a Bulk API 1.0 CSV query job over N Project__c rows, as singer-io's tap runs it.

Starts its own sandbox, seeds N rows, then: create a queryAll CSV job, add the query
batch, close the job, read the batch status, list the result files and stream each one
in 1 KiB chunks through a CSV reader. Every Id must come back exactly once (a bitmap
over the seeded sequence numbers). Prints rows/s, the number of result files and the
server's resident memory (VmRSS sampled while streaming, and its peak VmHWM).

    .venv/bin/python bench/bench_sf_bulk_v1.py --rows 300000
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
import xmltodict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sf_query_walk import sequence_of, vm_kib

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import start, stop

SOQL = "SELECT Id, Name, Status__c, Budget__c, SystemModstamp FROM Project__c"


def lines(reply: requests.Response) -> Iterator[str]:
    pending = ""
    for chunk in reply.iter_content(chunk_size=1024, decode_unicode=True):
        pending += chunk
        *done, pending = pending.split("\n")
        yield from (line + "\n" for line in done)
    if pending:
        yield pending


def run(rows: int) -> None:
    data_dir = DataDir(Path(tempfile.mkdtemp(prefix="bench-bulk1-")))
    handle = start(data_dir)
    try:
        began = time.monotonic()
        handle.seed(salesforce={"Account": 10, "Project__c": rows})
        seeded = time.monotonic() - began
        env = handle.env
        session = requests.Session()
        session.trust_env = False
        session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        headers = {
            "X-SFDC-Session": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
            "Content-Type": "application/json",
        }
        base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/async/61.0/job"
        rss_before = vm_kib(handle.pid, "VmRSS")
        began = time.monotonic()
        job = json.dumps({"operation": "queryAll", "object": "Project__c", "contentType": "CSV"})
        job_id = session.post(base, data=job, headers=headers).json()["id"]
        added = session.post(
            f"{base}/{job_id}/batch", data=SOQL, headers={**headers, "Content-Type": "text/csv"}
        )
        batch_id = xmltodict.parse(added.text)["batchInfo"]["id"]
        session.post(f"{base}/{job_id}", data=json.dumps({"state": "Closed"}), headers=headers)
        status = xmltodict.parse(
            session.get(f"{base}/{job_id}/batch/{batch_id}", headers=headers).text
        )
        assert status["batchInfo"]["state"] == "Completed", status
        listing = session.get(f"{base}/{job_id}/batch/{batch_id}/result", headers=headers).text
        results = xmltodict.parse(listing, force_list={"result"})["result-list"]["result"]
        seen = bytearray(rows // 8 + 2)
        count = 0
        rss_max = 0
        for result_id in results:
            reply = session.get(
                f"{base}/{job_id}/batch/{batch_id}/result/{result_id}",
                headers=headers,
                stream=True,
            )
            reply.raise_for_status()
            reader = csv.reader(lines(reply))
            next(reader)
            for row in reader:
                byte, bit = divmod(sequence_of(row[0]), 8)
                if seen[byte] & (1 << bit):
                    raise SystemExit(f"duplicate {row[0]}")
                seen[byte] |= 1 << bit
                count += 1
                if count % 20_000 == 0:
                    rss_max = max(rss_max, vm_kib(handle.pid, "VmRSS"))
        elapsed = time.monotonic() - began
        assert count == rows, (count, rows)
        print(
            f"rows={rows} seed_s={seeded:.1f} bulk1_s={elapsed:.1f} "
            f"rows_per_s={rows / elapsed:,.0f} "
            f"result_files={len(results)} server_rss_before_mib={rss_before / 1024:.0f} "
            f"server_rss_max_while_streaming_mib={rss_max / 1024:.0f} "
            f"server_peak_hwm_mib={vm_kib(handle.pid, 'VmHWM') / 1024:.0f}"
        )
    finally:
        stop(data_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    run(parser.parse_args().rows)
