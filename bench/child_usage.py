"""A child process's own peak RSS and CPU seconds, measured by a bare launcher.

Linux keeps a process's ``ru_maxrss`` across ``exec``, so a child forked straight from a
big parent (pytest, a bench script that imported the sandbox) reports at least the
parent's resident set at the fork: a test comparing two runs' peaks then compares the
parent's twice and cannot fail. :data:`LAUNCHER` is a bare interpreter (``-S``, about
10 MiB) that forks, execs the command and writes the child's ``wait4`` rusage to a file,
so the figure is the command's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

LAUNCHER = """
import json, os, sys
out, command = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(out, "w") as handle:
    json.dump({"peak_kib": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime}, handle)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@dataclass(frozen=True)
class ChildUsage:
    returncode: int
    peak_mib: float
    cpu_s: float


def run_measured(
    command: list[str],
    *,
    stdin: IO[Any],
    stderr: IO[Any],
    env: dict[str, str],
    stdout: IO[Any] | int = subprocess.DEVNULL,
) -> ChildUsage:
    """Run ``command`` (an executable path first) to its end; its exit code and usage."""
    with tempfile.TemporaryDirectory(prefix="child-usage-") as tmp:
        figures = Path(tmp) / "usage.json"
        done = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, str(figures), *command],
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
            check=False,
        )
        usage = json.loads(figures.read_text()) if figures.exists() else {}
    return ChildUsage(done.returncode, usage.get("peak_kib", 0) / 1024, usage.get("cpu_s", 0.0))
