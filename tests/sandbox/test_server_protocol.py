"""The server's HTTP/1.1 protocol: httptools with the wire casing, h11 without httptools."""

from __future__ import annotations

import sys

import pytest

from crm_sandbox.core.cased_http import CasedHttpToolsProtocol
from crm_sandbox.core.server import _http_protocol


def test_httptools_where_installed_h11_in_a_venv_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _http_protocol() is CasedHttpToolsProtocol
    monkeypatch.setitem(sys.modules, "httptools", None)  # import httptools -> ImportError
    monkeypatch.delitem(sys.modules, "crm_sandbox.core.cased_http")
    monkeypatch.delitem(sys.modules, "uvicorn.protocols.http.httptools_impl")
    assert _http_protocol() == "h11"
