"""Associations of a page of records, read with the v4 batch API, in the v3 record shape.

One ``POST /crm/v4/associations/{from}/{to}/batch/read`` (the core client's
``read_associations``) per associated object type per page of records, up to 1,000
(HubSpot's limit for this call; not one call per record). An id with more associations
than one reply holds comes back with its own ``paging.next.after``; those ids are read
again with ``{"id", "after"}`` inputs until done. Each record gets, per type read::

    "associations": {"companies": {"results": [
        {"id": "512", "type": "contact_to_company", "typeId": 279,
         "category": "HUBSPOT_DEFINED", "label": null}]}}

A type read with no associations gets ``{"results": []}`` (so the mapper clears the
lookup); results labelled ``Primary`` come first (the mapper reads the first).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot import ASSOCIATION_READ_LIMIT

if TYPE_CHECKING:
    from crm_sync.hubspot import HubSpotClient

BATCH_MAX = ASSOCIATION_READ_LIMIT
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket"}


def singular(name: str) -> str:
    return SINGULAR.get(name, name)


def _type_name(from_name: str, to_name: str, label: str | None) -> str:
    if label:
        return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
    return f"{singular(from_name)}_to_{singular(to_name)}"


class Found(dict[str, list[dict[str, Any]]]):
    """``{from id: [v3 result, ...]}`` for every id read, and the calls it took."""

    calls: int = 0


class AssociationReader:
    """Attaches one object type's associations to records of another, page by page."""

    def __init__(
        self,
        client: HubSpotClient,
        from_name: str,
        from_type_id: str,
        to_name: str,
        to_type_id: str,
    ) -> None:
        self.client = client
        self.from_name = from_name
        self.to_name = to_name
        self.from_type_id = from_type_id
        self.to_type_id = to_type_id
        self.endpoint = f"/crm/v4/associations/{from_type_id}/{to_type_id}/batch/read"

    def read(self, ids: list[str]) -> Found:
        """``{from id: [v3 result, ...]}`` for every id (empty lists included).

        Safe to call from several threads at once (one reader, different pages)."""
        found: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        pending: list[dict[str, str]] = [{"id": i} for i in ids]
        calls = 0
        while pending:
            chunk, pending = pending[:BATCH_MAX], pending[BATCH_MAX:]
            calls += 1
            reply = self.client.read_associations(self.from_type_id, self.to_type_id, chunk)
            for item in reply.get("results") or []:
                from_id = str((item.get("from") or {}).get("id"))
                for to in item.get("to") or []:
                    for spec in to.get("associationTypes") or [{}]:
                        label = spec.get("label")
                        found.setdefault(from_id, []).append(
                            {
                                "id": str(to.get("toObjectId")),
                                "type": _type_name(self.from_name, self.to_name, label),
                                "typeId": spec.get("typeId"),
                                "category": spec.get("category"),
                                "label": label,
                            }
                        )
                after = ((item.get("paging") or {}).get("next") or {}).get("after")
                if after:
                    pending.append({"id": from_id, "after": str(after)})
            # 207 errors (NO_ASSOCIATIONS_FOUND, OBJECT_NOT_FOUND) leave those ids empty.
        result = Found((k, _primary_first(v)) for k, v in found.items())
        result.calls = calls
        return result

    def apply(self, records: list[dict[str, Any]], found: Found) -> None:
        """Attach what :meth:`read` found to ``records`` (in place)."""
        for record in records:
            linked = record.setdefault("associations", {})
            linked[self.to_name] = {"results": found.get(record["id"], [])}


def _primary_first(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    primary = {r["id"] for r in results if (r.get("label") or "").lower() == "primary"}
    return sorted(results, key=lambda r: r["id"] not in primary)
