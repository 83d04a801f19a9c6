"""Run one extractor as a child process: wall time, peak RSS of its process tree, output.

The peak is sampled with psutil from the child and its descendants (not from the
harness), every ``interval`` seconds, summing the resident sets of the tree alive at
that moment: Airbyte and singer-sdk taps may fork helpers, and a tap's own ``ru_maxrss``
would miss them. stdout goes to a file the caller parses; stderr to another, kept for
the failure report.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class Run:
    """What one child process did."""

    returncode: int
    seconds: float
    peak_rss_mib: float
    stdout: Path
    stderr: Path


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run(
    argv: list[str],
    env: dict[str, str],
    stdout: Path,
    stderr: Path,
    cwd: Path,
    timeout: float,
    interval: float = 0.05,
    on_sample: Callable[[int], None] | None = None,
) -> Run:
    """Run ``argv`` to its end (or kill it after ``timeout`` s) and measure it.

    ``on_sample`` is called with the peak so far (bytes) after each sample: a caller can
    act on what the sampler has seen (a test releases a process once its memory counted).
    """
    peak = 0
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd
        )
        watched = psutil.Process(proc.pid)
        deadline = time.monotonic() + timeout
        while True:
            peak = max(peak, _tree_rss(watched))
            if on_sample is not None:
                on_sample(peak)
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    for child in watched.children(recursive=True):
                        child.kill()
                    proc.kill()
                    proc.wait()
                    err.write(f"\n[harness] killed after {timeout:.0f} s\n".encode())
                    break
        seconds = time.perf_counter() - started
    return Run(proc.returncode, seconds, peak / 2**20, stdout, stderr)
