"""Host redirect for one peer extractor's process: vendor hosts -> the sandbox.

The harness puts this directory on ``PYTHONPATH`` of the peer's process only, so
Python imports this module at start-up (``site`` runs ``sitecustomize``) in that process
and in nothing else. It rewrites every ``requests`` call to a vendor host named in
``CRM_PEERS_REDIRECT`` (JSON ``{"login.salesforce.com": "https://127.0.0.1:PORT", ...}``)
to the sandbox's base URL, path and query kept. Trust: ``REQUESTS_CA_BUNDLE`` and
``SSL_CERT_FILE`` name the sandbox CA, and since ``Session.send`` (which singer-sdk and
singer-io taps call directly) skips the environment, a call to the sandbox made with the
default ``verify=True`` is verified against ``CRM_PEERS_CA_BUNDLE`` too. The peer's
installed code is not touched.

It also appends every refused or failed request (status >= 400, or no reply at all) as
a JSON line to the file named by ``CRM_PEERS_FAILURES``: method, path and query, status
and the start of the body, so the harness can name the exact request a peer died on.

Every peer measured here talks HTTP through ``requests`` (singer-io taps, singer-sdk,
airbyte-cdk), so patching ``HTTPAdapter.send`` catches every call, sessions and caching
sessions included. A URL rewritten here keeps its method, headers and body; the ``Host``
header follows the new URL, so the sandbox's token reply names itself as
``instance_url`` and later calls go to it directly.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit, urlunsplit


def _targets() -> dict[str, tuple[str, str]]:
    raw = os.environ.get("CRM_PEERS_REDIRECT", "")
    if not raw:
        return {}
    result: dict[str, tuple[str, str]] = {}
    for host, base in json.loads(raw).items():
        parts = urlsplit(base)
        result[host.lower()] = (parts.scheme, parts.netloc)
    return result


def rewrite(url: str, targets: dict[str, tuple[str, str]]) -> str:
    """``url`` with its scheme and host:port replaced when its host is redirected."""
    parts = urlsplit(url)
    target = targets.get((parts.hostname or "").lower())
    if target is None:
        return url
    return urlunsplit((target[0], target[1], parts.path, parts.query, parts.fragment))


def _log_failure(path: str, method: str, url: str, status: int | None, detail: str) -> None:
    parts = urlsplit(url)
    entry = {
        "method": method,
        "path": parts.path + (f"?{parts.query}" if parts.query else ""),
        "status": status,
        "detail": detail[:400],
    }
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _install() -> None:
    targets = _targets()
    failures = os.environ.get("CRM_PEERS_FAILURES", "")
    if not targets and not failures:
        return
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:  # a process of the peer's venv that has no requests
        return
    original = HTTPAdapter.send
    sandbox = {netloc for _, netloc in targets.values()}
    ca_bundle = os.environ.get("CRM_PEERS_CA_BUNDLE", "")

    def send(self, request, *args, **kwargs):
        request.url = rewrite(request.url, targets)
        if ca_bundle and urlsplit(request.url).netloc in sandbox:
            if len(args) >= 3 and args[2] is True:  # send(request, stream, timeout, verify)
                args = (*args[:2], ca_bundle, *args[3:])
            elif kwargs.get("verify", True) is True:
                kwargs["verify"] = ca_bundle
        try:
            response = original(self, request, *args, **kwargs)
        except Exception as exc:
            if failures:
                _log_failure(failures, request.method, request.url, None, repr(exc))
            raise
        if failures and response.status_code >= 400:
            body = response.content.decode("utf-8", errors="replace")
            _log_failure(failures, request.method, request.url, response.status_code, body)
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign]


_install()
