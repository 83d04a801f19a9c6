"""Header names as the vendors put them on the wire.

Starlette (and every ASGI framework) lowercases header names; HTTP/1.1 says names are
case-insensitive, but some clients look them up case-sensitively (airbyte-cdk reads
``Content-Type`` from a plain dict). The call wrapper renames every response header of
an API with :func:`canonical_name` and that API's exceptions; the server's protocol
(:mod:`crm_sandbox.core.cased_http`) writes names with the casing it is given, and the
framing headers it sets itself as h11 did: ``Transfer-Encoding: chunked`` on a streamed
(length-less) response and ``Connection: close``.
"""

from __future__ import annotations

from collections.abc import Mapping


def title_case(name: str) -> str:
    """``content-type`` -> ``Content-Type`` (each dash-separated word capitalised)."""
    return "-".join(part[:1].upper() + part[1:] for part in name.lower().split("-"))


def canonical_name(name: str, exceptions: Mapping[str, str]) -> str:
    """The wire casing of ``name``: an exception if listed (by lower-case name), else title case."""
    lowered = name.lower()
    return exceptions.get(lowered) or title_case(lowered)
