"""`meltano test`: every plugin's connection check runs, passes on the sandbox, and fails
on bad credentials (the taps: singer-sdk's `--test`; map-crm: `validate`; the targets:
`--test`, which logs in and opens the sync ledger)."""

from __future__ import annotations

import pytest

from crm_sync.ledger import SCHEMA_VERSION

pytestmark = pytest.mark.e2e

PLUGINS = ("tap-salesforce-custom", "tap-hubspot-custom", "map-crm",
           "target-hubspot-custom", "target-salesforce-custom")  # fmt: skip


def test_every_plugin_has_a_passing_connection_check(sandbox, meltano_project):
    done = meltano_project.run("test", "--all")
    text = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, text[-4000:]
    for name in PLUGINS:
        assert f"{name}:test" in text
    assert f"{len(PLUGINS)} test(s) successful. 0 test(s) failed" in text
    assert f"ledger: schema v{SCHEMA_VERSION}" in text  # target-hubspot-custom opened the ledger
    assert "(write-back of new ids)" in text  # target-salesforce-custom checked HubSpot too


@pytest.mark.parametrize("name", ["target-hubspot-custom", "tap-hubspot-custom"])
def test_a_bad_token_fails_the_check(sandbox, meltano_project, name):
    prefix = name.upper().replace("-", "_")
    done = meltano_project.run("test", name, env={f"{prefix}_ACCESS_TOKEN": "pat-wrong"})
    assert done.returncode != 0
    assert f"{name}:test" in (done.stdout.decode() + done.stderr.decode())
