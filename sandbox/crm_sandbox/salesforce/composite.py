"""The Composite API's logic without HTTP: subrequests, ``@{ref.path}`` references, allOrNone.

``run_composite`` executes subrequests in order through a ``send`` callable (the routes
dispatch each to the service's own router), substitutes references to earlier results
in URLs and bodies, and, with ``allOrNone``, asks its caller to roll back (by raising
:class:`RolledBack`) once a subrequest fails, with the replies Salesforce gives then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.salesforce.errors import SalesforceError

MAX_SUBREQUESTS = 25
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
HALTED_ROLLBACK = (
    "The transaction was rolled back since another operation in the same transaction failed."
)
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass
class SubResponse:
    """One subrequest's outcome as the composite reply carries it."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self, reference_id: str) -> dict[str, Any]:
        return {
            "body": self.body,
            "httpHeaders": self.headers,
            "httpStatusCode": self.status,
            "referenceId": reference_id,
        }


Send = Callable[[str, str, Any, dict[str, str]], SubResponse]
"""(method, url, JSON body or None, extra headers) -> the subrequest's response."""


class BadReference(Exception):
    """A ``@{ref.path}`` that names no earlier subrequest or no value in its body."""


class RolledBack(Exception):
    """An allOrNone composite failed: undo every write, then reply with ``replies``."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        super().__init__("composite rolled back")
        self.replies = replies


def halted(message: str) -> SubResponse:
    return SubResponse(400, [{"errorCode": "PROCESSING_HALTED", "message": message}])


def _lookup(results: dict[str, SubResponse], ref: str, path: str) -> Any:
    if ref not in results:
        raise BadReference(
            f"Invalid reference specified. No value for {ref}{path} found in {ref}. "
            f"Provided referenceId ('{ref}') must be defined before it is used."
        )  # (unverified) the tail of this message
    value: Any = results[ref].body
    for name, index in _STEP.findall(path):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            raise BadReference(
                f"Invalid reference specified. No value for {ref}{path} found in {ref}."
            )
    if isinstance(value, dict | list):
        raise BadReference(f"Invalid reference specified. {ref}{path} is not a value.")
    return value


def substitute(value: Any, results: dict[str, SubResponse]) -> Any:
    """Replace every ``@{ref.path}`` in strings of ``value`` (URL or JSON body)."""
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            found = _lookup(results, match.group(1), match.group(2))
            if isinstance(found, bool):
                return "true" if found else "false"
            return str(found)

        return _REFERENCE.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    return value


def parse_subrequests(body: Any) -> list[dict[str, Any]]:
    """The ``compositeRequest`` array, checked as Salesforce checks it (whole-request 400s)."""
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "compositeRequest is required and must be an array"
        )  # (unverified) wording
    subs = body["compositeRequest"]
    if not subs:
        raise SalesforceError(400, "INVALID_INPUT", "compositeRequest must not be empty")
    if len(subs) > MAX_SUBREQUESTS:
        # (unverified) wording of the 25-subrequest limit
        raise SalesforceError(
            400, "LIMIT_EXCEEDED", f"Exceeded max limit of subrequests: {MAX_SUBREQUESTS}"
        )
    seen: set[str] = set()
    for sub in subs:
        if not isinstance(sub, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "Each subrequest must be an object")
        ref, method, url = sub.get("referenceId"), sub.get("method"), sub.get("url")
        if not isinstance(ref, str) or not _REFERENCE_ID.match(ref):
            raise SalesforceError(
                400,
                "INVALID_INPUT",
                f"Invalid referenceId: {ref}. referenceId may only contain letters, numbers "
                "and underscores",
            )  # (unverified) wording
        if ref in seen:
            raise SalesforceError(
                400, "INVALID_INPUT", f"Duplicate referenceId provided in the request: {ref}"
            )
        seen.add(ref)
        if method not in METHODS or not isinstance(url, str):
            raise SalesforceError(
                400, "INVALID_INPUT", f"Invalid method or url in subrequest {ref}"
            )  # (unverified)
    return subs


def run_composite(subs: list[dict[str, Any]], all_or_none: bool, send: Send) -> list[dict]:
    """Run the subrequests; raises RolledBack when allOrNone and one fails."""
    results: dict[str, SubResponse] = {}
    replies: list[dict[str, Any]] = []
    for position, sub in enumerate(subs):
        ref = sub["referenceId"]
        try:
            url = substitute(sub["url"], results)
            body = substitute(sub.get("body"), results)
        except BadReference as bad:
            outcome = halted(str(bad))
        else:
            headers = {str(k): str(v) for k, v in (sub.get("httpHeaders") or {}).items()}
            outcome = send(sub["method"], url, body, headers)
        results[ref] = outcome
        replies.append(outcome.as_json(ref))
        if all_or_none and outcome.status >= 400:
            undone = [
                reply if i == position else halted(HALTED_ROLLBACK).as_json(reply["referenceId"])
                for i, reply in enumerate(replies)
            ]
            rest = subs[position + 1 :]
            undone += [halted(HALTED_ROLLBACK).as_json(s["referenceId"]) for s in rest]
            raise RolledBack(undone)
    return replies
