"""The READMEs: what a MeltanoLabs plugin README has, settings tables generated from the
plugins, and no link that leaves the repository (a clone has nothing beside it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scripts import readme_settings
from tests.packaging.distributions import REPO

LINK = re.compile(r"\]\(([^)\s]+)\)")
SECTIONS = ("## Install", "## Capabilities and settings", "## Usage", "## Limits")


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return [REPO / line for line in out.splitlines() if (REPO / line).is_file()]


def test_settings_tables_are_current():
    assert readme_settings.main(["--check"]) == 0, "run `python scripts/readme_settings.py`"


@pytest.mark.parametrize("readme", sorted(readme_settings.READMES.values()))
def test_plugin_readme_has_the_sections_of_a_meltanolabs_plugin(readme: str):
    text = (REPO / readme).read_text()
    positions = [text.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), readme
    install = text[positions[0] : positions[1]]
    assert "meltano add" in install and "pip install" in install
    assert "| Setting |" in text and "### Capabilities" in text


def test_no_file_links_or_points_outside_the_repository():
    outside = []
    for path in tracked("*.md", "*.py", "*.yml", "*.yaml", "*.toml", "Makefile", "*.sh"):
        if path == Path(__file__):
            continue  # this test names them to look for them
        text = path.read_text(errors="replace")
        if "shared/DESIGN" in text or "shared/API_NOTES" in text or "shared/STYLE" in text:
            outside.append(f"{path.relative_to(REPO)}: names a file outside the repository")
        if path.suffix != ".md":
            continue
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # URLs and anchors
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                outside.append(f"{path.relative_to(REPO)}: {target}")
    assert outside == []


def test_the_design_notes_say_what_prefer_salesforce_does_when_salesforce_is_cleared():
    design = (REPO / "docs" / "DESIGN.md").read_text()
    section = design[design.index("`prefer_salesforce` when the Salesforce value is") :]
    assert "cleared" in section.splitlines()[0]
    for part in ("## 1. Data flow", "## 2. The sync ledger", "## 3. Reconciliation",
                 "## 4. The sandbox", "## 5. Layout"):  # fmt: skip
        assert part in design
