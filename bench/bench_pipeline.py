"""Benchmark: the real ``meltano run`` jobs on a seeded sandbox, from 10k to 1M records.

For each size N it starts its own sandbox, seeds ``Account`` (2,000) and ``Project__c`` (N,
80 % of them linked to an account, so the forward leg makes associations), and runs, in
the repository's Meltano project with its own system database, ledger and plan files:

1. ``meltano invoke tap-salesforce-custom`` alone (the yardstick for the forward leg);
2. ``meltano run forward`` (first import into HubSpot, associations included);
3. ``meltano run reverse`` (the reverse leg's first pull of what is now in HubSpot);
4. ``meltano run two-way`` after the import: the forward leg wrote each new HubSpot id
   into Salesforce, which moved those records' SystemModstamp, so this run reads them once
   more (it must write nothing);
5. ``meltano run two-way`` again with no edits (the steady state's no-op: writes nothing);
6. 1 % of the projects edited in Salesforce, then ``meltano run two-way`` (incremental).

For each run it reports wall time, records/s (N over the wall time), API calls by endpoint
against the minimum (one upsert per 100 records, one association batch per 100 links; the
new HubSpot ids written back to Salesforce: a Bulk 2.0 job per 10,000, the rest one
collections call per 200), and
the peak resident memory (VmHWM) of every plugin process (tap, mapper, target, sampled
from /proc while meltano runs them), of the ``meltano`` process itself (it pipes every
message from one plugin to the next and saves each STATE) and of the sandbox. Two
profiles: ``fast`` (no added latency, rate limits lifted in the sandbox and the plugins,
so only our code is measured) and ``limited`` (150 ms a call, HubSpot's 190 requests per 10 s).

Each run's wall time is the whole ``meltano`` command (nothing meltano does is left out);
beside it, ``start-up s`` is meltano's own fixed start-up inside that time (from the
command's start to the first plugin process that moves data, so catalog discovery
included), so the reader can tell it from the plugins' work. The limited profile runs only
at ``--limited-sizes`` (10k and 100k by default): at 190 calls per 10 s the 1M forward leg
alone (~15,000 calls) waits ~13 minutes on the quota, which measures the quota, not the code.
At ``--limited-reverse-sizes`` (1M in ``make bench``) the limited profile measures only the
reverse leg's first pull, the one goal set under the limits: the forward leg that writes
HubSpot first runs with the limits lifted (row *forward (setup, limits lifted)*, not judged),
then the sandbox and the plugins go over to the limited profile.
Each size runs in a work directory of its own (:func:`work_directory`, under ``--root``
or the system's temp directory) with its own meltano project (:func:`meltano_project`), so
two benches from one checkout at once do not overwrite each other's meltano run files.
Every run is killed after ``--step-timeout`` seconds (reported as failed), which bounds
the benchmark's time.
Before the first run it byte-compiles the plugin venvs and the sources
(:func:`compile_bytecode`), so no plugin process spends its start compiling what it
imports.

It writes ``bench/results/pipeline.md``, ``pipeline.json`` and ``pipeline.png`` (time and
memory against N, log axes), with the issue's goals checked against its own figures.

    make bench      # 10k, 100k, 1M fast; 10k, 100k limited; 1M limited reverse (BENCH_ARGS)
    .venv/bin/python bench/bench_pipeline.py                         # 10k, 100k, 1M, fast
    .venv/bin/python bench/bench_pipeline.py --sizes 10000 --profiles fast,limited
    .venv/bin/python bench/bench_pipeline.py --sizes 100000 --legs forward   # tap + forward
    .venv/bin/python bench/bench_pipeline.py --sizes 10000 --legs reverse    # forward + reverse
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
from target_hubspot_custom.writeback import DEFAULT_BULK_THRESHOLD

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import RunningSandbox, start, stop

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = REPO / "bench" / "results"
ACCOUNTS = 2_000
EDIT_SHARE = 0.01
MELTANO = "meltano"
"""The ``meltano`` process's own row in the peak memory figures."""
PLUGINS = (
    "tap-salesforce-custom",
    "tap-hubspot-custom",
    "map-crm",
    "target-hubspot-custom",
    "target-salesforce-custom",
)
PROJECT_LINKS = ("transforms", "plugins", "constraints.txt")
"""What a run's own meltano project links from the checkout besides the plugin venvs."""
PLUGIN_KINDS = ("extractors", "loaders", "mappers", "utilities")
HUBSPOT_WINDOW_SECONDS = 10.0
"""HubSpot's rolling rate-limit window (``TEN_SECONDLY_ROLLING``)."""

PROFILES: dict[str, dict[str, Any]] = {
    "fast": {
        "faults": {"latency_ms": 0, "hs_ten_second_max": 10**7, "hs_daily_max": 10**9,
                   "hs_search_per_second": 10**4},
        "env": {"TARGET_HUBSPOT_CUSTOM_RATE_LIMIT_PER_10S": "10000000",
                "TAP_HUBSPOT_CUSTOM_MAX_REQUESTS_PER_10S": "10000000",
                "TAP_HUBSPOT_CUSTOM_SEARCH_REQUESTS_PER_SECOND": "10000"},
    },
    "limited": {
        "faults": {"latency_ms": 150, "hs_ten_second_max": 190, "hs_daily_max": 10**9},
        "env": {},
    },
}  # fmt: skip


@dataclass
class Run:
    """One measured command."""

    profile: str
    size: int
    step: str
    seconds: float
    records_per_second: float
    calls: dict[str, int]
    total_calls: int
    writes: int
    minimum_writes: int | None
    peak_rss_mib: dict[str, float]
    sandbox_rss_mib: float
    ok: bool
    startup_seconds: float | None = None
    """Meltano's fixed start-up inside ``seconds``: until the first plugin moving data started."""
    note: str = ""
    hubspot_ceiling_share: float | None = None
    """Under the limited profile: HubSpot calls over what 190 per 10 s allows in the run."""
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU time (user + system) of each plugin and of the sandbox during the run: unlike the
    wall time, it hardly moves with the machine's load."""


@dataclass
class Org:
    """What the seeded org holds that decides the minimum number of calls."""

    projects_synced: int
    projects_linked: int
    accounts: int


@dataclass
class Sampler:
    """Peak VmHWM per plugin name over a process tree, read from /proc while it runs.

    The plugin processes meltano starts are told by the plugin's name in their command
    line; the tree's root, the ``meltano`` process itself, is the row ``meltano``.
    ``first_plugin_at`` is when the first of them that moves data was seen: what comes
    before (meltano's start-up and its catalog discovery, ``--discover``) is meltano's
    fixed cost. The ``meltano`` process's own CPU time (user + system, its children's
    excluded) is sampled too, and split at that moment: ``meltano start-up`` before it,
    ``meltano relay`` after it, while it pipes every line from one plugin to the next on
    the same cores as the plugins.
    """

    root: int
    peaks_kib: dict[str, int] = field(default_factory=dict)
    cpu: dict[int, tuple[str, float]] = field(default_factory=dict)
    """Last CPU time seen per plugin process (sampled, so up to one interval short)."""
    first_plugin_at: float | None = None
    meltano_cpu: float = 0.0
    """The ``meltano`` process's own CPU seconds at the last sample."""
    meltano_cpu_at_first_plugin: float | None = None
    _names: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _name(self, proc: psutil.Process) -> str | None:
        # Only a plugin's name is remembered: a child seen between fork and exec still
        # shows meltano's command line, and must be read again at the next sample.
        if proc.pid not in self._names:
            try:
                line = " ".join(proc.cmdline())
            except psutil.Error:
                return None
            name = next((name for name in PLUGINS if name in line), None)
            if name is None:
                return None
            self._names[proc.pid] = name
            if "--discover" not in line and self.first_plugin_at is None:
                self.first_plugin_at = time.perf_counter()
                self.meltano_cpu_at_first_plugin = self.meltano_cpu
        return self._names[proc.pid]

    def _sample(self) -> None:
        self.peaks_kib[MELTANO] = max(self.peaks_kib.get(MELTANO, 0), vm_hwm_kib(self.root))
        try:
            root = psutil.Process(self.root)
            times = root.cpu_times()
            self.meltano_cpu = times.user + times.system
            children = root.children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            name = self._name(child)
            if name is None:
                continue
            hwm = vm_hwm_kib(child.pid)
            self.peaks_kib[name] = max(self.peaks_kib.get(name, 0), hwm)
            try:
                times = child.cpu_times()
            except psutil.Error:
                continue
            self.cpu[child.pid] = (name, times.user + times.system)

    def cpu_by_name(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, seconds in self.cpu.values():
            out[name] = out.get(name, 0.0) + seconds
        if self.meltano_cpu_at_first_plugin is not None:
            out[f"{MELTANO} start-up"] = self.meltano_cpu_at_first_plugin
            out[f"{MELTANO} relay"] = self.meltano_cpu - self.meltano_cpu_at_first_plugin
        return out

    def run(self) -> None:
        # VmHWM is the process's own high-water mark, so a sample late in its life is exact;
        # sampling often only makes sure that one lands before the process exits.
        while not self._stop.wait(0.05):
            self._sample()

    def stop(self) -> None:
        self._stop.set()


def vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def write_calls(stats: Mapping[str, Any]) -> dict[str, int]:
    """Calls that change data (POST searches and batch reads excluded)."""
    out: dict[str, int] = {}
    for api in ("salesforce", "hubspot"):
        for key, n in stats.get(api, {}).get("calls", {}).items():
            method, _, route = key.partition(" ")
            reads = ("/search", "/batch/read", "/composite/batch", "/oauth2/token", "/jobs/query")
            if method in ("POST", "PATCH", "PUT", "DELETE") and not route.endswith(reads):
                out[f"{api} {key}"] = n
    return out


def meltano_project(root: Path) -> Path:
    """This run's own meltano project, ``root/project``, on the checkout's installed plugins.

    Meltano writes each run's plugin config, catalog and state files under its project's
    ``.meltano/run``: with the checkout as every run's project, two benches at once
    overwrote each other's. Here meltano.yml is copied, the mappings and lock files are
    linked, and the plugin venvs of the checkout's ``meltano install`` are shared (linked),
    so nothing is installed again and the ``run`` directory is this run's alone.
    """
    project = root / "project"
    (project / ".meltano").mkdir(parents=True)
    shutil.copy(REPO / "meltano.yml", project / "meltano.yml")
    for name in PROJECT_LINKS:
        (project / name).symlink_to(REPO / name)
    for kind in PLUGIN_KINDS:
        (project / ".meltano" / kind).symlink_to(REPO / ".meltano" / kind)
    return project


def work_directory(profile: str, size: int, parent: Path | None = None) -> Path:
    """A new directory of this run's own (sandbox, ledger, meltano project), under
    ``parent`` (``--root``) or the system's temp directory."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"bench-pipeline-{profile}-{size}-", dir=parent))


class Bench:
    """One sandbox, one Meltano system database and one ledger for one size and profile."""

    def __init__(self, root: Path, size: int, profile: str, step_timeout: float) -> None:
        self.root = root
        self.project = meltano_project(root)
        self.size = size
        self.profile = profile
        self.step_timeout = step_timeout
        settings = FaultSettings(sf_daily_max=10**9, **PROFILES[profile]["faults"])
        self.handle: RunningSandbox = start(DataDir(root / "sandbox"), settings=settings)
        self.env = self._meltano_env()

    def use_profile(self, profile: str) -> None:
        """Go on under another profile: the sandbox's limits and the plugins' settings."""
        self.profile = profile
        self.handle.set_faults(sf_daily_max=10**9, **PROFILES[profile]["faults"])
        self.env = self._meltano_env()

    def _meltano_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
        env.update(self.handle.env)
        env.update(PROFILES[self.profile]["env"])
        ledger = f"sqlite:///{self.root / 'ledger.sqlite'}"
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                "MELTANO_DATABASE_URI": f"sqlite:///{self.root / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "MELTANO_ENVIRONMENT": "sandbox",
                "TARGET_HUBSPOT_CUSTOM_LEDGER_URL": ledger,
                "TARGET_SALESFORCE_CUSTOM_LEDGER_URL": ledger,
                "TARGET_HUBSPOT_CUSTOM_PLAN_PATH": str(self.root / "plan-hubspot.json"),
                "TARGET_SALESFORCE_CUSTOM_PLAN_PATH": str(self.root / "plan-salesforce.json"),
            }
        )
        return env

    # -------------------------------------------------------------- the org
    def seed(self) -> Org:
        self.handle.seed(salesforce={"Account": ACCOUNTS, "Project__c": self.size})
        synced = self.count("SELECT COUNT() FROM Project__c WHERE Status__c != 'Draft'")
        linked = self.count(
            "SELECT COUNT() FROM Project__c WHERE Status__c != 'Draft' AND Account__c != null"
        )
        return Org(projects_synced=synced, projects_linked=linked, accounts=ACCOUNTS)

    def _sf(self) -> tuple[requests.Session, str]:
        session = requests.Session()
        session.verify = self.handle.env["CRM_SANDBOX_CA_BUNDLE"]
        session.trust_env = False
        session.headers["Authorization"] = (
            f"Bearer {self.handle.env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
        )
        version = self.handle.env["CRM_SANDBOX_SF_API_VERSION"]
        return session, f"{self.handle.env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v{version}"

    def count(self, soql: str) -> int:
        session, base = self._sf()
        reply = session.get(f"{base}/query", params={"q": soql})
        reply.raise_for_status()
        return int(reply.json()["totalSize"])

    def edit_share(self, share: float) -> int:
        """Rename ``share`` of the synced projects in Salesforce through sObject collections."""
        session, base = self._sf()
        wanted = max(1, int(self.size * share))
        ids: list[str] = []
        url = f"{base}/query"
        params: dict[str, str] | None = {
            "q": f"SELECT Id FROM Project__c WHERE Status__c != 'Draft' ORDER BY Id LIMIT {wanted}"
        }
        while url:
            reply = session.get(url, params=params)
            reply.raise_for_status()
            body = reply.json()
            ids += [row["Id"] for row in body["records"]]
            next_url = body.get("nextRecordsUrl")
            url = f"{self.handle.env['CRM_SANDBOX_SF_INSTANCE_URL']}{next_url}" if next_url else ""
            params = None
        for start_at in range(0, len(ids), 200):
            records = [
                {"attributes": {"type": "Project__c"}, "id": rid, "Name": f"Edited {rid}"}
                for rid in ids[start_at : start_at + 200]
            ]
            reply = session.patch(
                f"{base}/composite/sobjects", json={"allOrNone": True, "records": records}
            )
            reply.raise_for_status()
        return len(ids)

    # -------------------------------------------------------------- runs
    def measure(self, step: str, args: Sequence[str], minimum: int | None) -> Run:
        self.handle.clear_stats()
        # The sandbox is two processes (Salesforce + control, HubSpot): its CPU is their sum.
        sandbox = [psutil.Process(pid) for pid in self.handle.pids]
        sandbox_cpu = sum(sum(p.cpu_times()[:2]) for p in sandbox)
        log = self.root / f"{step}.log"
        began = time.perf_counter()
        timed_out = False
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(BIN / "meltano"), *args],
                cwd=self.project,
                env=self.env,
                stdout=subprocess.DEVNULL if step == "tap alone" else out,
                stderr=out,
                start_new_session=True,
            )
            sampler = Sampler(proc.pid)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            try:
                returncode = proc.wait(timeout=self.step_timeout)
            except subprocess.TimeoutExpired:
                # meltano and every plugin it started share the session's process group.
                os.killpg(proc.pid, signal.SIGKILL)
                returncode = proc.wait()
                timed_out = True
            sampler.stop()
            thread.join()
        seconds = time.perf_counter() - began
        startup = None if sampler.first_plugin_at is None else sampler.first_plugin_at - began
        stats = self.handle.stats()
        calls = {
            f"{api} {key}": n
            for api in ("salesforce", "hubspot")
            for key, n in stats.get(api, {}).get("calls", {}).items()
        }
        writes = sum(write_calls(stats).values())
        ceiling = PROFILES[self.profile]["faults"]["hs_ten_second_max"]
        # Search calls have their own per-second limit outside the 10-s window (the
        # sandbox's too): the share is of the window's calls only.
        hubspot_calls = sum(
            n
            for route, n in stats.get("hubspot", {}).get("calls", {}).items()
            if not route.endswith("/search")
        )
        limited = self.profile == "limited"
        ceiling_share = round(hubspot_calls / (ceiling * seconds / 10), 3) if limited else None
        note = "" if returncode == 0 else log.read_text(errors="replace")[-1500:]
        if timed_out:
            note = f"killed after --step-timeout {self.step_timeout:.0f} s\n{note}"
        return Run(
            profile=self.profile,
            size=self.size,
            step=step,
            seconds=round(seconds, 2),
            records_per_second=round(self.size / seconds, 1),
            calls=dict(sorted(calls.items())),
            total_calls=sum(calls.values()),
            writes=writes,
            minimum_writes=minimum,
            peak_rss_mib={k: round(v / 1024, 1) for k, v in sorted(sampler.peaks_kib.items())},
            sandbox_rss_mib=round(sum(vm_hwm_kib(pid) for pid in self.handle.pids) / 1024, 1),
            cpu_seconds={
                **{k: round(v, 1) for k, v in sorted(sampler.cpu_by_name().items())},
                "sandbox": round(sum(sum(p.cpu_times()[:2]) for p in sandbox) - sandbox_cpu, 1),
            },
            ok=returncode == 0,
            startup_seconds=None if startup is None else round(startup, 2),
            note=note,
            hubspot_ceiling_share=ceiling_share,
        )

    def close(self) -> None:
        stop(self.handle.data_dir)


BULK_JOB_WRITES = 3
"""Write calls of one Bulk 2.0 ingest job: create, upload, close (its polls and result
files are reads)."""


def minimum_write_back(ids: int, threshold: int = DEFAULT_BULK_THRESHOLD) -> int:
    """The id write-back of ``ids`` records of one mapping: the target queues them across
    batches and writes each ``threshold`` as one Bulk 2.0 job, the rest 200 a collections
    call."""
    jobs, rest = divmod(ids, threshold)
    return jobs * BULK_JOB_WRITES + math.ceil(rest / 200)


def minimum_forward(org: Org) -> int:
    """Upserts of projects and accounts, and association batches, 100 a call; the new
    HubSpot ids written back to Salesforce (:func:`minimum_write_back`)."""
    return (
        math.ceil(org.projects_synced / 100)
        + math.ceil(org.accounts / 100)
        + math.ceil(org.projects_linked / 100)
        + minimum_write_back(org.projects_synced)
        + minimum_write_back(org.accounts)
    )


REVERSE_SETUP = "forward (setup, limits lifted)"
"""The forward leg that writes HubSpot before a limited reverse-only size (not judged)."""


def bench_size(
    size: int,
    profile: str,
    legs: str,
    step_timeout: float,
    keep: bool,
    parent: Path | None,
    *,
    setup_fast: bool = False,
) -> list[Run]:
    """One size under one profile. ``setup_fast``: only the reverse leg is measured under
    ``profile``; the forward leg that writes what it reads runs with the limits lifted
    first (at 1,000,000 records the limited forward leg would measure HubSpot's quota
    for a quarter of an hour, not the code)."""
    root = work_directory(profile, size, parent)
    bench = Bench(root, size, "fast" if setup_fast else profile, step_timeout)
    runs: list[Run] = []
    try:
        began = time.perf_counter()
        org = bench.seed()
        print(
            f"[{profile} {size:,}] seeded in {time.perf_counter() - began:,.1f} s: {asdict(org)}",
            flush=True,
        )
        steps: list[tuple[str, list[str], int | None]] = [
            ("forward", ["run", "--force", "forward"], minimum_forward(org)),
        ]
        if setup_fast:
            forward = ["run", "--force", "forward"]
            setup = bench.measure(REVERSE_SETUP, forward, minimum_forward(org))
            report(setup)
            bench.use_profile(profile)
            # HubSpot's ten-second window is rolling: the setup leg's last ten seconds of
            # calls, made with the limits lifted, would count against the measured run's
            # first ten and hold its discovery back (12.5 s of start-up at 1M, 12.9 s at
            # 10k, against 2 s). A scheduled run starts on a quiet portal: wait the window out.
            time.sleep(HUBSPOT_WINDOW_SECONDS)
            steps, legs = [], "reverse"
            runs.append(setup)
        if legs != "reverse":  # the yardstick of the forward leg
            steps.insert(0, ("tap alone", ["invoke", "tap-salesforce-custom"], 0))
        if legs != "forward":  # the reverse leg reads what the forward leg wrote
            steps.append(("reverse", ["run", "--force", "reverse"], 0))
        if legs == "all":
            # The import's id write-back moved every written record's SystemModstamp: the
            # first run after it reads them all once more (writing nothing), then a rerun
            # with no edits is the steady state's no-op.
            steps.append(("two-way after import", ["run", "--force", "two-way"], 0))
            steps.append(("two-way no-op", ["run", "--force", "two-way"], 0))
        for step, args, minimum in steps:
            runs.append(bench.measure(step, args, minimum))
            report(runs[-1])
        if legs == "all":
            edited = bench.edit_share(EDIT_SHARE)
            print(f"[{profile} {size:,}] edited {edited:,} projects in Salesforce", flush=True)
            runs.append(
                bench.measure(
                    "two-way 1% edited", ["run", "--force", "two-way"], math.ceil(edited / 100)
                )
            )
            report(runs[-1])
    finally:
        bench.close()
        if keep:
            print(f"[{profile} {size:,}] work directory kept: {root}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return runs


def report(run: Run) -> None:
    peaks = ", ".join(f"{k} {v:,.0f}" for k, v in run.peak_rss_mib.items())
    minimum = "" if run.minimum_writes is None else f" (minimum {run.minimum_writes:,})"
    print(
        f"[{run.profile} {run.size:,}] {run.step}: {run.seconds:,.1f} s, "
        f"{run.records_per_second:,.0f} records/s "
        f"(meltano start-up {run.startup_seconds or 0:,.1f} s), "
        f"{run.total_calls:,} calls, "
        f"{run.writes:,} writes{minimum}; peak MiB: {peaks}; sandbox {run.sandbox_rss_mib:,.0f}; "
        f"CPU s: {', '.join(f'{k} {v:,.1f}' for k, v in run.cpu_seconds.items())}"
        + (
            ""
            if run.hubspot_ceiling_share is None
            else f"; {run.hubspot_ceiling_share:.0%} of HubSpot's 190/10 s"
        )
        + ("" if run.ok else f"\n  FAILED:\n{run.note}"),
        flush=True,
    )


def markdown(
    runs: Sequence[Run], command: str, limited_sizes: str, limited_reverse_sizes: str = ""
) -> str:
    reverse_only = (
        f" At {limited_reverse_sizes} only the reverse leg runs under it, after a forward leg "
        "with the limits lifted (its row: *forward (setup, limits lifted)*)."
        if limited_reverse_sizes
        else ""
    )
    lines = [
        "# Pipeline benchmark",
        "",
        f"`{command}` on a 2-core machine; N = `Project__c` rows ({ACCOUNTS:,} accounts, 80 % "
        "of projects linked). records/s = N / wall time; the wall time is the whole `meltano` "
        "command, and *start-up s* is the part of it before meltano started the first plugin "
        "that moves data (meltano's fixed cost, catalog discovery included). Peak memory is "
        "each plugin process's VmHWM, and the `meltano` process's own (the sandbox's: the sum "
        "of its two processes, Salesforce and HubSpot); CPU s is each plugin's and the "
        "sandbox's (both processes) user + system time in the run (load-independent, unlike "
        "wall time), and the `meltano` process's own after its start-up (*meltano relay*: it pipes "
        "every line from one plugin to the next on the same cores). The limited "
        f"profile (150 ms a call, 190 HubSpot calls per 10 s) runs only at {limited_sizes}: "
        f"beyond that it measures the quota, not the code.{reverse_only}",
        "",
        "| profile | N | run | wall s | start-up s | records/s | API calls | writes (minimum) "
        "| peak MiB: tap / mapper / target / meltano | sandbox MiB "
        "| CPU s: tap / mapper / target / meltano relay / sandbox |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in runs:
        tap = max(
            r.peak_rss_mib.get("tap-salesforce-custom", 0),
            r.peak_rss_mib.get("tap-hubspot-custom", 0),
        )
        target = max(
            r.peak_rss_mib.get("target-hubspot-custom", 0),
            r.peak_rss_mib.get("target-salesforce-custom", 0),
        )
        minimum = "" if r.minimum_writes is None else f" ({r.minimum_writes:,})"
        startup = "" if r.startup_seconds is None else f"{r.startup_seconds:,.1f}"
        lines.append(
            f"| {r.profile} | {r.size:,} | {r.step}{'' if r.ok else ' **failed**'} | "
            f"{r.seconds:,.1f} | {startup} | {r.records_per_second:,.0f} | {r.total_calls:,} | "
            f"{r.writes:,}{minimum} | {tap:,.0f} / {r.peak_rss_mib.get('map-crm', 0):,.0f} / "
            f"{target:,.0f} / {r.peak_rss_mib.get(MELTANO, 0):,.0f} | "
            f"{r.sandbox_rss_mib:,.0f} | {cpu_cell(r.cpu_seconds)} |"
        )
    lines += ["", "## Goals (issue 11), from the figures above", "", *goals(runs), ""]
    return "\n".join(lines)


def cpu_cell(cpu: Mapping[str, float]) -> str:
    """CPU seconds as tap / mapper / target / meltano relay / sandbox (either leg's plugins)."""

    def of(*names: str) -> str:
        return f"{sum(cpu.get(n, 0.0) for n in names):,.1f}"

    return " / ".join(
        (
            of("tap-salesforce-custom", "tap-hubspot-custom"),
            of("map-crm"),
            of("target-hubspot-custom", "target-salesforce-custom"),
            of(f"{MELTANO} relay"),
            of("sandbox"),
        )
    )


MB = 10**6 / 2**20
"""One megabyte (the issue's unit) in MiB (the table's)."""


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


FORWARD_GOAL_SIZES = frozenset({100_000})
"""The issue sets the forward leg's goal (within 3x the tap, >= 3,000 records/s) on
100,000 records."""
REVERSE_GOAL_MIN_SIZE = 100_000
"""The reverse first pull's >= 3,000 records/s is a goal at scale: at 10,000 records
meltano's fixed start-up (2-3 s) alone is most of the run."""
INCREMENTAL_GOAL_SIZES = frozenset({1_000_000})
"""The 1 %-edited run's <= 4 % of the full legs is set at 1,000,000 records."""


def judged(met: bool, applies: bool) -> str:
    """A goal's verdict where the issue sets it; elsewhere the figure is for reference."""
    return verdict(met) if applies else "for reference (goal set at another size)"


def goals(runs: Sequence[Run]) -> list[str]:
    """The issue's goals, checked against these figures (a line each, never an assertion)."""
    by = {(r.profile, r.size, r.step): r for r in runs if r.ok}
    out: list[str] = []
    fast = sorted({r.size for r in runs if r.profile == "fast"})
    for size in fast:
        tap, fwd = by.get(("fast", size, "tap alone")), by.get(("fast", size, "forward"))
        if tap and fwd:
            ratio = fwd.seconds / tap.seconds
            met = ratio <= 3 and fwd.records_per_second >= 3_000
            out.append(
                f"- {judged(met, size in FORWARD_GOAL_SIZES)}: {size:,} forward leg "
                f"{ratio:.1f}x the tap alone (goal within 3x), "
                f"{fwd.records_per_second:,.0f} records/s (goal >= 3,000); calls "
                f"{fwd.writes:,} writes for a minimum of {fwd.minimum_writes:,}"
            )
        rev = by.get(("fast", size, "reverse"))
        if rev:
            met = rev.records_per_second >= 3_000
            out.append(f"- {judged(met, size >= REVERSE_GOAL_MIN_SIZE)}: {size:,} reverse first "
                       f"pull {rev.records_per_second:,.0f} records/s (goal >= 3,000)")  # fmt: skip
        inc = by.get(("fast", size, "two-way 1% edited"))
        if inc and fwd and rev:
            share = inc.seconds / (fwd.seconds + rev.seconds)
            met = share <= 0.04 and inc.writes == inc.minimum_writes
            out.append(f"- {judged(met, size in INCREMENTAL_GOAL_SIZES)}: {size:,} incremental "
                       f"two-way with 1% edited took {share:.1%} of the full legs (goal <= 4% "
                       f"at 1M), {inc.writes:,} writes "
                       f"(minimum {inc.minimum_writes:,})")  # fmt: skip
        noop = by.get(("fast", size, "two-way no-op"))
        if noop:
            out.append(f"- {verdict(noop.writes == 0)}: {size:,} no-op two-way wrote "
                       f"{noop.writes:,} (goal 0)")  # fmt: skip
    for small, large in itertools.pairwise(fast):
        for step in ("forward", "reverse"):
            a, b = by.get(("fast", small, step)), by.get(("fast", large, step))
            if a and b:
                ratio, records = b.seconds / a.seconds, large / small
                out.append(f"- {verdict(ratio <= 1.2 * records)}: {step} time {large:,} / "
                           f"{small:,} = {ratio:.1f}x for {records:,.0f}x the records (goal <= "
                           f"{1.2 * records:.0f}x)")  # fmt: skip
    peaks: dict[str, dict[int, float]] = {}
    for r in runs:
        if r.profile == "fast":
            for name, mib in r.peak_rss_mib.items():
                sizes = peaks.setdefault(name, {})
                sizes[r.size] = max(sizes.get(r.size, 0.0), mib)
    for name, sizes in sorted(peaks.items()):
        low, high = min(sizes), max(sizes)
        flat = sizes[high] <= 1.25 * sizes[low]
        met = sizes[high] <= 200 * MB and (low == high or flat)
        state = verdict(met) if high >= 1_000_000 else f"so far {verdict(met)} (1M not run)"
        out.append(
            f"- {state}: {name} peak RSS "
            + ", ".join(f"{n:,}: {v:,.0f} MiB" for n, v in sorted(sizes.items()))
            + f" (goal <= 200 MB = {200 * MB:.0f} MiB at 1M, within 25% of the 10k figure)"
        )
    for r in runs:
        if r.hubspot_ceiling_share is not None and r.step == "reverse":
            out.append(
                f"- {verdict(r.hubspot_ceiling_share >= 0.9)}: limited {r.size:,} reverse first "
                f"pull at {r.hubspot_ceiling_share:.0%} of the 190 per 10 s ceiling (goal >= 90%)"
            )
        elif r.hubspot_ceiling_share is not None and r.step != "tap alone":
            out.append(f"- limited {r.size:,} {r.step}: HubSpot calls at "
                       f"{r.hubspot_ceiling_share:.0%} of the 190 per 10 s ceiling")  # fmt: skip
    failed = [f"{r.profile} {r.size:,} {r.step}" for r in runs if not r.ok]
    if failed:
        out.append(f"- **failed runs** (no goal read from them): {', '.join(failed)}")
    return out


def plot(runs: Sequence[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    steps = sorted({(r.profile, r.step) for r in runs if r.step != REVERSE_SETUP})
    for profile, step in steps:
        points = sorted((r.size, r) for r in runs if (r.profile, r.step) == (profile, step))
        if len(points) < 1:
            continue
        sizes = [n for n, _ in points]
        label = f"{step} ({profile})"
        ax_time.plot(sizes, [r.seconds for _, r in points], marker="o", label=label)
        ax_mem.plot(
            sizes,
            [max(r.peak_rss_mib.values(), default=0) for _, r in points],
            marker="o",
            label=label,
        )
    for ax, title, unit in ((ax_time, "wall time", "seconds"), (ax_mem, "peak process RSS", "MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Project__c records (N)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax_time.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def compile_bytecode() -> None:
    """Byte-compile the plugin venvs, the repository's sources and this venv, once.

    Meltano installs plugins with uv, which writes no bytecode; Python caches it at a
    module's first import, but not where ``PYTHONDONTWRITEBYTECODE`` is set (this machine
    sets it): there every plugin process would compile each module it imports at every
    run, about 2 CPU seconds a plugin (3 for map-crm), a cost of the machine rather than
    of the code, on the same two cores as the run. ``compileall`` writes the caches
    whatever that variable says and skips those already current.
    """
    venvs = [*sorted(REPO.glob(".meltano/*/*/venv")), Path(sys.prefix)]
    names = ("core", "sandbox", "transforms", *PLUGINS)  # map-crm's sources are transforms/
    sources = [REPO / name for name in names if (REPO / name).is_dir()]
    for venv in venvs:
        targets = [*sorted((venv / "lib").glob("python3*/site-packages"))]
        if venv == Path(sys.prefix):
            targets += sources
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", *map(str, targets)],
            stdout=subprocess.DEVNULL,
            check=False,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--profiles", default="fast")
    parser.add_argument(
        "--limited-sizes", default="10000,100000", help="sizes run under the limited profile"
    )
    parser.add_argument(
        "--limited-reverse-sizes",
        default="",
        help="sizes where the limited profile measures only the reverse leg's first pull (the "
        "forward leg writing HubSpot first runs with the limits lifted)",
    )
    parser.add_argument(
        "--legs",
        choices=("all", "forward", "reverse"),
        default="all",
        help="forward: only the tap alone and the forward leg (for profiling the forward leg); "
        "reverse: the forward leg, then the reverse leg's first pull of what it wrote",
    )
    parser.add_argument(
        "--step-timeout", type=float, default=1800.0, help="kill a run after this many seconds"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep each run's work directory")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="where each run's work directory is made (default: the system's temp directory)",
    )
    args = parser.parse_args()
    compile_bytecode()
    runs: list[Run] = []
    for profile in args.profiles.split(","):
        sizes = args.sizes if profile == "fast" else args.limited_sizes
        for size in (int(s) for s in sizes.split(",") if s):
            runs += bench_size(size, profile, args.legs, args.step_timeout, args.keep, args.root)
        if profile != "fast":
            for size in (int(s) for s in args.limited_reverse_sizes.split(",") if s):
                runs += bench_size(
                    size, profile, "reverse", args.step_timeout, args.keep, args.root,
                    setup_fast=True,
                )  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_pipeline.py " + " ".join(sys.argv[1:])
    (args.out / "pipeline.json").write_text(json.dumps([asdict(r) for r in runs], indent=1))
    text = markdown(runs, command.strip(), args.limited_sizes, args.limited_reverse_sizes)
    (args.out / "pipeline.md").write_text(text)
    try:
        plot(runs, args.out / "pipeline.png")
    except ModuleNotFoundError as missing:
        print(
            f"no plot written: {missing.name} is not installed (`make bench` installs the"
            " bench extra: pip install -e '.[bench]'); the tables above are complete",
            file=sys.stderr,
        )
    print(text)


if __name__ == "__main__":
    main()
