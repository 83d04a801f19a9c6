"""Benchmark: HubSpot search, list paging and batch upserts against a portal of N records.

Seeds N ``project`` records straight into a fresh data directory with the sandbox's own
set-based insert (no API calls, no fake-data generator: ~1 minute per million), starts
the sandbox on it with the limits lifted, and times, over HTTPS with one keep-alive
session (a call's round trip, HTTP included):

* search: the first page without filters; the taps' first incremental page
  (``hs_lastmodifieddate >= start`` sorted ascending, limit 200); a deep page near the
  10,000-result cap (``after=9800``); a page re-anchored far past the cap
  (``hs_lastmodifieddate >= X`` with X the time of the record in the middle, as
  tap-hubspot-custom pages); its tie drain (``== X`` and ``hs_object_id > id``); the tap's
  search walk down the ids (``hs_object_id < X`` sorted descending); an EQ on
  the unique ``salesforce_id``;
* list paging ``GET /crm/v3/objects/project`` at the start and near the end;
* batch upserts of 100 by ``salesforce_id`` (half updates, half creates).

The same searches are first timed inside one process on the seeded store (the sandbox's
own cost: SQL, records decoded, reply encoded; no HTTP).

Each search is timed once cold (the first call after a write lays the count marks) and
as the median of ``--repeat`` warm calls.

    .venv/bin/python bench/bench_hs_search.py --records 1000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import requests

from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import start, stop
from crm_sandbox.hubspot.service import HubSpotService

CHUNK = 20_000
STATUSES = ("draft", "planned", "in_progress", "on_hold", "done", "cancelled")


def salesforce_id(n: int) -> str:
    return f"a0B5g{n:010d}XA"


def seed(data_dir: DataDir, count: int) -> float:
    """Write ``count`` projects with the sandbox's set-based insert; return seconds."""
    began = time.perf_counter()
    sandbox = assemble(data_dir, service_classes=[HubSpotService])
    try:
        svc = sandbox.services[0]
        assert isinstance(svc, HubSpotService)
        ot = svc.catalog.resolve("project")
        for first in range(0, count, CHUNK):
            rows: list[dict[str, str | None]] = [
                {
                    "project_name": f"Project {n}",
                    "status": STATUSES[n % 6],
                    "budget": str(n % 5000 * 100),
                    "completion": str(n % 101),
                    "start_date": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                    "contact_email": f"owner{n}@example.com",
                    "salesforce_id": salesforce_id(n),
                }
                for n in range(first, min(count, first + CHUNK))
            ]
            with svc.store.db.transaction() as conn:
                svc.records.insert_many(conn, ot, rows)
    finally:
        sandbox.close()
    return time.perf_counter() - began


class Portal:
    def __init__(self, env: dict[str, str]) -> None:
        self.base = env["CRM_SANDBOX_HS_BASE_URL"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        reply = self.session.request(method, self.base + path, timeout=600, **kwargs)
        if reply.status_code >= 300:
            raise SystemExit(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
        return reply.json()

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/crm/v3/objects/project/search", json=body)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first call ms, median of ``repeat`` later calls ms, first reply)."""
    began = time.perf_counter()
    first = fn()
    cold = (time.perf_counter() - began) * 1000
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return cold, statistics.median(samples), first


def walk_down(below: int) -> dict[str, Any]:
    """tap-hubspot-custom's search walk: the 200 ids just below ``below``, highest first."""
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_object_id", "operator": "LT", "value": str(below)}]}
        ],
        "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
        "properties": ["project_name", "hs_lastmodifieddate"],
        "limit": 200,
    }


def by_modified(op: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_lastmodifieddate", "operator": op, "value": value}]}
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["project_name", "hs_lastmodifieddate"],
        "limit": 200,
        **extra,
    }


def in_process(data_dir: DataDir, n: int, repeat: int) -> None:
    """The same searches inside one process: the sandbox's own cost, no HTTP."""
    sandbox = assemble(data_dir, service_classes=[HubSpotService])
    try:
        svc = sandbox.services[0]
        assert isinstance(svc, HubSpotService)
        ot = svc.catalog.resolve("project")
        with svc.store.db.reading() as conn:
            row = conn.execute("SELECT props FROM records WHERE id = ?", (1001 + n // 2,))
            stamp = json.loads(row.fetchone()[0])["hs_lastmodifieddate"]
        drain = by_modified("EQ", stamp)
        drain["filterGroups"][0]["filters"].append(
            {"propertyName": "hs_object_id", "operator": "GT", "value": str(1001 + n // 2)}
        )
        drain["sorts"] = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        eq = {"propertyName": "salesforce_id", "operator": "EQ", "value": salesforce_id(n // 3)}
        cases = {
            "first page, no filter": {"limit": 100},
            "modified >= start, ASC, limit 200": by_modified("GTE", "0"),
            "same, after=9800": by_modified("GTE", "0", after="9800"),
            "re-anchored modified >= X (middle)": by_modified("GTE", stamp),
            "tie drain modified == X, id > last": drain,
            "salesforce_id EQ": {"filterGroups": [{"filters": [eq]}]},
            "walk down hs_object_id < middle, DESC": walk_down(1001 + n // 2),
        }
        print(f"\n| search inside the server process (N = {n:,}) | first call ms | median ms |")
        print("| --- | --- | --- |")
        for label, body in cases.items():

            def page(body: dict[str, Any] = body) -> int:
                found = svc.search.run(ot, body)
                json.dumps([r.wire(found.names) for r in found.records])
                return found.total

            cold, warm, _ = timed(page, repeat)
            print(f"| {label} | {cold:.1f} | {warm:.2f} |")
    finally:
        sandbox.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory(prefix="hs-search-bench-") as tmp:
        data_dir = DataDir(tmp).ensure()
        seconds = seed(data_dir, n)
        print(f"records:  {n:,}; seeded in {seconds:.1f} s ({n / seconds:,.0f} records/s)")
        in_process(data_dir, n, args.repeat)
        settings = FaultSettings(
            hs_ten_second_max=10**9, hs_daily_max=10**9, hs_search_per_second=10**6
        )
        handle = start(data_dir, settings=settings)
        try:
            portal = Portal(handle.env)
            rows: list[tuple[str, float, float, str]] = []

            def row(label: str, fn: Callable[[], Any], note: Callable[[Any], str]) -> Any:
                cold, warm, reply = timed(fn, args.repeat)
                rows.append((label, cold, warm, note(reply)))
                return reply

            row(
                "search: first page, no filter",
                lambda: portal.search({"limit": 100}),
                lambda r: f"total {r['total']:,}",
            )
            row(
                "search: modified >= start, ASC, limit 200",
                lambda: portal.search(by_modified("GTE", "0")),
                lambda r: f"total {r['total']:,}",
            )
            row(
                "search: same, after=9800 (near the cap)",
                lambda: portal.search(by_modified("GTE", "0", after="9800")),
                lambda r: f"{len(r['results'])} results",
            )
            middle = portal.call("GET", f"/crm/v3/objects/project/{1001 + n // 2}")
            stamp = middle["properties"]["hs_lastmodifieddate"]
            anchored = row(
                "search: re-anchored modified >= X (middle), ASC",
                lambda: portal.search(by_modified("GTE", stamp)),
                lambda r: f"total {r['total']:,}",
            )
            last_id = anchored["results"][0]["id"]
            drain = by_modified("EQ", stamp)
            drain["filterGroups"][0]["filters"].append(
                {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}
            )
            drain["sorts"] = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
            row(
                "search: tie drain modified == X, id > last",
                lambda: portal.search(drain),
                lambda r: f"total {r['total']:,}",
            )
            wanted = salesforce_id(n // 3)
            eq = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "salesforce_id", "operator": "EQ", "value": wanted}
                        ]
                    }
                ]
            }
            row(
                "search: salesforce_id EQ",
                lambda: portal.search(eq),
                lambda r: f"total {r['total']}",
            )
            row(
                "search: walk down hs_object_id < middle, DESC",
                lambda: portal.search(walk_down(1001 + n // 2)),
                lambda r: f"{len(r['results'])} results, total {r['total']:,}",
            )
            row(
                "list: GET /objects/project, first page of 100",
                lambda: portal.call("GET", "/crm/v3/objects/project?limit=100"),
                lambda r: f"{len(r['results'])} results",
            )
            deep_after = 1001 + n - 150
            row(
                "list: page near the end",
                lambda: portal.call("GET", f"/crm/v3/objects/project?limit=100&after={deep_after}"),
                lambda r: f"{len(r['results'])} results",
            )
            print()
            print(f"| what (N = {n:,}) | first call ms | median ms ({args.repeat}) | note |")
            print("| --- | --- | --- | --- |")
            for label, cold, warm, note in rows:
                print(f"| {label} | {cold:.1f} | {warm:.1f} | {note} |")

            began = time.perf_counter()
            for b in range(args.batches):
                inputs = [
                    {
                        "idProperty": "salesforce_id",
                        # even items update existing records, odd ones create new ones
                        "id": salesforce_id(b * 100 + i if i % 2 == 0 else n + b * 100 + i),
                        "properties": {"project_name": f"Upserted {b}-{i}", "budget": str(i)},
                    }
                    for i in range(100)
                ]
                reply = portal.call(
                    "POST", "/crm/v3/objects/project/batch/upsert", json={"inputs": inputs}
                )
                if len(reply["results"]) != 100:
                    raise SystemExit(f"upsert batch {b}: {reply}")
            elapsed = time.perf_counter() - began
            print()
            print(
                f"batch upsert: {args.batches} x 100 by salesforce_id:"
                f" {args.batches * 100 / elapsed:,.0f} records/s"
                f" ({elapsed / args.batches * 1000:.1f} ms a batch)"
            )
            cold, warm, _ = timed(lambda: portal.search(by_modified("GTE", stamp)), args.repeat)
            print(
                f"re-anchored search after those writes: first {cold:.1f} ms"
                f" (count marks re-laid), then median {warm:.1f} ms"
            )
        finally:
            stop(data_dir)


if __name__ == "__main__":
    main()
