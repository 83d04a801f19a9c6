"""The user's path: a Meltano project of their own, outside this repo, adds our plugins.

`meltano init` in a temp dir; each plugin added non-interactively with
`meltano add <type> <name> --from-ref <definition.yml>` (meltano 4's way to add a custom
plugin without `--custom`'s prompts), the definition taken from this repo's meltano.yml
with a `pip_url` pointing at this checkout's folders (copied to a temp dir, as a clone
would be); `meltano install`; then the forward job on the sandbox with the shipped specs.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm_sandbox.smoke import salesforce_client
from tests.e2e.conftest import BIN, REPO
from tests.e2e.hubspot_reads import hubspot_records

pytestmark = pytest.mark.e2e

FOLDERS = {
    "tap-salesforce-custom": "tap-salesforce-custom",
    "map-crm": "transforms",
    "target-hubspot-custom": "target-hubspot-custom",
}
KINDS = {"tap-salesforce-custom": "extractor", "map-crm": "mapper",
         "target-hubspot-custom": "loader"}  # fmt: skip
SANDBOX_ONLY = {"faker", "uvicorn", "starlette", "trustme", "simple-salesforce",
                "hubspot-api-client", "zeep", "crm-sandbox"}  # fmt: skip
PLUGIN_DISTS = {"tap-salesforce-custom", "tap-hubspot-custom", "target-hubspot-custom",
                "target-salesforce-custom", "map-crm"}  # fmt: skip
DEFINITION_KEYS = ("namespace", "executable", "capabilities", "commands", "settings")


def definition(name: str, checkout: Path) -> dict[str, Any]:
    """The plugin's definition from this repo's meltano.yml, installed from ``checkout``."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (plugin,) = [p for kind in project["plugins"].values() for p in kind if p["name"] == name]
    return {
        "name": name,
        **{k: plugin[k] for k in DEFINITION_KEYS if k in plugin},
        "pip_url": f"{checkout / 'core'} {checkout / FOLDERS[name]}",
    }


class Outside:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def meltano(self, *args: str, timeout: int = 300) -> str:
        done = subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
        return done.stdout + done.stderr


def installed(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    return {str(d.metadata["Name"]).lower() for d in md.distributions(path=[str(site)])}


def hubspot_ids(env: dict[str, str], object_type: str) -> list[str]:
    """The salesforce_id property of every live record of a HubSpot object."""
    return [r["properties"]["salesforce_id"]
            for r in hubspot_records(env, object_type, ["salesforce_id"])]  # fmt: skip


def test_a_user_project_adds_installs_and_runs_forward(clean_sandbox: Any, tmp_path: Path):
    env = clean_sandbox.env
    clean_sandbox.seed(salesforce={"Account": 5, "Project__c": 25})
    root = tmp_path / "user-project"
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("CRM_SANDBOX_", "MELTANO_", "VIRTUAL_ENV"))}  # fmt: skip
    sandbox_config = {
        "TAP_SALESFORCE_CUSTOM_INSTANCE_URL": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "TAP_SALESFORCE_CUSTOM_LOGIN_URL": env["CRM_SANDBOX_SF_LOGIN_URL"],
        "TAP_SALESFORCE_CUSTOM_ACCESS_TOKEN": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        "TAP_SALESFORCE_CUSTOM_API_VERSION": env["CRM_SANDBOX_SF_API_VERSION"],
        "TAP_SALESFORCE_CUSTOM_CA_BUNDLE": env["CRM_SANDBOX_CA_BUNDLE"],
        "TAP_SALESFORCE_CUSTOM_OBJECTS": '["Account", "Project__c"]',
        "MAP_CRM_MAPPINGS_DIR": str(root / "mappings"),
        "MAP_CRM_SALESFORCE_INSTANCE_URL": env["CRM_SANDBOX_SF_INSTANCE_URL"],
        "MAP_CRM_SALESFORCE_ACCESS_TOKEN": env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        "MAP_CRM_SALESFORCE_API_VERSION": env["CRM_SANDBOX_SF_API_VERSION"],
        "MAP_CRM_SALESFORCE_CA_BUNDLE": env["CRM_SANDBOX_CA_BUNDLE"],
        "MAP_CRM_HUBSPOT_BASE_URL": env["CRM_SANDBOX_HS_BASE_URL"],
        "MAP_CRM_HUBSPOT_ACCESS_TOKEN": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "MAP_CRM_HUBSPOT_CA_BUNDLE": env["CRM_SANDBOX_CA_BUNDLE"],
        "TARGET_HUBSPOT_CUSTOM_BASE_URL": env["CRM_SANDBOX_HS_BASE_URL"],
        "TARGET_HUBSPOT_CUSTOM_ACCESS_TOKEN": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "TARGET_HUBSPOT_CUSTOM_CA_BUNDLE": env["CRM_SANDBOX_CA_BUNDLE"],
        "TARGET_HUBSPOT_CUSTOM_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
    }
    user = Outside(tmp_path, {**base_env, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"})
    user.meltano("init", "--no-usage-stats", root.name)
    user = Outside(root, {**user.env, **sandbox_config})
    shutil.copytree(REPO / "transforms" / "mappings", root / "mappings")

    # The checkout's folders, copied: a (non-editable) build writes build/ into its source.
    checkout = tmp_path / "crm-sync"
    for folder in ("core", *FOLDERS.values()):
        skip = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        shutil.copytree(REPO / folder, checkout / folder, ignore=skip)
    for name, kind in KINDS.items():
        ref = tmp_path / f"{name}.yml"
        ref.write_text(yaml.safe_dump(definition(name, checkout), sort_keys=False))
        user.meltano("add", "--plugin-type", kind, name, "--from-ref", str(ref), "--no-install")
    meltano_yml = yaml.safe_load((root / "meltano.yml").read_text())
    for kind, plugins in meltano_yml["plugins"].items():
        for plugin in plugins:
            assert "variant" not in plugin and plugin["pip_url"], (kind, plugin["name"])
            assert str(checkout) in plugin["pip_url"]
    # a mapper runs through its mappings; the user names the forward one
    (mapper,) = meltano_yml["plugins"]["mappers"]
    mapper["mappings"] = [{"name": "sf-to-hs", "config": {"direction": "sf_to_hs"}}]
    (root / "meltano.yml").write_text(yaml.safe_dump(meltano_yml, sort_keys=False))
    user.meltano("job", "add", "forward",
                 "--tasks", "[tap-salesforce-custom sf-to-hs target-hubspot-custom]")  # fmt: skip

    user.meltano("install", timeout=600)
    for kind, name in (("extractors", "tap-salesforce-custom"), ("mappers", "map-crm"),
                       ("loaders", "target-hubspot-custom")):  # fmt: skip
        dists = installed(root / ".meltano" / kind / name / "venv")
        assert {"crm-sync-core", name} <= dists
        assert not dists & SANDBOX_ONLY, sorted(dists & SANDBOX_ONLY)
        assert dists & PLUGIN_DISTS == {name}

    user.meltano("run", "forward", timeout=600)

    sf = salesforce_client(env)
    accounts = {r["Id"] for r in sf.query_all("SELECT Id FROM Account")["records"]}
    projects = sf.query_all("SELECT Id, Status__c FROM Project__c")["records"]
    wanted = {p["Id"] for p in projects if p["Status__c"] != "Draft"}  # the spec's filter
    assert wanted and len(wanted) < len(projects)
    assert sorted(hubspot_ids(env, "project")) == sorted(wanted)
    assert set(hubspot_ids(env, "companies")) == accounts
