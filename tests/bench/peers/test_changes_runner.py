"""Edits/deletes between runs, the process-tree sampler and the venv cache of the harness."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from bench.peers import changes, venvs
from bench.peers.runner import run


def test_pick_is_seeded_and_splits_edits_from_deletes():
    ids = {f"id{i:04d}" for i in range(1000)}
    first = changes.pick(ids, 1.0, seed=7)
    assert first == changes.pick(ids, 1.0, seed=7)
    assert (len(first.edited), len(first.deleted)) == (5, 5)
    assert not set(first.edited) & set(first.deleted)
    assert set(first.edited) | set(first.deleted) <= ids


def _sf_ids(env: dict[str, str]) -> dict[str, str]:
    version = env["CRM_SANDBOX_SF_API_VERSION"]
    base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v{version}"
    reply = requests.get(
        f"{base}/query",
        params={"q": "SELECT Id, Name FROM Project__c"},
        headers={"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"},
        verify=env["CRM_SANDBOX_CA_BUNDLE"],
    )
    reply.raise_for_status()
    return {r["Id"]: r["Name"] for r in reply.json()["records"]}


def test_changes_reach_both_apis(clean_sandbox):
    env = clean_sandbox.env
    clean_sandbox.seed(salesforce={"Project__c": 40}, hubspot={"companies": 20})
    before = _sf_ids(env)
    picked = changes.pick(set(before), 10.0, seed=1)
    changes.apply_salesforce(env, "Project__c", picked)
    after = _sf_ids(env)
    assert set(after) == set(before) - set(picked.deleted)
    assert all(after[i] == f"Edited {i}" for i in picked.edited)

    session = requests.Session()
    session.trust_env = False
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"
    listed = session.get(
        f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/companies?limit=100"
    ).json()
    companies = {r["id"] for r in listed["results"]}
    hs = changes.pick(companies, 10.0, seed=1)
    changes.apply_hubspot(env, "companies", hs)
    assert clean_sandbox.stats()["hubspot"]["records"]["companies"] == 20 - len(hs.deleted)
    edited = session.get(
        f"{env['CRM_SANDBOX_HS_BASE_URL']}/crm/v3/objects/companies/{hs.edited[0]}"
    ).json()
    assert edited["properties"]["name"] == f"Edited {hs.edited[0]}"


def test_peak_rss_counts_the_grandchildren(tmp_path):
    # The child holds little; its child fills ~150 MiB, then holds it until the sampler has
    # reported a peak above that (it blocks reading a FIFO the test writes to only then). A
    # sampler of the child alone (or ru_maxrss of the child) never sees it, and the run ends
    # killed at its timeout with a small peak.
    release = tmp_path / "release"
    os.mkfifo(release)
    holder = f"block = b'x' * (150 * 2**20); open({str(release)!r}).read()"
    script = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {holder!r}], check=True)"
    )
    seen: list[int] = []

    def release_once_counted(peak: int) -> None:
        if not seen and peak > 150 * 2**20:
            seen.append(peak)
            with release.open("w") as fifo:
                fifo.write("seen")

    result = run(
        [sys.executable, "-c", script],
        {"PATH": "/usr/bin:/bin"},
        tmp_path / "out",
        tmp_path / "err",
        tmp_path,
        timeout=60,
        on_sample=release_once_counted,
    )
    assert result.returncode == 0, result.stderr.read_text()
    assert seen
    assert result.peak_rss_mib > 150


def test_a_run_past_its_timeout_is_killed_with_a_note(tmp_path):
    result = run(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        {"PATH": "/usr/bin:/bin"},
        tmp_path / "out",
        tmp_path / "err",
        tmp_path,
        timeout=0.5,
    )
    assert result.returncode != 0
    assert "killed after" in result.stderr.read_text()


def test_a_venv_with_the_same_requirements_is_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(venvs, "VENVS_DIR", tmp_path)
    (tmp_path / "peer").mkdir()
    (tmp_path / "peer" / venvs.STAMP).write_text("peer==1.0\n")

    def no_install(*args, **kwargs):
        raise AssertionError(f"reinstalled: {args}")

    monkeypatch.setattr(subprocess, "run", no_install)
    assert venvs.ensure_venv("peer", ["peer==1.0"]) == tmp_path / "peer"
    with pytest.raises(AssertionError, match="reinstalled"):
        venvs.ensure_venv("peer", ["peer==2.0"])
