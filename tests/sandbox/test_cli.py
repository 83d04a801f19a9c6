"""`crm-sandbox` as a user runs it: start, env, stats, stop — two sandboxes side by side."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import requests


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm_sandbox.cli", *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def parse_env(output: str) -> dict[str, str]:
    env = {}
    for line in output.splitlines():
        assert line.startswith("export "), line
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


def test_two_sandboxes_run_side_by_side(tmp_path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    try:
        assert "started" in cli("start", "--data-dir", str(first)).stdout
        assert "started" in cli("--data-dir", str(second), "start").stdout
        assert "already running" in cli("start", "--data-dir", str(first)).stdout
        env1 = parse_env(cli("env", "--data-dir", str(first)).stdout)
        env2 = parse_env(cli("env", "--data-dir", str(second)).stdout)
        for key in (
            "CRM_SANDBOX_SF_LOGIN_URL",
            "CRM_SANDBOX_SF_INSTANCE_URL",
            "CRM_SANDBOX_SF_CLIENT_ID",
            "CRM_SANDBOX_SF_CLIENT_SECRET",
            "CRM_SANDBOX_SF_ACCESS_TOKEN",
            "CRM_SANDBOX_HS_BASE_URL",
            "CRM_SANDBOX_HS_ACCESS_TOKEN",
            "CRM_SANDBOX_CA_BUNDLE",
        ):
            assert env1[key] and env2[key], key
        assert env1["CRM_SANDBOX_SF_INSTANCE_URL"] != env2["CRM_SANDBOX_SF_INSTANCE_URL"]
        assert env1["CRM_SANDBOX_SF_INSTANCE_URL"].startswith("https://127.0.0.1:")
        for env in (env1, env2):
            health = requests.get(
                env["CRM_SANDBOX_SF_INSTANCE_URL"] + "/__sandbox/health",
                verify=env["CRM_SANDBOX_CA_BUNDLE"],
                timeout=10,
            )
            assert health.json()["ok"] is True
        stats = json.loads(cli("stats", "--data-dir", str(first), "--json").stdout)
        assert isinstance(stats, dict)
        changed = json.loads(cli("faults", "http500=0.5", "--data-dir", str(first)).stdout)
        assert changed["http500"] == 0.5
    finally:
        cli("stop", "--data-dir", str(first), check=False)
        cli("stop", "--data-dir", str(second), check=False)
    assert cli("env", "--data-dir", str(first), check=False).returncode == 1
    assert "not running" in cli("stop", "--data-dir", str(first)).stdout


def test_bad_flags_are_named(tmp_path) -> None:
    result = cli("start", "--data-dir", str(tmp_path), "--faults", "http500=2", check=False)
    assert result.returncode != 0
    assert "http500" in result.stderr
    result = cli(
        "seed", "--data-dir", str(tmp_path), "--salesforce", "Project__c=many", check=False
    )
    assert result.returncode != 0
    assert "Project__c=many" in result.stderr
