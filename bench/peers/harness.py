"""Prepare and run one extractor against the sandbox, and turn the run into a table row.

A run that fails becomes a row naming the request it failed on (from the peer's own
failure log, written by ``redirect/sitecustomize.py``) and its last error line; the
harness goes on with the next extractor.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalogs, venvs
from .extractors import REDIRECTED_HOSTS, Extractor, Setup
from .output import Extracted, read
from .runner import Run, run

if TYPE_CHECKING:
    from crm_sandbox.core.process import RunningSandbox

REDIRECT_DIR = Path(__file__).resolve().parent / "redirect"
FULL = "full"
INCREMENTAL = "incremental"


class PeerFailed(Exception):
    """A step of a peer (install, discover, run) did not finish; the message says why."""


@dataclass
class Row:
    extractor: Extractor
    phase: str
    records: int = 0
    ids: set[str] = field(default_factory=set)
    deletes: int = 0
    seconds: float = 0.0
    calls: int = 0
    peak_mib: float = 0.0
    failure: str = ""
    state: Any = None
    non_2xx: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failure


def failed_requests(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    entries = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def last_error_line(stderr: Path) -> str:
    """The last line of ``stderr`` that reads like the error, else its last line."""
    lines = [ln.strip() for ln in stderr.read_text(errors="replace").splitlines() if ln.strip()]
    markers = ("CRITICAL", "Error", "Exception", "error:", "FATAL", "Traceback", "killed")
    for line in reversed(lines):
        if any(m in line for m in markers) and not line.startswith("Traceback"):
            return line[:400]
    return lines[-1][:400] if lines else "(no output on stderr)"


def describe_failure(result: Run, log: Path, extracted: Extracted | None = None) -> str:
    parts = []
    requests_failed = failed_requests(log)
    if requests_failed:
        last = requests_failed[-1]
        status = last["status"] if last["status"] is not None else "no reply"
        parts.append(f"`{last['method']} {last['path']}` → {status}: {last['detail'][:240]}")
    if extracted is not None and extracted.errors:
        parts.append(f"error: {extracted.errors[-1][:300]}")
    parts.append(f"exit {result.returncode}; stderr: {last_error_line(result.stderr)}")
    return " — ".join(parts)


def non_2xx(stats: dict[str, Any]) -> dict[str, dict[str, int]]:
    statuses: dict[str, dict[str, int]] = stats.get("statuses", {})
    return {
        route: {code: n for code, n in codes.items() if not code.startswith("2")}
        for route, codes in statuses.items()
        if any(not code.startswith("2") for code in codes)
    }


def redirects(sandbox: RunningSandbox) -> dict[str, str]:
    """Each real host to the sandbox process serving its API."""
    return {
        host: sandbox.hs_base_url if host == "api.hubapi.com" else sandbox.base_url
        for host in REDIRECTED_HOSTS
    }


class Harness:
    """Runs extractors one after another on one seeded sandbox."""

    def __init__(
        self, sandbox: RunningSandbox, setup: Setup, workdir: Path, timeout: float
    ) -> None:
        self.sandbox = sandbox
        self.setup = setup
        self.workdir = workdir
        self.timeout = timeout
        self.catalogs: dict[str, Path] = {}

    # ---- environment -------------------------------------------------------------------

    def _env(self, ex: Extractor, failures: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PYTHONPATH"] = str(REDIRECT_DIR)
        env["CRM_PEERS_FAILURES"] = str(failures)
        if not ex.ours:
            env["CRM_PEERS_REDIRECT"] = json.dumps(redirects(self.sandbox))
            env["REQUESTS_CA_BUNDLE"] = self.sandbox.ca_bundle
            env["SSL_CERT_FILE"] = self.sandbox.ca_bundle
            env["CRM_PEERS_CA_BUNDLE"] = self.sandbox.ca_bundle
            bin_dir = venvs.venv_dir(ex.venv) / "bin"
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
            env["VIRTUAL_ENV"] = str(venvs.venv_dir(ex.venv))
        return env

    def _dir(self, ex: Extractor) -> Path:
        path = self.workdir / ex.key
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _command(self, ex: Extractor) -> str:
        return ex.command if ex.ours else str(venvs.executable(ex.venv, ex.command))

    def _config(self, ex: Extractor) -> Path:
        path = self._dir(ex) / "config.json"
        if not path.exists():  # singer-io tap-salesforce rewrites its config file
            path.write_text(json.dumps(ex.config(self.setup), indent=2))
        return path

    # ---- steps -------------------------------------------------------------------------

    def install(self, ex: Extractor) -> None:
        if ex.ours:
            return
        try:
            venvs.ensure_venv(ex.venv, list(ex.requirements))
        except Exception as exc:  # a failed pip install is a row, not a crash
            raise PeerFailed(f"install of {' '.join(ex.requirements)} failed: {exc}") from exc

    def discover(self, ex: Extractor) -> Path | None:
        """The catalog file selecting the stream under test (None: ours need none)."""
        if ex.ours:
            return None
        if ex.key in self.catalogs:
            return self.catalogs[ex.key]
        here = self._dir(ex)
        config = self._config(ex)
        argv = (
            [self._command(ex), "discover", "--config", str(config)]
            if ex.style == "airbyte"
            else [self._command(ex), "--config", str(config), "--discover"]
        )
        log = here / "discover.failures.jsonl"
        log.unlink(missing_ok=True)
        result = run(
            argv,
            self._env(ex, log),
            here / "discover.out",
            here / "discover.err",
            here,
            self.timeout,
        )
        if result.returncode != 0:
            raise PeerFailed("discovery: " + describe_failure(result, log))
        text = result.stdout.read_text()
        try:
            if ex.style == "airbyte":
                messages = [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]
                selected = catalogs.configure_airbyte(
                    catalogs.airbyte_catalog(messages), ex.reading.stream
                )
            else:
                selected = catalogs.select_singer(json.loads(text), ex.reading.stream)
        except (LookupError, json.JSONDecodeError) as exc:
            raise PeerFailed(f"discovery: {exc}; stderr: {last_error_line(result.stderr)}") from exc
        path = here / "catalog.json"
        path.write_text(json.dumps(selected))
        self.catalogs[ex.key] = path
        return path

    def run(self, ex: Extractor, phase: str, state: Any = None) -> Row:
        """Run ``ex`` once (with ``state`` from its previous run, if any) and measure it."""
        row = Row(ex, phase)
        try:
            self.install(ex)
            catalog = self.discover(ex)
        except PeerFailed as failed:
            row.failure = str(failed)
            return row
        here = self._dir(ex)
        argv = [self._command(ex)]
        if ex.style == "airbyte":
            argv.append("read")
        argv += ["--config", str(self._config(ex))]
        if catalog is not None:
            argv += [ex.catalog_flag, str(catalog)]
        if state is not None:
            state_file = here / f"{phase}.state.json"
            state_file.write_text(json.dumps(state))
            argv += ["--state", str(state_file)]
        log = here / f"{phase}.failures.jsonl"
        log.unlink(missing_ok=True)
        self.sandbox.clear_stats()
        result = run(
            argv,
            self._env(ex, log),
            here / f"{phase}.out",
            here / f"{phase}.err",
            here,
            self.timeout,
        )
        stats = self.sandbox.stats().get(ex.api, {})
        extracted = read(result.stdout, ex.reading)
        row.records, row.ids, row.deletes = extracted.records, extracted.ids, extracted.deletes
        row.seconds, row.peak_mib = result.seconds, result.peak_rss_mib
        row.calls, row.non_2xx = int(stats.get("total", 0)), non_2xx(stats)
        row.state = extracted.state
        if result.returncode != 0 or extracted.errors:
            row.failure = describe_failure(result, log, extracted)
        return row
