"""The per-process host redirect (bench/peers/redirect/sitecustomize.py) on a real sandbox.

Each test runs a child Python with the redirect's directory on PYTHONPATH, as the harness
runs a peer, and checks what reached the sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bench.peers.harness import REDIRECT_DIR, describe_failure, failed_requests, redirects
from bench.peers.runner import run


def _child_env(sandbox, failures: Path, redirect: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REDIRECT_DIR)
    env["CRM_PEERS_FAILURES"] = str(failures)
    if redirect:
        env["CRM_PEERS_REDIRECT"] = json.dumps(redirects(sandbox))
        env["CRM_PEERS_CA_BUNDLE"] = sandbox.ca_bundle
        env["REQUESTS_CA_BUNDLE"] = sandbox.ca_bundle
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_salesforce_login_host_reaches_the_sandbox_and_names_it_as_instance(sandbox, tmp_path):
    env = sandbox.env
    code = f"""
        import requests
        reply = requests.post(
            "https://login.salesforce.com/services/oauth2/token",
            data={{
                "grant_type": "refresh_token",
                "refresh_token": {env["CRM_SANDBOX_SF_REFRESH_TOKEN"]!r},
                "client_id": {env["CRM_SANDBOX_SF_CLIENT_ID"]!r},
                "client_secret": {env["CRM_SANDBOX_SF_CLIENT_SECRET"]!r},
            }},
        )
        reply.raise_for_status()
        print(reply.json()["instance_url"])
    """
    sandbox.clear_stats()
    done = _python(code, _child_env(sandbox, tmp_path / "failures.jsonl"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sandbox.base_url
    assert sandbox.stats()["salesforce"]["total"] == 1


def test_session_send_to_hubapi_trusts_the_sandbox_ca(sandbox, tmp_path):
    # singer-sdk calls Session.send directly, which ignores REQUESTS_CA_BUNDLE.
    token = sandbox.env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    code = f"""
        import requests
        session = requests.Session()
        request = requests.Request(
            "GET", "https://api.hubapi.com/crm/v3/objects/companies?limit=1",
            headers={{"Authorization": "Bearer {token}"}},
        )
        reply = session.send(session.prepare_request(request))
        print(reply.status_code)
    """
    done = _python(code, _child_env(sandbox, tmp_path / "failures.jsonl"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200"


def test_refused_request_is_logged_with_path_status_and_body(sandbox, tmp_path):
    failures = tmp_path / "failures.jsonl"
    token = sandbox.env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    code = f"""
        import requests
        reply = requests.get(
            "https://api.hubapi.com/crm/v3/objects/no_such_type?limit=5",
            headers={{"Authorization": "Bearer {token}"}},
        )
        raise SystemExit(f"GET failed: {{reply.status_code}}")
    """
    done = _python(code, _child_env(sandbox, failures))
    assert done.returncode == 1
    [entry] = failed_requests(failures)
    assert entry["method"] == "GET"
    assert entry["path"] == "/crm/v3/objects/no_such_type?limit=5"
    assert entry["status"] >= 400
    assert entry["detail"]


def test_failure_description_names_the_request(sandbox, tmp_path):
    failures = tmp_path / "failures.jsonl"
    script = tmp_path / "peer.py"
    script.write_text(
        textwrap.dedent(
            """
            import requests, sys
            reply = requests.post("https://login.salesforce.com/services/async/61.0/job")
            print(f"CRITICAL {reply.status_code} Client Error", file=sys.stderr)
            sys.exit(1)
            """
        )
    )
    result = run(
        [sys.executable, str(script)],
        _child_env(sandbox, failures),
        tmp_path / "out",
        tmp_path / "err",
        tmp_path,
        timeout=120,
    )
    text = describe_failure(result, failures)
    assert "`POST /services/async/61.0/job` →" in text
    assert "exit 1" in text
    assert "CRITICAL" in text


def test_without_a_redirect_map_nothing_is_rewritten(sandbox, tmp_path):
    # Our own taps get the failure log but no redirect: a vendor host stays the vendor's.
    code = """
        from requests.adapters import HTTPAdapter
        import sitecustomize
        targets = sitecustomize._targets()
        print(len(targets), sitecustomize.rewrite("https://api.hubapi.com/x?y=1", targets))
    """
    done = _python(code, _child_env(sandbox, tmp_path / "f.jsonl", redirect=False))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 https://api.hubapi.com/x?y=1"
