"""What a HubSpot batch call accepted and refused.

A 207 or a whole-batch 4xx refuses inputs; each refusal is keyed by the input's
``objectWriteTraceId`` (set to the input's own key, so a refusal is never matched to the
wrong record) or, for updates, by the ids HubSpot names in ``context.ids``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    import requests

BATCH_LIMIT = 100
"""HubSpot's maximum inputs per batch call."""
ASSOCIATION_READ_LIMIT = 1000
"""Associations ``batch/read`` takes up to 1,000 ids (HubSpot changelog, 2025-02-10)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One input HubSpot refused: its key and the error as HubSpot described it."""

    key: str
    status: int
    category: str
    message: str
    error: Mapping[str, Any]


@dataclass(slots=True)
class BatchOutcome:
    """Accepted records (HubSpot's record JSON) and refused inputs of one batch call."""

    results: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    status: int = 200


def chunks(items: Sequence[Any], size: int = BATCH_LIMIT) -> Iterable[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_batch_size(inputs: Sequence[Any], limit: int = BATCH_LIMIT) -> None:
    """HubSpot refuses more than ``limit`` inputs a call: say so before sending."""
    if len(inputs) > limit:
        raise ValueError(f"at most {limit} inputs per batch, got {len(inputs)}")


def body_of(response: requests.Response) -> dict[str, Any]:
    """The reply's JSON object (``{}`` if none), decoded by msgspec: a page of 100-200
    records decodes several times faster than with ``response.json()``."""
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(key: str, status: int, error: Mapping[str, Any]) -> Refusal:
    return Refusal(
        key, status, str(error.get("category", "")), str(error.get("message", "")), error
    )


def whole_batch_refused(reply: requests.Response, keys: Sequence[str]) -> BatchOutcome:
    """A 4xx for the whole call: every input refused with HubSpot's one error."""
    body = body_of(reply)
    message = str(body.get("message", reply.text))
    category = str(body.get("category", "HTTP_ERROR"))
    refusals = [Refusal(k, reply.status_code, category, message, body) for k in keys]
    return BatchOutcome(status=reply.status_code, refusals=refusals)


def batch_outcome(reply: requests.Response, keys: Sequence[str]) -> BatchOutcome:
    """Results and per-input refusals of a batch create/update/upsert reply."""
    if reply.status_code >= 400:
        return whole_batch_refused(reply, keys)
    body = body_of(reply)
    outcome = BatchOutcome(status=reply.status_code, results=list(body.get("results", [])))
    for error in body.get("errors", []):
        context = error.get("context") or {}
        for key in context.get("objectWriteTraceId") or context.get("ids") or []:
            outcome.refusals.append(_refusal(str(key), reply.status_code, error))
    return outcome


def unkeyed_outcome(reply: requests.Response) -> BatchOutcome:
    """A reply whose errors name no input (property and association batches)."""
    body = body_of(reply)
    outcome = BatchOutcome(status=reply.status_code, results=list(body.get("results", [])))
    outcome.refusals = [_refusal("", reply.status_code, e) for e in body.get("errors", [])]
    return outcome
