"""Validation in one pass and a quiet shipped example (issue 14, features 8 and 11).

Through meltano: ``meltano invoke map-crm:validate`` lists every error of a directory
(offline spec errors and live-schema errors together) and the lossy-conversion notices;
``meltano run forward`` on the shipped specs logs none of those notices.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.transforms.test_map_crm_live import BROKEN  # a spec with live errors

pytestmark = pytest.mark.e2e

BROKEN_SPEC = "name: bad\nsalesforce: {object: A, id_field: B}\n"


def test_meltano_forward_run_is_quiet_and_validate_lists_lossy(
    clean_sandbox: Any, meltano_project: Any
) -> None:
    clean_sandbox.seed(salesforce={"Account": 3, "Project__c": 5})
    listed = meltano_project.run("invoke", "map-crm:validate")
    out = listed.stdout.decode() + listed.stderr.decode()
    assert listed.returncode == 0, out[-3000:]
    assert out.count("[lossy]") > 0
    assert "live schemas checked" in out
    done = meltano_project.run("run", "--full-refresh", "forward")
    log = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, log[-4000:]
    assert "[lossy]" not in log
    assert "lossy-conversion notice(s); `map-crm validate` lists them" in log


def test_meltano_validate_shows_every_error_at_once(
    sandbox: Any, meltano_project: Any, tmp_path: Any
) -> None:
    directory = tmp_path / "mappings"
    directory.mkdir()
    (directory / "project.yml").write_text(BROKEN)
    (directory / "bad.yml").write_text(BROKEN_SPEC)
    done = meltano_project.run("invoke", "map-crm:validate", "--mappings", str(directory))
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 1, out[-3000:]
    assert "'hubspot' is a required property" in out
    assert "Project__c has no field Budget_Typo__c [unknown_field]" in out
    assert f"2 mapping(s) in {directory} (1 enabled, 0 saved for later, 1 not loadable)" in out
