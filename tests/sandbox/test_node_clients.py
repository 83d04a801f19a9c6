"""Node client tests (``tests/node/*.test.mjs``) against the worker's sandbox.

Installs the pinned packages of tests/node (``npm ci`` from package-lock.json, once:
skipped while node_modules is newer than the lock file), seeds the org, then runs
``node --test tests/node/`` with the sandbox's ``CRM_SANDBOX_*`` variables and the CA
bundle as ``NODE_EXTRA_CA_CERTS``. Skipped, with the reason, when node or npm is
missing or the install fails (no network to the npm registry, for instance).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from crm_sandbox.core.process import RunningSandbox

pytestmark = pytest.mark.xdist_group("node_clients")

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SEED = {"salesforce": {"Account": 3, "Project__c": 2300}}
"""What the Node tests expect in the sandbox (jsforce's autoFetch needs two pages)."""


def _install(npm: str) -> None:
    lock = NODE_DIR / "package-lock.json"
    marker = NODE_DIR / "node_modules" / ".package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    command = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            command, cwd=NODE_DIR, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{' '.join(command[1:])} in tests/node did not finish in 600 s")
    if done.returncode != 0:
        pytest.skip(f"npm {command[1]} failed in tests/node: {done.stderr.strip()[-400:]}")


def test_node_clients(clean_sandbox: RunningSandbox) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the Node client tests (tests/node)")
    _install(npm)
    clean_sandbox.seed(**SEED)
    env = {**os.environ, **clean_sandbox.env, "NODE_EXTRA_CA_CERTS": clean_sandbox.ca_bundle}
    done = subprocess.run(
        [node, "--test", str(NODE_DIR)],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert "# fail 0" in report and "# pass 0" not in report, report[-3000:]
