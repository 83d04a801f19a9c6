"""The target's memory does not grow with the run: peak RSS at 24,000 records ≈ at 3,000.

The benchmark's messages (:mod:`bench.bench_target_hubspot`: accounts, then projects
80 % associated with one, the last accounts after the projects so their associations are
parked and made at the end of the run) go through the target CLI twice, each in a fresh
ledger, at the default batch size. The peak resident set of each child process (its
``ru_maxrss``, the kernel's VmHWM, read when it exits: no sampling, no timing) must
stay within 10 % between the two runs. It is read by a bare launcher
(:mod:`bench.child_usage`): a child forked straight from pytest would report pytest's
own peak, which Linux keeps across ``exec``, and both runs would compare that. Anything
kept per record (ids seen, parked associations, plans, report rows) would add its size
times 21,000 to the second run; the default batch is small enough that four batches
in flight are reached in both.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.bench_target_hubspot import write_messages
from bench.child_usage import run_measured

pytestmark = pytest.mark.slow

SMALL, LARGE = 3_000, 24_000
ACCOUNTS = 200
MARGIN = 0.10


def peak_rss_mib(sandbox: Any, tmp: Path, records: int) -> float:
    """Run the target CLI over ``records`` projects into a fresh portal; its peak RSS, MiB."""
    env = sandbox.env
    tmp.mkdir()
    messages = tmp / "messages.singer"
    write_messages(messages, records, ACCOUNTS)
    config = tmp / "config.json"
    config.write_text(
        json.dumps(
            {
                "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
                "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
                "ledger_url": f"sqlite:///{tmp / 'ledger.sqlite'}",
                "rate_limit_per_10s": 1_000_000,  # only our own code is measured
            }
        )
    )
    cli = [str(Path(sys.executable).parent / "target-hubspot-custom"), "--config", str(config)]
    child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
    stderr = tmp / "stderr.txt"
    with messages.open() as stdin, stderr.open("w") as err:
        usage = run_measured(cli, stdin=stdin, stderr=err, env=child_env)
    assert usage.returncode == 0, stderr.read_text()[-3000:]
    stats = sandbox.stats()["hubspot"]
    assert stats["records"]["project"] == records
    return usage.peak_mib


def test_peak_memory_is_flat_from_3k_to_24k_records(clean_sandbox: Any, tmp_path: Path) -> None:
    clean_sandbox.set_faults(hs_ten_second_max=1_000_000)
    small = peak_rss_mib(clean_sandbox, tmp_path / "small", SMALL)
    clean_sandbox.reset()
    clean_sandbox.set_faults(hs_ten_second_max=1_000_000)
    large = peak_rss_mib(clean_sandbox, tmp_path / "large", LARGE)
    figures = f"peak RSS {small:.0f} MiB at {SMALL:,} records, {large:.0f} MiB at {LARGE:,}"
    assert large <= small * (1 + MARGIN), figures
