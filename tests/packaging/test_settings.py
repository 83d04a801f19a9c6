"""Settings as Meltano Hub defines them: meltano.yml and each plugin's ``--about`` agree,
every setting is described, secrets are sensitive, and values given through
environment variables or ``meltano config set`` reach the plugin in a form it accepts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from scripts.plugin_settings import about, comparable, declared, own_plugins
from tests.packaging.distributions import REPO

MELTANO = Path(sys.executable).parent / "meltano"
PROJECT = yaml.safe_load((REPO / "meltano.yml").read_text())
PLUGINS = {p["name"]: p for p in own_plugins(PROJECT)}
# OAuth client ids count as secrets, as in the MeltanoLabs plugins; a ledger URL can hold
# a database password.
SECRET = re.compile(r"token|secret|client_id|password|passphrase|private_key$|ledger_url")
ABOUT: dict[str, dict[str, Any]] = {}


def about_of(name: str) -> dict[str, Any]:
    if name not in ABOUT:
        ABOUT[name] = about(PLUGINS[name].get("executable", name))
    return ABOUT[name]


def test_the_five_plugins_are_declared():
    assert set(PLUGINS) == {"tap-salesforce-custom", "tap-hubspot-custom", "map-crm",
                            "target-hubspot-custom", "target-salesforce-custom"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_meltano_yml_agrees_with_about(name: str):
    """Names, kinds, options, labels, descriptions and secrets; and the capabilities."""
    info = about_of(name)
    have = [comparable(s) for s in PLUGINS[name]["settings"]]
    want = [comparable(s) for s in declared(info)]
    assert [s["name"] for s in have] == [s["name"] for s in want]
    for got, expected in zip(have, want, strict=True):
        assert got == expected, "run `python scripts/plugin_settings.py` to regenerate"
    assert PLUGINS[name]["capabilities"] == info["capabilities"]


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_every_setting_is_described_and_secrets_are_sensitive(name: str):
    props = about_of(name)["settings"]["properties"]
    assert [n for n, p in props.items() if not (p.get("description") or "").strip()] == []
    looks_secret = {n for n in props if SECRET.search(n) and not n.endswith("_path")}
    assert looks_secret == {n for n, p in props.items() if p.get("secret")}


def test_no_setting_has_the_decimal_kind():
    """`kind: decimal` crashes meltano 4.4 on a value from the environment (Decimal is not
    JSON serializable); fractions are `kind: string`, and the plugins accept "0.9"."""
    kinds = {(p, s["name"]): s.get("kind") for p in PLUGINS for s in PLUGINS[p]["settings"]}
    assert [k for k, v in kinds.items() if v == "decimal"] == []


def _project_copy(root: Path) -> Path:
    root.mkdir()
    shutil.copy(REPO / "meltano.yml", root / "meltano.yml")
    return root


def _meltano(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(MELTANO), *args],
        cwd=root,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MELTANO_")},
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("name", ["tap-salesforce-custom", "tap-hubspot-custom",
                                  "target-salesforce-custom"])  # fmt: skip
def test_fractional_settings_from_the_environment_are_valid_config(name: str, tmp_path: Path):
    schema = about_of(name)["settings"]
    fractional = [n for n, p in schema["properties"].items() if "pattern" in p]
    assert fractional, "each of these plugins has a fractional setting"
    prefix = name.upper().replace("-", "_")
    env = {f"{prefix}_{n.upper()}": "0.9" for n in fractional}
    config = json.loads(_meltano(_project_copy(tmp_path / "p"), "invoke", "--dump=config", name,
                                 env=env))  # fmt: skip
    assert {n: config[n] for n in fractional} == dict.fromkeys(fractional, "0.9")
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(config)]
    assert errors == []
    config[fractional[0]] = "ninety percent"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(config)), "only numbers pass"


def test_stream_maps_set_from_the_cli_is_stored_as_an_object(tmp_path: Path):
    """`kind: object` (every plugin's stream_maps has it, see the agreement test)."""
    name = "tap-salesforce-custom"
    root = _project_copy(tmp_path / "p")
    maps = {"some_stream": {"name_upper": "name.upper()"}}
    _meltano(root, "config", "set", name, "stream_maps", json.dumps(maps))
    stored = yaml.safe_load((root / "meltano.yml").read_text())
    (plugin,) = [p for p in own_plugins(stored) if p["name"] == name]
    assert plugin["config"]["stream_maps"] == maps
