"""Header names on the wire and unknown paths, on both APIs, read from raw response bytes.

requests and http.client's lookups are case-insensitive, so these tests read the status
line and header lines straight from the TLS socket: what airbyte-cdk's case-sensitive
dict would see.
"""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest

from crm_sandbox.core.process import RunningSandbox


@dataclass
class RawReply:
    status: int
    header_lines: list[tuple[str, str]]
    body: bytes

    def names(self) -> set[str]:
        return {name for name, _ in self.header_lines}

    def header(self, name: str) -> str:
        """A header by its exact (case-sensitive) name."""
        return next(v for k, v in self.header_lines if k == name)


def raw_request(
    env: dict[str, str], method: str, path: str, token: str | None, body: bytes = b""
) -> RawReply:
    # Salesforce and the control API on one port, HubSpot on its own (two processes).
    salesforce = path.startswith(("/services/", "/id/", "/__sandbox/"))
    url = urlsplit(env["CRM_SANDBOX_SF_INSTANCE_URL" if salesforce else "CRM_SANDBOX_HS_BASE_URL"])
    context = ssl.create_default_context(cafile=env["CRM_SANDBOX_CA_BUNDLE"])
    lines = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with (
        socket.create_connection((url.hostname, url.port)) as plain,
        context.wrap_socket(plain, server_hostname=url.hostname) as tls,
    ):
        tls.sendall(request)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    pairs = [tuple(p.strip() for p in line.split(":", 1)) for line in header_lines]
    return RawReply(int(status_line.split()[1]), pairs, payload)  # type: ignore[arg-type]


@pytest.fixture
def env(clean_sandbox: RunningSandbox) -> dict[str, str]:
    return clean_sandbox.env


def test_salesforce_rest_headers_use_salesforce_casing(env: dict[str, str]) -> None:
    token = env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
    reply = raw_request(env, "GET", "/services/data/v62.0/limits", token)
    assert reply.status == 200
    assert reply.header("Content-Type").startswith("application/json")
    assert reply.header("Sforce-Limit-Info").startswith("api-usage=")
    assert "content-type" not in reply.names() and "sforce-limit-info" not in reply.names()
    assert reply.header("Date").endswith(" GMT")
    assert all(name[0].isupper() for name in reply.names()), reply.names()


def test_date_is_the_sandbox_clocks_time(
    env: dict[str, str], clean_sandbox: RunningSandbox
) -> None:
    """A server's Date is its own time: a moved sandbox clock moves it (clients that
    measure a cadence on the org's clock, as the tap's refresh pass does, see it)."""
    clean_sandbox.clock(freeze=True, advance_ms=3 * 86_400_000)
    now = datetime.fromisoformat(clean_sandbox.clock()["now"])
    reply = raw_request(
        env, "GET", "/services/data/v62.0/limits", env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
    )
    sent = parsedate_to_datetime(reply.header("Date"))
    assert sent == now.replace(microsecond=0)


def test_bulk_results_headers_use_salesforce_casing(
    env: dict[str, str], clean_sandbox: RunningSandbox
) -> None:
    clean_sandbox.seed(salesforce={"Account": 3})
    token = env["CRM_SANDBOX_SF_ACCESS_TOKEN"]
    job = raw_request(
        env, "POST", "/services/data/v62.0/jobs/query", token,
        json.dumps({"operation": "query", "query": "SELECT Id FROM Account"}).encode(),
    )  # fmt: skip
    job_id = json.loads(job.body)["id"]
    raw_request(env, "GET", f"/services/data/v62.0/jobs/query/{job_id}", token)
    results = raw_request(env, "GET", f"/services/data/v62.0/jobs/query/{job_id}/results", token)
    assert results.status == 200
    assert results.header("Sforce-Locator") == "null"
    assert results.header("Sforce-NumberOfRecords") == "3"
    assert results.header("Content-Type").startswith("text/csv")
    assert {"sforce-locator", "sforce-numberofrecords", "content-type"}.isdisjoint(results.names())


def test_salesforce_errors_use_salesforce_casing(env: dict[str, str]) -> None:
    reply = raw_request(env, "GET", "/services/data/v62.0/limits", "not-a-session")
    assert reply.status == 401
    assert reply.header("Content-Type").startswith("application/json")


def test_hubspot_headers_use_hubspot_casing(env: dict[str, str]) -> None:
    reply = raw_request(
        env, "GET", "/crm/v3/objects/companies?limit=1", env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    )
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json;charset=utf-8"
    assert reply.header("x-hubspot-correlation-id")
    for name in ("Max", "Remaining", "Interval-Milliseconds", "Daily", "Daily-Remaining"):
        assert reply.header(f"X-HubSpot-RateLimit-{name}").isdigit()
    assert not any(n.startswith("x-hubspot-ratelimit") for n in reply.names())


def test_salesforce_unknown_path_is_json_and_counted(
    env: dict[str, str], clean_sandbox: RunningSandbox
) -> None:
    path = "/services/data/v62.0/no/such/resource"
    reply = raw_request(env, "GET", path, env["CRM_SANDBOX_SF_ACCESS_TOKEN"])
    assert reply.status == 404
    assert reply.header("Content-Type").startswith("application/json")
    assert json.loads(reply.body) == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]
    statuses = clean_sandbox.stats()["salesforce"]["statuses"]
    assert statuses[f"GET {path}"] == {"404": 1}


@pytest.mark.parametrize("path", ["/crm/v3/no-such-thing/here", "/contacts/v0/nothing"])
def test_hubspot_unknown_path_is_json_and_counted(
    env: dict[str, str], clean_sandbox: RunningSandbox, path: str
) -> None:
    reply = raw_request(env, "GET", path, env["CRM_SANDBOX_HS_ACCESS_TOKEN"])
    assert reply.status == 404
    assert reply.header("Content-Type") == "application/json;charset=utf-8"
    body = json.loads(reply.body)
    assert body["status"] == "error" and body["message"] == "resource not found"
    assert body["correlationId"] == reply.header("x-hubspot-correlation-id")
    stats = clean_sandbox.stats()["hubspot"]
    assert stats["statuses"][f"GET {path}"] == {"404": 1}


def test_hubspot_wrong_method_on_a_known_path_is_json(env: dict[str, str]) -> None:
    token = env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    reply = raw_request(env, "DELETE", "/crm/v3/objects/companies", token)
    assert reply.status == 405
    assert json.loads(reply.body)["status"] == "error"


def test_control_api_paths_are_not_claimed(env: dict[str, str]) -> None:
    reply = raw_request(env, "GET", "/__sandbox/nothing", None)
    assert reply.status == 404
    reply = raw_request(env, "GET", "/__sandbox/health", None)
    assert reply.status == 200


def test_a_trailing_slash_reaches_the_route(
    env: dict[str, str], clean_sandbox: RunningSandbox
) -> None:
    """hubspot-api-client asks for ``/crm/v3/owners/``; the catch-all must not shadow it."""
    token = env["CRM_SANDBOX_HS_ACCESS_TOKEN"]
    reply = raw_request(env, "GET", "/crm/v3/objects/companies/?limit=1", token)
    assert reply.status == 200 and "results" in json.loads(reply.body)
    calls = clean_sandbox.stats()["hubspot"]["calls"]
    assert calls["GET /crm/v3/objects/{objectType}"] == 1
