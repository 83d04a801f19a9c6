"""The repo's distributions: where each lives, its import package, what it declares."""

from __future__ import annotations

import ast
import sys
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Distribution:
    folder: str  # relative to the repo root
    package: str  # the one import package it ships

    @property
    def root(self) -> Path:
        return REPO / self.folder

    @cached_property
    def pyproject(self) -> dict:
        return tomllib.loads((self.root / "pyproject.toml").read_text())

    @property
    def name(self) -> str:
        return canonicalize_name(self.pyproject["project"]["name"])

    @property
    def requirements(self) -> list[Requirement]:
        """The run-time requirements (no extras)."""
        return [Requirement(r) for r in self.pyproject["project"]["dependencies"]]

    def imported_modules(self) -> dict[str, set[str]]:
        """Top-level third-party modules the package imports -> files importing them."""
        found: dict[str, set[str]] = {}
        for path in (self.root / self.package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top != self.package and top not in sys.stdlib_module_names:
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
        return found


CORE = Distribution("core", "crm_sync")
SANDBOX = Distribution("sandbox", "crm_sandbox")
PLUGINS = (
    Distribution("tap-salesforce-custom", "tap_salesforce_custom"),
    Distribution("tap-hubspot-custom", "tap_hubspot_custom"),
    Distribution("target-hubspot-custom", "target_hubspot_custom"),
    Distribution("target-salesforce-custom", "target_salesforce_custom"),
    Distribution("transforms", "map_crm"),
)
ALL = (CORE, SANDBOX, *PLUGINS)
