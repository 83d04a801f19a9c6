"""HubSpot CRM calls: schemas, properties, batch upsert/update/read/archive, associations.

Shared by target-hubspot-custom (its writes) and target-salesforce-custom (the write-back
of new Salesforce ids to HubSpot's id property), so neither plugin imports the other.

Every call goes through one :class:`crm_sync.http.ResilientSession` (shared rate limiter,
retries on 429/5xx/resets, call counting), so this module only builds requests and reads
replies. Batch replies are returned as :class:`BatchOutcome`: the records HubSpot accepted
and, for a 207 or a whole-batch 4xx, one :class:`Refusal` per refused input, keyed by the
input's ``objectWriteTraceId`` (we set it to the input's own key, so a refusal is never
matched to the wrong record).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from crm_sync.http import ResilientSession

BATCH_LIMIT = 100
"""HubSpot's maximum inputs per batch call (API_NOTES Part 2 §5)."""

STANDARD_OBJECTS: dict[str, str] = {
    "contacts": "0-1",
    "contact": "0-1",
    "companies": "0-2",
    "company": "0-2",
    "deals": "0-3",
    "deal": "0-3",
    "tickets": "0-5",
    "ticket": "0-5",
}
"""Standard object names (both forms) and their object type ids."""


class HubSpotError(RuntimeError):
    """A call HubSpot answered with an error after retries; carries the vendor's body."""

    def __init__(self, response: requests.Response, what: str) -> None:
        self.status = response.status_code
        self.body = _json(response)
        message = self.body.get("message") if isinstance(self.body, dict) else response.text
        super().__init__(f"{what}: HTTP {self.status}: {str(message)[:500]}")


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


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def chunks(items: Sequence[Any], size: int = BATCH_LIMIT) -> Iterable[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class HubSpotClient:
    """Thin, typed wrapper over the HubSpot CRM v3/v4 endpoints the target uses."""

    def __init__(self, base_url: str, session: ResilientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session

    # ------------------------------------------------------------------ plumbing
    def _call(
        self, method: str, path: str, what: str, body: Any = None, ok: tuple[int, ...] = ()
    ) -> requests.Response:
        response = self.session.request(
            method,
            f"{self.base_url}{path}",
            data=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json"} if body is not None else None,
            # per request: a REQUESTS_CA_BUNDLE in the environment overrides session.verify
            verify=self.session.verify,
        )
        if response.status_code >= 400 and response.status_code not in ok:
            raise HubSpotError(response, what)
        return response

    # ------------------------------------------------------------------ schemas
    def list_schemas(self) -> list[dict[str, Any]]:
        """Every custom object schema of the portal."""
        reply = self._call("GET", "/crm/v3/schemas", "list custom object schemas")
        return list(reply.json().get("results", []))

    def create_schema(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Create a custom object; returns the schema with ``objectTypeId``."""
        reply = self._call(
            "POST", "/crm/v3/schemas", f"create object schema {schema['name']!r}", schema
        )
        return dict(reply.json())

    def resolve_object_type(self, name: str) -> str | None:
        """``companies`` → ``0-2``; a custom object name or fqn → ``2-…``; None if unknown."""
        if name in STANDARD_OBJECTS:
            return STANDARD_OBJECTS[name]
        if name.startswith(("0-", "2-")):
            return name
        for schema in self.list_schemas():
            if name in (
                schema.get("name"),
                schema.get("fullyQualifiedName"),
                schema.get("objectTypeId"),
            ):
                return str(schema["objectTypeId"])
        return None

    # ------------------------------------------------------------------ properties
    def properties(self, object_type: str) -> dict[str, dict[str, Any]]:
        """Property definitions of an object type, by name."""
        reply = self._call(
            "GET", f"/crm/v3/properties/{object_type}", f"list properties of {object_type}"
        )
        return {p["name"]: p for p in reply.json().get("results", [])}

    def ensure_property_group(self, object_type: str, name: str, label: str) -> None:
        """Create a property group; an existing one (409) is fine."""
        self._call(
            "POST",
            f"/crm/v3/properties/{object_type}/groups",
            f"create property group {name!r} on {object_type}",
            {"name": name, "label": label},
            ok=(409,),
        )

    def create_properties(
        self, object_type: str, definitions: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome:
        """``POST /crm/v3/properties/{ot}/batch/create`` (201, or 207 with errors)."""
        outcome = BatchOutcome()
        for chunk in chunks(list(definitions)):
            reply = self._call(
                "POST",
                f"/crm/v3/properties/{object_type}/batch/create",
                f"create properties on {object_type}",
                {"inputs": list(chunk)},
            )
            body = reply.json()
            outcome.results += body.get("results", [])
            for error in body.get("errors", []):
                outcome.refusals.append(
                    Refusal(
                        "",
                        reply.status_code,
                        str(error.get("category", "")),
                        str(error.get("message", "")),
                        error,
                    )
                )
        return outcome

    # ------------------------------------------------------------------ records
    def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchOutcome:
        """Upsert ≤100 records by a unique property; ``inputs`` are ``(key, properties)``.

        A whole-batch 4xx (e.g. a 400 naming one bad value) refuses every input of the
        call with that error; the caller decides whether to split and retry.
        """
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch, got {len(inputs)}")
        body = {
            "inputs": [
                {
                    "id": key,
                    "idProperty": id_property,
                    "objectWriteTraceId": key,
                    "properties": {**props, id_property: key},
                }
                for key, props in inputs
            ]
        }
        reply = self._call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/upsert",
            f"batch upsert {object_type}",
            body,
            ok=(400, 409, 422),
        )
        return self._outcome(reply, [key for key, _ in inputs], id_property)

    def batch_update(
        self, object_type: str, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchOutcome:
        """Update ≤100 records by HubSpot id; ``inputs`` are ``(hs_id, properties)``.

        A 207 names the refused ids in ``context.ids``; a whole-batch 4xx refuses all.
        """
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch, got {len(inputs)}")
        if not inputs:
            return BatchOutcome()
        body = {
            "inputs": [
                {"id": hs_id, "objectWriteTraceId": hs_id, "properties": dict(props)}
                for hs_id, props in inputs
            ]
        }
        reply = self._call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/update",
            f"batch update {object_type}",
            body,
            ok=(400, 404, 409, 422),
        )
        return self._outcome(reply, [hs_id for hs_id, _ in inputs], "")

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        properties: Sequence[str],
        id_property: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Read ≤100 records by id (or a unique property); missing ones are simply absent.

        The result is keyed by the id asked for (the ``id_property`` value when given).
        """
        if not ids:
            return {}
        body: dict[str, Any] = {
            "inputs": [{"id": i} for i in ids],
            "properties": list(properties),
            "propertiesWithHistory": [],
        }
        if id_property:
            body["idProperty"] = id_property
        reply = self._call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/read?archived=false",
            f"batch read {object_type}",
            body,
        )
        found: dict[str, dict[str, Any]] = {}
        for record in reply.json().get("results", []):
            key = (record.get("properties") or {}).get(id_property) if id_property else None
            found[str(key if key is not None else record["id"])] = record
        return found

    def batch_archive(self, object_type: str, ids: Sequence[str]) -> None:
        """Archive ≤100 records by HubSpot id (204; already-archived ids are no error)."""
        if ids:
            self._call(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/archive",
                f"batch archive {object_type}",
                {"inputs": [{"id": i} for i in ids]},
            )

    def _outcome(
        self, reply: requests.Response, keys: Sequence[str], id_property: str
    ) -> BatchOutcome:
        body = _json(reply)
        body = body if isinstance(body, dict) else {}
        outcome = BatchOutcome(status=reply.status_code)
        if reply.status_code >= 400:
            message = str(body.get("message", reply.text))
            category = str(body.get("category", "HTTP_ERROR"))
            outcome.refusals = [
                Refusal(k, reply.status_code, category, message, body) for k in keys
            ]
            return outcome
        outcome.results = list(body.get("results", []))
        for error in body.get("errors", []):
            context = error.get("context") or {}
            refused = context.get("objectWriteTraceId") or context.get("ids") or []
            for key in refused:
                outcome.refusals.append(
                    Refusal(
                        str(key),
                        reply.status_code,
                        str(error.get("category", "")),
                        str(error.get("message", "")),
                        error,
                    )
                )
        return outcome

    # ------------------------------------------------------------------ associations
    def association_labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        """``GET /crm/v4/associations/{from}/{to}/labels``: category, typeId, label."""
        reply = self._call(
            "GET",
            f"/crm/v4/associations/{from_type}/{to_type}/labels",
            f"association labels {from_type}->{to_type}",
        )
        return list(reply.json().get("results", []))

    def create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str, str]],
        types: Sequence[Mapping[str, Any]] | None = None,
    ) -> BatchOutcome:
        """Associate ≤100 ``(from_id, to_id)`` pairs, labelled (``types``) or default.

        Creating an existing association again is a no-op on HubSpot's side, so retries
        and reruns are safe.
        """
        if not pairs:
            return BatchOutcome()
        if types:
            path = f"/crm/v4/associations/{from_type}/{to_type}/batch/create"
            inputs = [{"from": {"id": f}, "to": {"id": t}, "types": list(types)} for f, t in pairs]
        else:
            path = f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default"
            inputs = [{"from": {"id": f}, "to": {"id": t}} for f, t in pairs]
        reply = self._call(
            "POST", path, f"associate {from_type}->{to_type}", {"inputs": inputs}, ok=(400, 404)
        )
        body = _json(reply)
        body = body if isinstance(body, dict) else {}
        outcome = BatchOutcome(status=reply.status_code, results=list(body.get("results", [])))
        if reply.status_code >= 400:
            outcome.refusals = [
                Refusal(
                    f"{f}->{t}",
                    reply.status_code,
                    str(body.get("category", "")),
                    str(body.get("message", "")),
                    body,
                )
                for f, t in pairs
            ]
            return outcome
        for error in body.get("errors", []):
            outcome.refusals.append(
                Refusal(
                    "",
                    reply.status_code,
                    str(error.get("category", "")),
                    str(error.get("message", "")),
                    error,
                )
            )
        return outcome
