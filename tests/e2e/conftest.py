"""End-to-end fixtures: a throwaway copy of the meltano project, run on the sandbox.

Tests here are marked ``e2e`` (select with ``-m e2e``, skip with ``-m "not e2e"``);
they run in the default suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the project venv: meltano and every plugin executable

#: map-crm's live-validation credentials in the `sandbox` environment. meltano.yml is the
#: lead's; until it carries this block, the tests add it to their copy (a no-op after).
MAP_CRM_SANDBOX_CONFIG: dict[str, str] = {
    "salesforce_instance_url": "$CRM_SANDBOX_SF_INSTANCE_URL",
    "salesforce_access_token": "$CRM_SANDBOX_SF_ACCESS_TOKEN",
    "salesforce_login_url": "$CRM_SANDBOX_SF_LOGIN_URL",
    "salesforce_client_id": "$CRM_SANDBOX_SF_CLIENT_ID",
    "salesforce_client_secret": "$CRM_SANDBOX_SF_CLIENT_SECRET",
    "salesforce_api_version": "$CRM_SANDBOX_SF_API_VERSION",
    "salesforce_ca_bundle": "$CRM_SANDBOX_CA_BUNDLE",
    "hubspot_base_url": "$CRM_SANDBOX_HS_BASE_URL",
    "hubspot_access_token": "$CRM_SANDBOX_HS_ACCESS_TOKEN",
    "hubspot_ca_bundle": "$CRM_SANDBOX_CA_BUNDLE",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end `meltano run` on the sandbox")


def _with_map_crm_credentials(meltano_yml: Path) -> None:
    data = yaml.safe_load(meltano_yml.read_text())
    env = next(e for e in data["environments"] if e["name"] == "sandbox")
    mappers = env.setdefault("config", {}).setdefault("plugins", {}).setdefault("mappers", [])
    entry = next((m for m in mappers if m.get("name") == "map-crm"), None)
    if entry is None:
        entry = {"name": "map-crm", "config": {}}
        mappers.append(entry)
    config = entry.setdefault("config", {})
    if any(key.startswith(("salesforce_", "hubspot_")) for key in config):
        return  # meltano.yml configures it already
    config.update(MAP_CRM_SANDBOX_CONFIG)
    meltano_yml.write_text(yaml.safe_dump(data, sort_keys=False))


@dataclass
class MeltanoProject:
    root: Path
    sandbox_env: dict[str, str]

    def run(
        self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = {
            **os.environ,
            **self.sandbox_env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "sandbox",
            **(env or {}),
        }
        return subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=self.root,
            env=full_env,
            input=stdin,
            capture_output=True,
            timeout=180,
            check=False,
        )

    def output(self, stream: str) -> list[dict[str, Any]]:
        import json

        path = self.root / "output" / f"{stream}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def clear_output(self) -> None:
        shutil.rmtree(self.root / "output", ignore_errors=True)


@pytest.fixture(scope="session")
def meltano_project(
    sandbox: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MeltanoProject]:
    """meltano.yml + transforms/ copied to a temp dir, `meltano install`ed once."""
    root = tmp_path_factory.mktemp("meltano")
    shutil.copy(REPO / "meltano.yml", root / "meltano.yml")
    shutil.copytree(
        REPO / "transforms", root / "transforms", ignore=shutil.ignore_patterns("__pycache__")
    )
    _with_map_crm_credentials(root / "meltano.yml")
    project = MeltanoProject(root, dict(sandbox.env))
    done = project.run("install")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    yield project
