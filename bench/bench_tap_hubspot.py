"""tap-hubspot-custom throughput on the sandbox: full pull (list API) and incremental pull
(search API, past the 10,000-result cap), records/s and API calls per route.

    .venv/bin/python bench/bench_tap_hubspot.py [N]        # default N=20000 projects
    .venv/bin/python bench/bench_tap_hubspot.py 10000 --latency-ms 150 --pulls associations

Seeded records all share a handful of milliseconds (the seed runs in one transaction),
so the incremental pull also exercises the tie drain. Limits: the sandbox's defaults
(190 calls / 10 s, 5 searches / s); the tap at max_requests_per_10s=190, or both lifted
with ``--limits-lifted`` (only the code is measured, as bench_pipeline's fast profile). With
``--latency-ms`` every call takes that long. Each pull reports, against HubSpot's limits
(the sandbox models them: 190 calls per rolling 10 s, and search calls apart at 5 a
second, outside that window):

* ``window``: calls that count in the 10-s window, per second, over the 19 per second
  allowed (what the portal's allowance was used for);
* ``search``: search calls per second over the 5 allowed;
* ``records``: records per second over the most the allowed calls can carry,
  19 x 100 (a list page) + 5 x 200 (a search page) = 2,900 without associations. With
  associations every record's also need reading, with v4 batch reads in the window (up to
  1,000 ids a call): at best one read per 1,000 records, so ``r`` records a second cost
  ``r / 1,000`` of the 19 window calls and the most is ``r = 100 (19 - r / 1,000) + 5 x 200``,
  i.e. (1,900 + 1,000) / 1.1 = 2,636 a second. (Until this session's grouped reads the
  ceiling was put at 5 x 200 + 14 x 100 = 2,400: one read per search page, reads of list
  pages left out; the shares quoted before then are against that figure.)
* 429s the sandbox sent (each one a retried call) and the most calls it served at once.

``--seed-only`` leaves the sandbox seeded and running for a profiler (prints its env).
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from contextlib import redirect_stdout

import psutil
from tap_hubspot_custom.tap import TapHubSpotCustom

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import start, stop


def run(
    config: dict, state: dict | None = None
) -> tuple[float, int, set[str], dict, TapHubSpotCustom]:
    out = io.StringIO()
    t0, cpu0 = time.perf_counter(), time.process_time()
    with redirect_stdout(out):
        tap = TapHubSpotCustom(config=config, state=state or {})
        tap.sync_all()
    elapsed = time.perf_counter() - t0
    print(f"  tap CPU {time.process_time() - cpu0:.1f} s (every thread; load-independent)")
    ids, count, last_state = set(), 0, {}
    for line in out.getvalue().splitlines():
        msg = json.loads(line)
        if msg["type"] == "RECORD":
            count += 1
            ids.add(msg["record"]["id"])
        elif msg["type"] == "STATE":
            last_state = msg["value"]
    return elapsed, count, ids, last_state, tap


PULLS = ("full", "incremental", "associations")
WINDOW_PER_S = 19.0  # 190 per rolling 10 s (Professional / Enterprise)
SEARCH_PER_S = 5.0  # search calls per second per portal
LIST_PAGE, SEARCH_PAGE = 100, 200
SEARCH_ROUTE = "POST /crm/v3/objects/{objectType}/search"


READ_MAX = 1000  # ids per v4 association batch read


def record_ceiling(associations: bool) -> float:
    """The most records per second HubSpot's limits let a pull carry (see the docstring)."""
    plain = WINDOW_PER_S * LIST_PAGE + SEARCH_PER_S * SEARCH_PAGE
    if associations:  # every 1,000 records' association read takes one window call
        return plain / (1 + LIST_PAGE / READ_MAX)
    return plain


def shares(served: dict, count: int, elapsed: float, associations: bool) -> str:
    """The pull's use of HubSpot's limits, from the sandbox's own count of calls."""
    statuses = served.get("statuses", {})
    searched = sum(n for r, by in statuses.items() if r == SEARCH_ROUTE for n in by.values())
    too_many = sum(by.get("429", 0) for by in statuses.values())
    window = served["total"] - searched
    return (
        f"window {window / (WINDOW_PER_S * elapsed):.0%} ({window} calls), "
        f"search {searched / (SEARCH_PER_S * elapsed):.0%} ({searched} calls), "
        f"records {count / elapsed / record_ceiling(associations):.0%} of "
        f"{record_ceiling(associations):,.0f}/s; {too_many} x 429; "
        f"at most {served['peak_in_flight']} at once"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--limits-lifted", action="store_true")
    parser.add_argument("--pulls", default=",".join(PULLS), help="full,incremental,associations")
    parser.add_argument("--no-search-walk", action="store_true", help="list cursor only")
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()
    n = args.n
    pulls = set(args.pulls.split(","))
    data_dir = DataDir(tempfile.mkdtemp(prefix="bench-tap-hs-"))
    handle = start(data_dir)
    try:
        t0 = time.perf_counter()
        handle.seed(hubspot={"project": n})
        print(f"seeded {n} projects in {time.perf_counter() - t0:.1f}s")
        lifted = {"hs_ten_second_max": 10**7, "hs_search_per_second": 10**4}
        handle.set_faults(latency_ms=args.latency_ms, **(lifted if args.limits_lifted else {}))
        env = handle.env
        config = {
            "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
            "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
            "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
            "objects": ["project"],
            "max_requests_per_10s": 10**7 if args.limits_lifted else 190,
            "search_requests_per_second": 10**4 if args.limits_lifted else 5,
            "search_walk": not args.no_search_walk,
            "search_index_lag_seconds": 0,  # the sandbox's search has no index lag
        }
        if args.seed_only:
            print(json.dumps(config))
            return
        for pull, label, cfg in (
            ("full", "full pull (list API)", config),
            (
                "incremental",
                "incremental (search API)",
                {**config, "start_date": "2000-01-01T00:00:00Z"},
            ),
            (
                "associations",
                "full pull + associations",
                {**config, "include_associations": ["companies"]},
            ),
        ):
            if pull not in pulls:
                continue
            handle.clear_stats()
            server = psutil.Process(handle.pid)
            server_cpu = sum(server.cpu_times()[:2])
            elapsed, count, ids, _, tap = run(cfg)
            print(f"  sandbox CPU {sum(server.cpu_times()[:2]) - server_cpu:.1f} s")
            assert len(ids) == n == count, (label, len(ids), count)
            served = handle.stats()["hubspot"]
            print(
                f"{label}: {count} records in {elapsed:.1f}s = {count / elapsed:.0f} rec/s; "
                f"{tap.calls.total} calls {dict(tap.calls.routes)}"
                + (
                    ""
                    if args.limits_lifted
                    else "; " + shares(served, count, elapsed, pull == "associations")
                )
            )
    finally:
        if not args.seed_only:
            stop(data_dir)


if __name__ == "__main__":
    main()
