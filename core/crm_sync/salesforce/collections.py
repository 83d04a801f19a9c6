"""sObject collections: retrieve, create, update, upsert and delete up to 200 records a call.

Collections answer 200 with one result per record in input order (``allOrNone`` false);
they come back as :class:`~crm_sync.salesforce.results.SaveResult` and the per-record
decisions stay with the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crm_sync.salesforce.results import SaveResult
from crm_sync.salesforce.wire import wire_value

if TYPE_CHECKING:
    import requests

    from crm_sync.salesforce.client import SalesforceClient

COLLECTION_LIMIT = 200
"""Records per sObject collections write."""
RETRIEVE_LIMIT = 2000
"""Ids per collections retrieve (``POST /composite/sobjects/{O}``)."""


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _results(response: requests.Response, expected: int) -> list[SaveResult]:
    body = response.json()
    items: list[Any] = list(body) if isinstance(body, list) else []
    items += [None] * (expected - len(items))
    return [SaveResult.from_json(item) for item in items[:expected]]


def _sobject(sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
    return {"attributes": {"type": sobject}, **{k: wire_value(v) for k, v in record.items()}}


class SObjectCollections:
    """The collections endpoints of one org, through its :class:`SalesforceClient`."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def retrieve(
        self, sobject: str, ids: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Live records by Id (≤2000 per call); deleted or unknown ids are absent."""
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(list(ids), RETRIEVE_LIMIT):
            reply = self.client.send_json(
                "POST",
                f"composite/sobjects/{sobject}",
                f"retrieve {sobject}",
                {"ids": list(part), "fields": list(fields)},
                route="POST /composite/sobjects/{sobject}",
            )
            for record in reply.json() or []:
                if isinstance(record, dict) and record.get("Id"):
                    found[str(record["Id"])] = record
        return found

    def create(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
        """Create ≤200 records (``allOrNone`` false)."""
        body = {"allOrNone": False, "records": [_sobject(sobject, r) for r in records]}
        reply = self.client.send_json(
            "POST", "composite/sobjects", f"create {sobject}", body,
            route="POST /composite/sobjects",
        )  # fmt: skip
        return _results(reply, len(records))

    def upsert(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        """Upsert ≤200 records by an external-id field (``allOrNone`` false)."""
        body = {"allOrNone": False, "records": [_sobject(sobject, r) for r in records]}
        reply = self.client.send_json(
            "PATCH",
            f"composite/sobjects/{sobject}/{external_id_field}",
            f"upsert {sobject} by {external_id_field}",
            body,
            route="PATCH /composite/sobjects/{sobject}/{field}",
        )
        return _results(reply, len(records))

    def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
        """Update ≤200 records by ``Id`` (``allOrNone`` false)."""
        body = {"allOrNone": False, "records": [_sobject(sobject, r) for r in records]}
        reply = self.client.send_json(
            "PATCH", "composite/sobjects", f"update {sobject}", body,
            route="PATCH /composite/sobjects",
        )  # fmt: skip
        return _results(reply, len(records))

    def delete(self, ids: Sequence[str]) -> list[SaveResult]:
        """Delete ≤200 records by Id (to the recycle bin; ``allOrNone`` false)."""
        reply = self.client.send_json(
            "DELETE",
            "composite/sobjects",
            "delete records",
            params={"ids": ",".join(ids), "allOrNone": "false"},
            route="DELETE /composite/sobjects",
        )
        return _results(reply, len(ids))
