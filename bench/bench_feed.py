"""Benchmark: the forward leg's feed, ``tap-salesforce-custom`` and ``map-crm``, each alone.

Uses a recording of ``bench_forward_target.py record`` (a sandbox snapshot seeded with
2,000 ``Account`` and N ``Project__c``, the tap's and the mapper's configs). Each run
starts a sandbox on a fresh copy of the snapshot, runs the tap to ``feed/tap.singer``,
then map-crm from that file to ``feed/mapped.singer``, and prints each plugin's own CPU
seconds (user + system) and peak memory (:mod:`bench.child_usage`), the best of
``--repeat`` runs. CPU seconds hardly move with the machine's load, so the same recording
measured before and after a change gives a fair pair.

``--compare`` then checks the outputs against the recording's own ``tap.singer`` and
``mapped.singer``: the same messages, line for line, once the values that change at
every run (the tap's ``time_extracted``, map-crm's ``_crm_extracted_at``... listed in
:data:`VOLATILE`) are set aside.

    .venv/bin/python bench/bench_forward_target.py record --root /tmp/fwd --size 100000
    .venv/bin/python bench/bench_feed.py --root /tmp/fwd --repeat 3 --compare
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_forward_target import fresh_sandbox, mapper_config, tap_config
from bench.child_usage import ChildUsage, run_measured
from crm_sandbox.core.process import stop

BIN = Path(sys.executable).parent
VOLATILE = ("time_extracted",)
"""Message keys whose value is the clock at the run, not a function of the input."""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}


def _config(root: Path, name: str, config: dict[str, Any]) -> Path:
    """``config`` written to the run's work directory (the sandbox's port changes)."""
    path = root / "feed" / name
    path.write_text(json.dumps(config))
    return path


def measure(root: Path) -> tuple[ChildUsage, ChildUsage]:
    """One run of the tap, then of map-crm on its output; their usage."""
    work, data_dir, handle = fresh_sandbox(root, "feed")
    try:
        tap_json = _config(root, "tap.json", tap_config(handle.env))
        map_json = _config(root, "map.json", mapper_config(handle.env))
        tap = [str(BIN / "tap-salesforce-custom"), "--config", str(tap_json)]
        with (work / "tap.singer").open("wb") as out, (work / "tap.log").open("wb") as err:
            tap_usage = run_measured(
                tap, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=_env()
            )
        if tap_usage.returncode != 0:
            raise SystemExit(f"tap failed: see {work / 'tap.log'}")
        mapper = [str(BIN / "map-crm"), "--config", str(map_json)]
        with (
            (work / "tap.singer").open("rb") as inp,
            (work / "mapped.singer").open("wb") as out,
            (work / "map.log").open("wb") as err,
        ):
            map_usage = run_measured(mapper, stdin=inp, stdout=out, stderr=err, env=_env())
        if map_usage.returncode != 0:
            raise SystemExit(f"map-crm failed: see {work / 'map.log'}")
    finally:
        stop(data_dir)
    return tap_usage, map_usage


def _steady(line: bytes) -> Any:
    message = json.loads(line)
    for key in VOLATILE:
        message.pop(key, None)
    return message


def compare(expected: Path, got: Path) -> str:
    """'identical', or the first differing line of two Singer files."""
    with expected.open("rb") as a, got.open("rb") as b:
        for number, (left, right) in enumerate(zip(a, b, strict=False), 1):
            if left != right and _steady(left) != _steady(right):
                return f"line {number} differs:\n  {left[:400]!r}\n  {right[:400]!r}"
        rest_a, rest_b = a.read(1), b.read(1)
    if rest_a or rest_b:
        return f"{'expected' if rest_a else 'new output'} has more lines"
    return "identical"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a bench_forward_target recording")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best CPU is shown")
    parser.add_argument(
        "--compare", action="store_true", help="check outputs against the recording"
    )
    args = parser.parse_args()
    runs = [measure(args.root) for _ in range(args.repeat)]
    for name, pick in (("tap-salesforce-custom", 0), ("map-crm", 1)):
        cpus = [run[pick].cpu_s for run in runs]
        peak = max(run[pick].peak_mib for run in runs)
        print(
            f"{name}: CPU {min(cpus):.2f} s best of {', '.join(f'{c:.2f}' for c in cpus)};"
            f" peak {peak:.0f} MiB"
        )
    print(f"load average: {os.getloadavg()[0]:.1f}")
    if args.compare:
        for file in ("tap.singer", "mapped.singer"):
            print(f"{file}: {compare(args.root / file, args.root / 'feed' / file)}")


if __name__ == "__main__":
    main()
