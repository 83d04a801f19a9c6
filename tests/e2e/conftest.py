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

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the project venv: meltano and every plugin executable

# A guard against a hung child, not a speed check: generous enough for `meltano install`
# on a slow, loaded machine; raise it with CRM_SYNC_E2E_TIMEOUT (seconds) where needed.
MELTANO_TIMEOUT = float(os.environ.get("CRM_SYNC_E2E_TIMEOUT", "900"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end `meltano run` on the sandbox")


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
            timeout=MELTANO_TIMEOUT,
            check=False,
        )

    def output(self, stream: str) -> list[dict[str, Any]]:
        import json

        path = self.root / "output" / f"{stream}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def clear_output(self) -> None:
        shutil.rmtree(self.root / "output", ignore_errors=True)


# What the plugins' `pip_url`s (`-c constraints.txt -e ./core -e ./<plugin>`) point at,
# linked into a temp project so its editable installs run the checkout's code.
LINKED = ("constraints.txt", "core", "sandbox", "tap-salesforce-custom", "tap-hubspot-custom",
          "target-hubspot-custom", "target-salesforce-custom", "plugins")  # fmt: skip
PLUGIN_KINDS = ("extractors", "loaders", "mappers", "utilities")


def lay_out_project(root: Path, installed: Path | None = None) -> None:
    """A copy of the meltano project in ``root``: meltano.yml and transforms/ copied (tests
    edit the specs), the distributions linked. With ``installed``, the plugin venvs of
    that already installed project are shared instead of installing them again."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "meltano.yml", root / "meltano.yml")
    shutil.copytree(
        REPO / "transforms",
        root / "transforms",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for name in LINKED:
        (root / name).symlink_to(REPO / name)
    if installed is not None:
        (root / ".meltano").mkdir(exist_ok=True)
        for kind in PLUGIN_KINDS:
            (root / ".meltano" / kind).symlink_to(installed / ".meltano" / kind)


@pytest.fixture(scope="session")
def meltano_project(
    sandbox: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MeltanoProject]:
    """A copy of the project in a temp dir, `meltano install`ed once: every plugin in its
    own venv, editable, as `meltano install` does it for a user."""
    root = tmp_path_factory.mktemp("meltano")
    lay_out_project(root)
    project = MeltanoProject(root, dict(sandbox.env))
    done = project.run("install")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    yield project
