"""Bad inputs end in one line and a documented exit status, never a traceback.

Each case runs a plugin's own executable on the sandbox with one bad input (config,
state, ledger, spec, records), a used-up quota or a busy ledger, and asserts the exact
last line of stderr and the exit status.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from crm_sandbox.core.process import RunningSandbox
from crm_sync.ledger import LedgerStore
from crm_sync.ledger.lock import MappingLocks, holder_name
from crm_sync.stops import EXIT_BUSY, EXIT_INPUT, EXIT_QUOTA
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
    around: Callable[[], AbstractContextManager[Any]] = nullcontext
    """What holds while the plugin runs (another run's lock, a sandbox fault)."""


def sf_state(value: str) -> dict[str, Any]:
    return {
        "bookmarks": {
            "Account": {"replication_key": "SystemModstamp", "replication_key_value": value}
        }
    }


def one_record(modified_at: str | None = None) -> str:
    row = record(1)
    if modified_at is not None:
        row["record"]["_crm_source_modified_at"] = modified_at
    messages = [schema_message(), row, {"type": "STATE", "value": {"bookmark": 1}}]
    return "".join(json.dumps(m) + "\n" for m in messages)


def plain_record(name: object) -> str:
    """A plain (unmapped) stream of HubSpot projects with one record."""
    schema = {
        "type": "SCHEMA",
        "stream": "project",
        "key_properties": ["salesforce_id"],
        "schema": {
            "type": "object",
            "properties": {
                "salesforce_id": {"type": ["string"]},
                "project_name": {"type": ["string", "null"]},
            },
        },
    }
    row = {"salesforce_id": "a01000000000009AAA", "project_name": name}
    messages = [schema, {"type": "RECORD", "stream": "project", "record": row}]
    return "".join(json.dumps(m) + "\n" for m in messages)


def share_stop(plugin: str, vendor: str, setting: str) -> str:
    """The line of a stop at this sync's share of a daily limit (set to almost 0)."""
    return (
        re.escape(f"{plugin} stopped: {vendor} API quota share reached: ")
        + rf"\d+ of \d+ daily requests used \(\d+\.\d%\) >= {setting} 0%"
        + re.escape("; stopping, the state is resumable")
    )


def hs_daily_used(env: dict[str, str]) -> int:
    """Calls the portal has used today, from one reply's daily headers."""
    reply = requests.get(
        f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/schemas",
        headers={"Authorization": f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"},
        verify=env["CRM_SANDBOX_CA_BUNDLE"],
        timeout=30,
    )
    headers = reply.headers
    return int(headers["X-HubSpot-RateLimit-Daily"]) - int(
        headers["X-HubSpot-RateLimit-Daily-Remaining"]
    )


def cases(env: dict[str, str], tmp: Path, sandbox: RunningSandbox) -> list[Case]:
    sf = tap_config(env, objects=["Account"])
    hs_target = {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{tmp / 'ledger.sqlite'}",
    }
    ledger_file = tmp / "ledger.sqlite"

    @contextmanager
    def another_run() -> Iterator[None]:
        """This test process holds mapping 'project' as a running target would."""
        store = LedgerStore(hs_target["ledger_url"])
        locks = MappingLocks(store.engine)
        locks.acquire("project")
        try:
            yield
        finally:
            locks.release_all()
            store.close()

    @contextmanager
    def write_transaction() -> Iterator[None]:
        """A tool holding a write transaction open on the ledger file."""
        LedgerStore(hs_target["ledger_url"]).close()  # the ledger exists, in WAL mode
        holder = sqlite3.connect(ledger_file, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    @contextmanager
    def portal_out_of_calls() -> Iterator[None]:
        sandbox.set_faults(hs_daily_max=hs_daily_used(env))
        try:
            yield
        finally:
            sandbox.set_faults()

    resumable = re.escape(
        "; stopping cleanly, the state saved so far is resumable: rerun after the reset"
    )
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
        Case(
            "records: a record that does not match its schema",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                "target-hubspot-custom stopped: stream 'project': record "
                "salesforce_id='a01000000000009AAA' does not match the stream's SCHEMA: "
                'project_name: expected type ["string", "null"]; the tap sends values its '
                "own SCHEMA does not allow: fix the tap (or its schema) and rerun"
            ),
            EXIT_INPUT,
            stdin=plain_record(12345),
        ),
        Case(
            "records: a record with a timestamp that is not one",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                "target-hubspot-custom stopped: stream 'project': record "
                "salesforce_id='a01000000000001AAA' does not match the stream's SCHEMA: "
                "_crm_source_modified_at: not a date-time string; the tap sends values its "
                "own SCHEMA does not allow: fix the tap (or its schema) and rerun"
            ),
            EXIT_INPUT,
            stdin=one_record(modified_at="2026-1x-01T00:00:00.000Z"),
        ),
        Case(
            "records: a record for an unknown stream",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                "target-hubspot-custom stopped: A record for stream 'nosuch' was encountered "
                "before a corresponding schema. Check that the Tap correctly implements the "
                "Singer spec."
            ),
            EXIT_INPUT,
            stdin=json.dumps({"type": "RECORD", "stream": "nosuch", "record": {"id": 1}}),
        ),
        Case(
            "quota: Salesforce share (max_api_share)",
            "tap-salesforce-custom",
            {**sf, "max_api_share": 1e-9},
            share_stop("tap-salesforce-custom", "Salesforce", "max_api_share"),
            EXIT_QUOTA,
        ),
        Case(
            "quota: HubSpot share (max_daily_share)",
            "target-hubspot-custom",
            {**hs_target, "max_daily_share": 1e-9},
            share_stop("target-hubspot-custom", "HubSpot", "max_daily_share"),
            EXIT_QUOTA,
            stdin=one_record(),
        ),
        Case(
            "quota: HubSpot daily limit",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                "target-hubspot-custom stopped: HubSpot daily API limit reached: "
                "You have reached your daily limit."
            )
            + resumable,
            EXIT_QUOTA,
            stdin=one_record(),
            around=portal_out_of_calls,
        ),
        Case(
            "lock: the mapping is being synced by another run",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                "target-hubspot-custom stopped: mapping 'project' is already being synced by "
                f"another run (held by {holder_name()}); refusing to start a second run of it "
                "(wait for that run to finish, or run a different mapping)"
            ),
            EXIT_BUSY,
            stdin=one_record(),
            around=another_run,
        ),
        Case(
            "ledger: database is locked",
            "target-hubspot-custom",
            hs_target,
            re.escape(
                f"target-hubspot-custom stopped: ledger {ledger_file} stayed locked by another "
                "process for 10 s (another crm-sync run writing it, or a tool holding a write "
                "transaction open on it); let it finish or close it, then rerun (several "
                "workers at once want a PostgreSQL ledger_url)"
            ),
            EXIT_BUSY,
            stdin=one_record(),
            around=write_transaction,
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
    "records: a record that does not match its schema",
    "records: a record with a timestamp that is not one",
    "records: a record for an unknown stream",
    "quota: Salesforce share (max_api_share)",
    "quota: HubSpot share (max_daily_share)",
    "quota: HubSpot daily limit",
    "lock: the mapping is being synced by another run",
    "ledger: database is locked",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_stops_in_one_line(name: str, sandbox, tmp_path: Path) -> None:
    case = {c.name: c for c in cases(sandbox.env, tmp_path, sandbox)}[name]
    with case.around():
        result = run(case, tmp_path)
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert re.fullmatch(case.line, lines[-1]), lines[-1]
    assert result.returncode == case.status, result.stderr
    assert result.stdout.count('"type": "RECORD"') == 0
