"""The plugins' settings as Meltano declares them, derived from each plugin's ``--about``.

``python scripts/plugin_settings.py`` rewrites the ``settings:`` and ``capabilities`` of
the repo's own plugins in ``meltano.yml`` from ``<plugin> --about --format=json`` (names,
kinds, options, labels, descriptions, ``sensitive``), keeping each setting's ``value``;
``--check`` only reports the differences (exit 1). tests/packaging checks the same.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLUGIN_TYPES = ("extractors", "loaders", "mappers")
JSON_KINDS = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "number": "decimal",
    "array": "array",
    "object": "object",
}


def about(executable: str) -> dict[str, Any]:
    """``<executable> --about --format=json`` (the dev venv's install of the plugin)."""
    done = subprocess.run(
        [str(BIN / executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def kind(prop: dict[str, Any]) -> str:
    """The Meltano setting kind of one JSON Schema property of a plugin's settings."""
    if "enum" in prop:
        return "options"
    types = prop.get("type", "object")
    types = {types} if isinstance(types, str) else set(types)
    types.discard("null")
    if types == {"number", "string"}:
        return "string"  # crm_sync.singer.number_setting: `kind: decimal` crashes meltano 4.4
    if types == {"string"} and prop.get("format") == "date-time":
        return "date_iso8601"
    (only,) = types
    return JSON_KINDS[only]


def declared(about_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Each setting as ``meltano.yml`` declares it (no values: those stay as they are)."""
    settings = []
    for name, prop in about_json["settings"]["properties"].items():
        setting: dict[str, Any] = {"name": name, "kind": kind(prop)}
        if prop.get("title"):
            setting["label"] = prop["title"]
        setting["description"] = " ".join(str(prop.get("description") or "").split())
        if prop.get("secret"):
            setting["sensitive"] = True
        if "enum" in prop:
            setting["options"] = [{"label": str(v), "value": v} for v in prop["enum"]]
        settings.append(setting)
    return settings


def comparable(setting: dict[str, Any]) -> dict[str, Any]:
    """What must agree between meltano.yml and ``--about``: all but the value."""
    return {
        "name": setting["name"],
        "kind": setting.get("kind", "string"),
        "label": setting.get("label"),
        "description": setting.get("description"),
        "sensitive": bool(setting.get("sensitive")),
        "options": [dict(o) for o in setting.get("options", [])] or None,
    }


def own_plugins(meltano: dict[str, Any]) -> list[dict[str, Any]]:
    """The plugins of this repo in meltano.yml (hub plugins have a variant)."""
    return [
        plugin
        for kind_ in PLUGIN_TYPES
        for plugin in meltano["plugins"].get(kind_, [])
        if "variant" not in plugin
    ]


def flow(items: list[str]) -> CommentedSeq:
    """A YAML list written on one line."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    args = parser.parse_args(argv)
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    path = REPO / "meltano.yml"
    meltano = yaml.load(path.read_text())
    differ = False
    for plugin in own_plugins(meltano):
        about_json = about(plugin.get("executable", plugin["name"]))
        capabilities = list(about_json["capabilities"])
        if list(plugin.get("capabilities", [])) != capabilities:
            differ = True
            print(f"{plugin['name']}: capabilities differ from --about", file=sys.stderr)
            plugin["capabilities"] = flow(capabilities)
        want = declared(about_json)
        have = list(plugin.get("settings", []))
        if [comparable(s) for s in have] == [comparable(s) for s in want]:
            continue
        differ = True
        print(f"{plugin['name']}: settings differ from --about", file=sys.stderr)
        values = {s["name"]: s["value"] for s in have if "value" in s}
        for setting in want:
            if setting["name"] in values:
                setting["value"] = values[setting["name"]]
        plugin["settings"] = want
    if differ and not args.check:
        with path.open("w") as out:
            yaml.dump(meltano, out)
    return 1 if differ and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
