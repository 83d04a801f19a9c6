"""Bad inputs end in one line and a documented exit status, never a traceback.

Each case runs a plugin's own executable on the sandbox with one bad input (config,
state, ledger, spec) and asserts the exact last line of stderr and the exit status.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crm_sync.stops import EXIT_INPUT
from tests.tap_salesforce_custom.sandbox_helpers import tap_config
from tests.target_hubspot_custom.test_target_sandbox import record, schema_message

BIN = Path(sys.executable).parent
NOW = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
FIX = re.escape(
    "fix it with `meltano state edit <state id>` "
    "(or `meltano state clear <state id>` to read everything again)"
)


@dataclass(frozen=True)
class Case:
    name: str
    plugin: str
    config: dict[str, Any]
    line: str
    """A regex the whole last stderr line must match."""
    status: int
    state: dict[str, Any] | None = None
    stdin: str = ""


def sf_state(value: str) -> dict[str, Any]:
    return {
        "bookmarks": {
            "Account": {"replication_key": "SystemModstamp", "replication_key_value": value}
        }
    }


def one_record() -> str:
    messages = [schema_message(), record(1), {"type": "STATE", "value": {"bookmark": 1}}]
    return "".join(json.dumps(m) + "\n" for m in messages)


def cases(env: dict[str, str], tmp: Path) -> list[Case]:
    sf = tap_config(env, objects=["Account"])
    hs_target = {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{tmp / 'ledger.sqlite'}",
    }
    bad_spec = tmp / "mappings"
    bad_spec.mkdir()
    (bad_spec / "broken.yml").write_text("mappings: [\n")
    return [
        Case(
            "config: CA bundle path that is not a file",
            "tap-salesforce-custom",
            {**sf, "ca_bundle": str(tmp / "no-ca.pem")},
            re.escape(
                "tap-salesforce-custom stopped: Could not find a suitable TLS CA certificate "
                f"bundle, invalid path: {tmp / 'no-ca.pem'}; set ca_bundle (or "
                "REQUESTS_CA_BUNDLE) to an existing PEM file"
            ),
            EXIT_INPUT,
        ),
        Case(
            "config: Salesforce client secret refused",
            "tap-salesforce-custom",
            {**sf, "client_secret": "wrong"},
            re.escape("tap-salesforce-custom stopped: Salesforce login (client_credentials) to ")
            + r"https://127\.0\.0\.1:\d+"
            + re.escape(
                "/services/oauth2/token refused with HTTP 400: invalid_client: "
                "invalid client credentials"
            ),
            EXIT_INPUT,
        ),
        Case(
            "config: expired HubSpot token",
            "target-hubspot-custom",
            {**hs_target, "access_token": "pat-na1-expired"},
            re.escape(
                "target-hubspot-custom stopped: read the portal's account details: HTTP 401 "
                "INVALID_AUTHENTICATION: Authentication credentials not found. "
            )
            + ".*"
            + re.escape("; renew the credentials (an expired or revoked token?) and rerun"),
            EXIT_INPUT,
            stdin=one_record(),
        ),
        Case(
            "spec: a mapping file that is not YAML",
            "map-crm",
            {"mappings_dir": str(bad_spec)},
            re.escape("map-crm stopped: ") + ".*broken\\.yml.*",
            EXIT_INPUT,
        ),
        Case(
            "state: bookmark in the future",
            "tap-salesforce-custom",
            sf,
            re.escape(
                "tap-salesforce-custom stopped: stream Account: bookmark "
                "SystemModstamp='2099-01-01T00:00:00.000+00:00' is in the future (now "
            )
            + NOW
            + re.escape("), so no record would ever be read; ")
            + FIX,
            EXIT_INPUT,
            state=sf_state("2099-01-01T00:00:00.000+00:00"),
        ),
        Case(
            "state: corrupted bookmark",
            "tap-salesforce-custom",
            sf,
            re.escape(
                "tap-salesforce-custom stopped: stream Account: bookmark "
                "SystemModstamp='2026-1x-01T00:00' is not a timestamp; "
            )
            + FIX,
            EXIT_INPUT,
            state=sf_state("2026-1x-01T00:00"),
        ),
        Case(
            "ledger: unknown database URL",
            "target-hubspot-custom",
            {**hs_target, "ledger_url": "nosuchdb://ledger"},
            re.escape(
                "target-hubspot-custom stopped: ledger: unsupported database 'nosuchdb' "
                "(use SQLite or PostgreSQL)"
            ),
            EXIT_INPUT,
            stdin=one_record(),
        ),
    ]


def run(case: Case, tmp: Path) -> subprocess.CompletedProcess[str]:
    config = tmp / "config.json"
    config.write_text(json.dumps(case.config))
    args = [str(BIN / case.plugin), "--config", str(config)]
    if case.state is not None:
        state = tmp / "state.json"
        state.write_text(json.dumps(case.state))
        args += ["--state", str(state)]
    return subprocess.run(
        args, input=case.stdin, capture_output=True, text=True, timeout=120, check=False
    )


CASE_NAMES = [
    "config: CA bundle path that is not a file",
    "config: Salesforce client secret refused",
    "config: expired HubSpot token",
    "spec: a mapping file that is not YAML",
    "state: bookmark in the future",
    "state: corrupted bookmark",
    "ledger: unknown database URL",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_stops_in_one_line(name: str, sandbox, tmp_path: Path) -> None:
    case = {c.name: c for c in cases(sandbox.env, tmp_path)}[name]
    result = run(case, tmp_path)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert re.fullmatch(case.line, lines[-1]), lines[-1]
    assert result.returncode == case.status, result.stderr
    assert result.stdout.count('"type": "RECORD"') == 0
