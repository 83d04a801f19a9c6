"""``crm-sandbox``: start, stop, env, seed, stats, reset, faults, clock.

The contract every doc, test and benchmark relies on::

    crm-sandbox start --data-dir DIR [--port N] [--hs-port N] [--latency-ms N]
                      [--faults SPEC]
                      [--one-process]   # HubSpot on the same port and process
    crm-sandbox env   --data-dir DIR          # export lines for every client
    crm-sandbox env   --data-dir DIR --hs-scopes crm.objects.contacts.read,...
                      # the same, with a new HubSpot token granted only those scopes
    crm-sandbox seed  --data-dir DIR --salesforce Project__c=1000,Account=200 \
                      [--hubspot project=100,companies=50] [--seed 42]
    crm-sandbox stats --data-dir DIR [--json]
    crm-sandbox reset --data-dir DIR
    crm-sandbox stop  --data-dir DIR

``--data-dir`` defaults to ``$CRM_SANDBOX_DATA_DIR`` or ``.sandbox``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Any

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.process import SandboxError, find_running, live_server_pid, start, stop


def _counts(spec: str | None, flag: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        name, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise SystemExit(f"crm-sandbox: {flag} expects OBJECT=N[,OBJECT=N...], got {item!r}")
        counts[name.strip()] = int(number)
    return counts


def _in_process(data_dir: DataDir) -> Any:
    """Assemble the sandbox in this process, for commands run while no server is up."""
    from crm_sandbox.core.app import assemble

    return assemble(data_dir)


def cmd_start(args: argparse.Namespace, data_dir: DataDir) -> int:
    try:
        settings = FaultSettings.parse(args.faults or "")
        settings.update({"latency_ms": args.latency_ms})
    except ValueError as exc:
        raise SystemExit(f"crm-sandbox: --faults: {exc}") from exc
    already = find_running(data_dir)
    handle = start(
        data_dir,
        port=args.port,
        settings=settings,
        one_process=args.one_process,
        hs_port=args.hs_port,
    )
    verb = "already running" if already else "started"
    hubspot = f", HubSpot at {handle.hs_base_url} (pid {handle.hs_pid})" if handle.hs_pid else ""
    print(
        f"crm-sandbox {verb} at {handle.base_url} (pid {handle.pid}{hubspot}, "
        f"data in {data_dir.path})"
    )
    return 0


def cmd_stop(_: argparse.Namespace, data_dir: DataDir) -> int:
    print("stopped" if stop(data_dir) else "not running")
    return 0


def cmd_env(args: argparse.Namespace, data_dir: DataDir) -> int:
    handle = find_running(data_dir)
    if handle is None:
        print(
            f"crm-sandbox: no sandbox is running on {data_dir.path}; "
            "start one with `crm-sandbox start`",
            file=sys.stderr,
        )
        return 1
    env = dict(handle.env)
    if args.hs_scopes is not None:
        scopes = [s.strip() for s in args.hs_scopes.split(",") if s.strip()]
        try:
            minted = handle.control("POST", "hubspot/tokens", {"scopes": scopes})
        except SandboxError as exc:
            raise SystemExit(f"crm-sandbox env: {exc}") from exc
        env["CRM_SANDBOX_HS_ACCESS_TOKEN"] = minted["token"]
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_seed(args: argparse.Namespace, data_dir: DataDir) -> int:
    request: dict[str, Any] = {"seed": args.seed}
    sf = _counts(args.salesforce, "--salesforce")
    hs = _counts(args.hubspot, "--hubspot")
    if sf:
        request["salesforce"] = sf
    if hs:
        request["hubspot"] = hs
    if not sf and not hs:
        raise SystemExit("crm-sandbox seed: give --salesforce and/or --hubspot counts")
    handle = find_running(data_dir)
    if handle is None and live_server_pid(data_dir) is not None:
        raise SystemExit(
            f"crm-sandbox seed: the server (pid {live_server_pid(data_dir)}) on "
            f"{data_dir.path} does not answer; not writing behind its back"
        )
    if handle is not None:
        made = handle.control("POST", "seed", request, timeout=3600)["seeded"]
    else:
        sandbox = _in_process(data_dir)
        try:
            made = sandbox.control.seed(request)
        finally:
            sandbox.close()
    print(json.dumps(made, indent=2))
    return 0


def cmd_stats(args: argparse.Namespace, data_dir: DataDir) -> int:
    handle = find_running(data_dir)
    if handle is not None:
        if args.clear:
            handle.clear_stats()
        stats = handle.stats()
    else:
        sandbox = _in_process(data_dir)
        try:
            if args.clear:
                sandbox.accounting.clear()
            stats = sandbox.control.stats()
        finally:
            sandbox.close()
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
        return 0
    for api, entry in sorted(stats.items()):
        print(f"{api}: {entry.get('total', 0)} calls")
        for route, n in sorted(entry.get("calls", {}).items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:>9}  {route}")
        for obj, n in sorted(entry.get("records", {}).items()):
            print(f"  records  {obj}: {n}")
    return 0


def cmd_reset(_: argparse.Namespace, data_dir: DataDir) -> int:
    handle = find_running(data_dir)
    if handle is not None:
        handle.reset()
    else:
        sandbox = _in_process(data_dir)
        try:
            sandbox.control.reset()
        finally:
            sandbox.close()
    print("reset")
    return 0


def cmd_faults(args: argparse.Namespace, data_dir: DataDir) -> int:
    handle = find_running(data_dir)
    if handle is None:
        print("crm-sandbox: no sandbox is running", file=sys.stderr)
        return 1
    settings = FaultSettings() if args.clear else FaultSettings(**handle.control("GET", "faults"))
    try:
        settings = FaultSettings.parse(args.spec or "", settings)
    except ValueError as exc:
        raise SystemExit(f"crm-sandbox faults: {exc}") from exc
    print(json.dumps(handle.set_faults(**settings.as_dict()), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-sandbox", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("CRM_SANDBOX_DATA_DIR", ".sandbox"),
        help="the sandbox's data directory (default: $CRM_SANDBOX_DATA_DIR or .sandbox)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return p

    p = add("start", "start the sandbox in the background; returns when it answers")
    p.add_argument(
        "--port",
        type=int,
        default=0,
        help="Salesforce's and the control API's port on 127.0.0.1 (default: any free)",
    )
    p.add_argument(
        "--hs-port",
        type=int,
        default=0,
        help="HubSpot's port on 127.0.0.1 (default: any free)",
    )
    p.add_argument("--latency-ms", type=int, default=0, help="latency added to every API call")
    p.add_argument("--faults", default="", help="fault/limit SPEC, e.g. http429=0.05,reset=0.01")
    p.add_argument(
        "--one-process",
        action="store_true",
        help="serve HubSpot from the Salesforce process and port (default: its own process "
        "and port, as the real APIs are two hosts; also CRM_SANDBOX_ONE_PROCESS=1)",
    )
    add("stop", "stop the sandbox")
    p = add("env", "print export lines for every client, plugin and test")
    p.add_argument(
        "--hs-scopes",
        default=None,
        help="mint a HubSpot private-app token granted only these comma-separated scopes",
    )
    p = add("seed", "add deterministic fake records")
    p.add_argument("--salesforce", help="OBJECT=N,... e.g. Project__c=1000,Account=200")
    p.add_argument("--hubspot", help="OBJECT=N,... e.g. project=100,companies=50")
    p.add_argument("--seed", type=int, default=42)
    p = add("stats", "API calls per route and records per object")
    p.add_argument("--json", action="store_true")
    p.add_argument("--clear", action="store_true", help="zero the call counters first")
    add("reset", "empty both services back to a fresh org and portal")
    p = add("faults", "change fault and limit settings of the running sandbox")
    p.add_argument("spec", nargs="?", default="", help="key=value,... (see FaultSettings)")
    p.add_argument("--clear", action="store_true", help="start from the defaults")
    return parser


COMMANDS = {
    "start": cmd_start,
    "stop": cmd_stop,
    "env": cmd_env,
    "seed": cmd_seed,
    "stats": cmd_stats,
    "reset": cmd_reset,
    "faults": cmd_faults,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir = DataDir(args.data_dir)
    try:
        return COMMANDS[args.command](args, data_dir)
    except SandboxError as exc:
        print(f"crm-sandbox: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
