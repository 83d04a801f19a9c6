"""Two-way sync helpers: both legs as plain subprocess pipes, and both sides' records.

A leg is ``tap | map-crm | target`` with the plugins' own CLIs (what ``meltano run``
starts, without meltano's ~4 s per block of start-up), configured from the sandbox env
exactly as meltano.yml's ``sandbox`` environment does. The tap's bookmark is the last
STATE line its target emitted, kept per leg like meltano's state backend; the ledger is
one SQLite file both targets share. ``kill_after_writes`` SIGKILLs the target mid-run, once
the sandbox has answered that many write calls of the leg (progress, not a guessed delay).

Salesforce is read with SOQL and HubSpot with its objects API; both are edited through
their REST APIs (simple-salesforce for Salesforce), as a user or another integration would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from crm_sandbox.smoke import salesforce_client

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
FORWARD = "sf_to_hs"
REVERSE = "hs_to_sf"

# POSTs that only read: searches, batch reads, collection retrieves, describe batches, OAuth.
_READ_POSTS = (
    "/search",
    "/batch/read",
    "/composite/sobjects/{sobject}",
    "/composite/batch",
    "/oauth2/token",
)


def write_calls(stats: Mapping[str, Any], side: str) -> dict[str, int]:
    """The write calls one side served: ``{"METHOD /route/template": count}``."""
    out: dict[str, int] = {}
    for key, n in stats[side]["calls"].items():
        method, _, route = key.partition(" ")
        if not n or method not in ("POST", "PATCH", "PUT", "DELETE"):
            continue
        if method == "POST" and route.endswith(_READ_POSTS):
            continue
        out[key] = n
    return out


def all_writes(stats: Mapping[str, Any]) -> dict[str, int]:
    return {**write_calls(stats, "salesforce"), **write_calls(stats, "hubspot")}


# ------------------------------------------------------------------------------ specs


def mappings_dir(target: Path, **overrides: Mapping[str, Any]) -> Path:
    """The shipped specs copied to ``target``, each mapping's top-level keys overridden.

    ``overrides={"project": {"conflict": "hubspot", "fields": [...]}}``.
    """
    target.mkdir(parents=True, exist_ok=True)
    for spec_file in (REPO / "transforms" / "mappings").glob("*.yml"):
        spec = yaml.safe_load(spec_file.read_text())
        spec.update(overrides.get(spec["name"], {}))
        (target / spec_file.name).write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


def shipped_spec(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "transforms" / "mappings" / f"{name}.yml").read_text()))


# ------------------------------------------------------------------------------ legs


@dataclass
class LegRun:
    direction: str
    returncodes: tuple[int | None, ...]
    stderr: str
    killed: bool
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.killed and all(rc == 0 for rc in self.returncodes)


@dataclass
class TwoWay:
    """Both legs of the sync on the sandbox, in a work dir (configs, bookmarks, ledger)."""

    env: dict[str, str]
    workdir: Path
    mappings: Path
    runs: list[LegRun] = field(default_factory=list)
    target_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """More settings of a leg's target, by direction (``{FORWARD: {...}}``)."""

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.workdir / 'ledger.sqlite'}"

    def _configs(self, direction: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        e = self.env
        ca = e["CRM_SANDBOX_CA_BUNDLE"]
        mapper = {
            "direction": direction,
            "mappings_dir": str(self.mappings),
            "salesforce_instance_url": e["CRM_SANDBOX_SF_INSTANCE_URL"],
            "salesforce_access_token": e["CRM_SANDBOX_SF_ACCESS_TOKEN"],
            "salesforce_api_version": e["CRM_SANDBOX_SF_API_VERSION"],
            "salesforce_ca_bundle": ca,
            "hubspot_base_url": e["CRM_SANDBOX_HS_BASE_URL"],
            "hubspot_access_token": e["CRM_SANDBOX_HS_ACCESS_TOKEN"],
            "hubspot_ca_bundle": ca,
        }
        hubspot = {"base_url": e["CRM_SANDBOX_HS_BASE_URL"],
                   "access_token": e["CRM_SANDBOX_HS_ACCESS_TOKEN"], "ca_bundle": ca}  # fmt: skip
        salesforce = {
            "instance_url": e["CRM_SANDBOX_SF_INSTANCE_URL"],
            "login_url": e["CRM_SANDBOX_SF_LOGIN_URL"],
            "access_token": e["CRM_SANDBOX_SF_ACCESS_TOKEN"],
            "ca_bundle": ca,
            "api_version": e["CRM_SANDBOX_SF_API_VERSION"],
        }
        ledger = {"ledger_url": self.ledger_url}
        if direction == FORWARD:
            tap = {**salesforce, "objects": ["Account", "Project__c"], "retry_wait_seconds": 0.05}
            write_back = {f"sf_{k}": v for k, v in salesforce.items() if k != "ca_bundle"}
            target = {**hubspot, **ledger, **write_back, "create_missing_properties": True,
                      "plan_path": str(self.workdir / "plan-hubspot.json")}  # fmt: skip
        else:
            tap = {**hubspot, "objects": ["project", "companies"],
                   "include_associations": ["companies"], "max_requests_per_10s": 190,
                   "retry_wait_seconds": 0.05}  # fmt: skip
            target = {**salesforce, **ledger, "hs_access_token": e["CRM_SANDBOX_HS_ACCESS_TOKEN"],
                      "hs_base_url": e["CRM_SANDBOX_HS_BASE_URL"], "bulk_threshold": 2000,
                      "plan_path": str(self.workdir / "plan-salesforce.json")}  # fmt: skip
        return tap, mapper, {**target, **self.target_settings.get(direction, {})}

    def leg(
        self, direction: str, kill_after_writes: int | None = None, sandbox: Any = None
    ) -> LegRun:
        """Run one leg to its end, or SIGKILL its target once ``sandbox`` has answered
        ``kill_after_writes`` write calls of this leg (to either API)."""
        tap_cfg, mapper_cfg, target_cfg = self._configs(direction)
        names = (
            ("tap-salesforce-custom", "target-hubspot-custom")
            if direction == FORWARD
            else ("tap-hubspot-custom", "target-salesforce-custom")
        )
        paths = {}
        for role, cfg in (("tap", tap_cfg), ("mapper", mapper_cfg), ("target", target_cfg)):
            paths[role] = self.workdir / f"{direction}-{role}.json"
            paths[role].write_text(json.dumps(cfg))
        state = self.workdir / f"{direction}-state.json"
        tap_cmd = [str(BIN / names[0]), "--config", str(paths["tap"])]
        if state.exists():
            tap_cmd += ["--state", str(state)]
        child_env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
        errs = [self.workdir / f"{direction}-{n}.err" for n in ("tap", "mapper", "target")]
        started = time.monotonic()
        with errs[0].open("wb") as e0, errs[1].open("wb") as e1, errs[2].open("wb") as e2:
            tap = subprocess.Popen(tap_cmd, stdout=subprocess.PIPE, stderr=e0, env=child_env)
            mapper = subprocess.Popen(
                [str(BIN / "map-crm"), "--config", str(paths["mapper"])],
                stdin=tap.stdout, stdout=subprocess.PIPE, stderr=e1, env=child_env,
            )  # fmt: skip
            target = subprocess.Popen(
                [str(BIN / names[1]), "--config", str(paths["target"])],
                stdin=mapper.stdout, stdout=subprocess.PIPE, stderr=e2, env=child_env,
            )  # fmt: skip
            assert tap.stdout and mapper.stdout
            tap.stdout.close()  # the children own the pipe ends now
            mapper.stdout.close()
            killed = False
            if kill_after_writes is not None:
                written = sum(all_writes(sandbox.stats()).values())
                while target.poll() is None:
                    done = sum(all_writes(sandbox.stats()).values()) - written
                    if done >= kill_after_writes:
                        target.send_signal(signal.SIGKILL)
                        killed = True
                        break
            out, _ = target.communicate(timeout=300)
            for proc in (mapper, tap):
                if killed and proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=300)
        states = [line for line in out.decode().splitlines() if line.startswith("{")]
        if states:  # meltano keeps every STATE the target emitted, even from a killed run
            last = json.loads(states[-1])  # targets print the bare state value
            state.write_text(json.dumps(last.get("value", last) if "type" in last else last))
        stderr = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in errs)
        run = LegRun(direction, (tap.returncode, mapper.returncode, target.returncode), stderr,
                     killed, time.monotonic() - started)  # fmt: skip
        self.runs.append(run)
        return run

    def run(self) -> tuple[LegRun, LegRun]:
        """Both legs in order, as the ``two-way`` job does; both must succeed."""
        forward = self.leg(FORWARD)
        assert forward.ok, forward.stderr
        reverse = self.leg(REVERSE)
        assert reverse.ok, reverse.stderr
        return forward, reverse


# ------------------------------------------------------------------------------ sides


class Salesforce:
    """The org through SOQL (queryAll) and simple-salesforce."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.client = salesforce_client(dict(env))

    def query(self, soql: str) -> list[dict[str, Any]]:
        rows = self.client.query_all(soql)["records"]
        return [{k: v for k, v in r.items() if k != "attributes"} for r in rows]

    def rows(self, obj: str, fields: str) -> dict[str, dict[str, Any]]:
        """Live rows by Id."""
        return {r["Id"]: r for r in self.query(f"SELECT Id, {fields} FROM {obj}")}

    def create(self, obj: str, values: Mapping[str, Any]) -> str:
        return str(getattr(self.client, obj).create(dict(values))["id"])

    def update(self, obj: str, record_id: str, values: Mapping[str, Any]) -> None:
        getattr(self.client, obj).update(record_id, dict(values))

    def delete(self, obj: str, record_id: str) -> None:
        getattr(self.client, obj).delete(record_id)


RATE_LIMITED_TRIES = 30
RATE_LIMITED_BACKOFF_S = 1.0
"""A 429 (the 10-second window spent) is retried once a second, at most this often."""


class HubSpot:
    """The portal through its objects API."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.base = env["CRM_SANDBOX_HS_BASE_URL"].rstrip("/")
        self.session = requests.Session()
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        """One call; a 429 is waited out as any HubSpot client must: a check right after a
        run shares the portal's rolling 10-second window with that run's last calls."""
        for _ in range(RATE_LIMITED_TRIES):
            reply = self.session.request(method, f"{self.base}{path}", timeout=60, **kw)
            if reply.status_code != 429:
                break
            time.sleep(RATE_LIMITED_BACKOFF_S)  # backing off on an observed 429, not a guess
        assert reply.status_code < 300, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    def records(self, obj: str, props: list[str]) -> dict[str, dict[str, Any]]:
        """Live records by id: ``{id: {property: value}}`` (list endpoint, paged)."""
        out: dict[str, dict[str, Any]] = {}
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, "properties": ",".join(props)}
            if after:
                params["after"] = after
            body = self._call("GET", f"/crm/v3/objects/{obj}", params=params)
            for item in body["results"]:
                out[str(item["id"])] = {p: item["properties"].get(p) for p in props}
            after = (body.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return out

    def create(self, obj: str, props: Mapping[str, Any]) -> str:
        return str(self._call("POST", f"/crm/v3/objects/{obj}", json={"properties": props})["id"])

    def update(self, obj: str, record_id: str, props: Mapping[str, Any]) -> None:
        self._call("PATCH", f"/crm/v3/objects/{obj}/{record_id}", json={"properties": props})

    def archive(self, obj: str, record_id: str) -> None:
        self._call("DELETE", f"/crm/v3/objects/{obj}/{record_id}")


def blank(value: Any) -> bool:
    return value is None or value == ""
