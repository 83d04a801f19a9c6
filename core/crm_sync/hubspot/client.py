"""The one HubSpot client: every CRM call of every plugin, authenticated, limited, retried.

Every call goes through one :class:`~crm_sync.http.ResilientSession`: the portal's
rolling ten-second window (a :class:`~crm_sync.http.WindowLimiter` that follows the
``X-HubSpot-RateLimit-*`` headers), the search API's own per-second limit (a
:class:`~crm_sync.http.Pacer`, at every attempt), retries per
:mod:`crm_sync.http.policy`, the daily limit as :class:`~crm_sync.http.QuotaExhausted`
(and this sync's share of it, :mod:`crm_sync.hubspot.daily`), and call counting by
route. This module only builds requests and reads replies.

Used by tap-hubspot-custom (discovery, associations), target-hubspot-custom (schemas,
properties, batch writes, associations), target-salesforce-custom (the write-back of new
Salesforce ids) and map-crm's live validation (schemas, properties).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec
import requests

from crm_sync.http import (
    CallCounter,
    Pacer,
    QuotaExhausted,
    ResilientSession,
    RetryPolicy,
    WindowLimiter,
)
from crm_sync.hubspot.associations import AssociationCalls
from crm_sync.hubspot.auth import HubSpotAuthenticator
from crm_sync.hubspot.daily import DailyShare
from crm_sync.hubspot.errors import HubSpotError
from crm_sync.hubspot.outcomes import (
    BATCH_LIMIT,
    BatchOutcome,
    batch_outcome,
    body_of,
    check_batch_size,
    unkeyed_outcome,
)
from crm_sync.hubspot.settings import HubSpotSettings

STANDARD_OBJECTS: dict[str, str] = {
    "contacts": "0-1",
    "contact": "0-1",
    "companies": "0-2",
    "company": "0-2",
    "deals": "0-3",
    "deal": "0-3",
    "tickets": "0-5",
    "ticket": "0-5",
    # Activities (engagements): HubSpot's per-activity API guides.
    "tasks": "0-27",
    "task": "0-27",
    "calls": "0-48",
    "call": "0-48",
    "emails": "0-49",
    "email": "0-49",
    "meetings": "0-47",
    "meeting": "0-47",
    "notes": "0-46",
    "note": "0-46",
}
"""Standard object names (both forms) and their object type ids."""
SCHEMAS_PATH = "/crm/v3/schemas"
SEARCH_LIMIT = 200
LIST_LIMIT = 100
OWNERS_LIMIT = 500
"""Owners per page: the owners reference gives ``limit`` a default of 100 (unverified: a
cap of 500, as Workato's owners action defaults to)."""

_BODY = msgspec.json.Encoder()
"""Request bodies as compact UTF-8 JSON (a 100-record upsert encodes several times faster
than with the ``json`` module)."""


def default_session(
    settings: HubSpotSettings,
    *,
    limiter: WindowLimiter | None = None,
    counter: CallCounter | None = None,
) -> ResilientSession:
    """A session retrying as the settings say."""
    policy = RetryPolicy(
        max_attempts=max(1, settings.max_retries),
        initial_wait_s=settings.retry_wait_s,
        max_wait_s=60.0,
    )
    return ResilientSession(
        limiter=limiter,
        policy=policy,
        counter=counter,
        ca_bundle=settings.ca_bundle,
        timeout_s=settings.request_timeout_s,
    )


class HubSpotClient(AssociationCalls):
    """Typed access to the HubSpot CRM v3/v4 endpoints crm-sync uses."""

    def __init__(
        self,
        settings: HubSpotSettings,
        session: ResilientSession | None = None,
        *,
        search_limiter: Pacer | None = None,
        user_agent: str = "crm-sync",
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.session = session or default_session(settings)
        self.session.headers["User-Agent"] = user_agent
        self.auth = HubSpotAuthenticator(settings, self.session)
        self.session.auth = self.auth
        self.search_limiter = search_limiter
        self.daily = DailyShare(settings.max_daily_share, settings.share_setting)
        """The portal's daily usage and this sync's share of it (``max_daily_share``)."""

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], prefix: str = "", **kwargs: Any
    ) -> HubSpotClient:
        return cls(HubSpotSettings.from_config(config, prefix), **kwargs)

    @property
    def counter(self) -> CallCounter:
        return self.session.counter

    @property
    def limiter(self) -> WindowLimiter | None:
        return self.session.limiter

    # ------------------------------------------------------------------ plumbing
    def call(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        ok: tuple[int, ...] = (),
        params: Mapping[str, Any] | None = None,
        route: str | None = None,
    ) -> requests.Response:
        """One call; a reply ≥ 400 not in ``ok`` raises :class:`HubSpotError`, the daily
        limit :class:`~crm_sync.http.QuotaExhausted`."""
        # Search calls have a per-second limit of their own, and no rate-limit headers.
        pacer = self.search_limiter if path.endswith("/search") else None
        for attempt in (1, 2):
            self.daily.check()
            try:
                response = self.session.request(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    data=None if body is None else _BODY.encode(body),
                    headers={"Content-Type": "application/json"} if body is not None else None,
                    route=route or f"{method} {path}",
                    pacer=pacer,
                )
            except QuotaExhausted as exc:
                if exc.response is None:
                    raise
                self.daily.observe(exc.response)
                error = HubSpotError.from_response(exc.response, what)
                raise QuotaExhausted(
                    f"HubSpot daily API limit reached: {error.message}", exc.response
                ) from exc
            self.daily.observe(response)
            if response.status_code == 401 and attempt == 1 and self.auth.oauth:
                self.auth.invalidate()  # an OAuth token that expired early: refresh, resend
                continue
            if response.status_code >= 400 and response.status_code not in ok:
                raise HubSpotError.from_response(response, what)
            return response
        raise AssertionError("unreachable")

    def portal_id(self) -> str:
        """The portal's id (``portalId`` of ``GET /account-info/v3/details``)."""
        reply = self.call(
            "GET", "/account-info/v3/details", "read the portal's account details",
            route="GET /account-info/v3/details",
        )  # fmt: skip
        return str(reply.json()["portalId"])

    # ------------------------------------------------------------------ schemas
    def list_schemas(self) -> list[dict[str, Any]]:
        """Every custom object schema of the portal."""
        reply = self.get_json(SCHEMAS_PATH, "list custom object schemas", route="GET /schemas")
        return list(reply.get("results", []))

    def create_schema(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Create a custom object; returns the schema with ``objectTypeId``."""
        reply = self.call(
            "POST", SCHEMAS_PATH, f"create object schema {schema['name']!r}", schema,
            route="POST /schemas",
        )  # fmt: skip
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
    def property_list(
        self, object_type: str, *, missing_ok: bool = False
    ) -> list[dict[str, Any]] | None:
        """Property definitions of an object type (None: no such object, if ``missing_ok``)."""
        reply = self.call(
            "GET",
            f"/crm/v3/properties/{object_type}",
            f"list properties of {object_type}",
            ok=(404,) if missing_ok else (),
            route="GET /crm/v3/properties/{objectType}",
        )
        if reply.status_code == 404:
            return None
        return list(body_of(reply).get("results", []))

    def properties(self, object_type: str) -> dict[str, dict[str, Any]]:
        """Property definitions of an object type, by name."""
        return {p["name"]: p for p in self.property_list(object_type) or []}

    def ensure_property_group(self, object_type: str, name: str, label: str) -> None:
        """Create a property group; an existing one (409) is fine."""
        self.call(
            "POST",
            f"/crm/v3/properties/{object_type}/groups",
            f"create property group {name!r} on {object_type}",
            {"name": name, "label": label},
            ok=(409,),
            route="POST /crm/v3/properties/{objectType}/groups",
        )

    def create_properties(
        self, object_type: str, definitions: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome:
        """``POST /crm/v3/properties/{ot}/batch/create`` (201, or 207 with errors)."""
        outcome = BatchOutcome()
        items = list(definitions)
        for start in range(0, len(items), BATCH_LIMIT):
            reply = self.call(
                "POST",
                f"/crm/v3/properties/{object_type}/batch/create",
                f"create properties on {object_type}",
                {"inputs": items[start : start + BATCH_LIMIT]},
                route="POST /crm/v3/properties/{objectType}/batch/create",
            )
            part = unkeyed_outcome(reply)
            outcome.results += part.results
            outcome.refusals += part.refusals
        return outcome

    # ------------------------------------------------------------------ reads
    def list_page(self, object_type: str, params: Mapping[str, Any]) -> requests.Response:
        """One page of ``GET /crm/v3/objects/{ot}`` (``limit``, ``after``, ``archived``)."""
        return self.call(
            "GET",
            f"/crm/v3/objects/{object_type}",
            f"list {object_type}",
            params=params,
            route="GET /crm/v3/objects/{objectType}",
        )

    def owners(
        self, *, archived: bool = False, page_size: int = OWNERS_LIMIT
    ) -> Iterator[dict[str, Any]]:
        """Every owner of the portal (``GET /crm/v3/owners``, paged by ``after``): active
        ones, or only the archived ones with ``archived``."""
        params: dict[str, Any] = {"limit": page_size, "archived": str(archived).lower()}
        while True:
            reply = body_of(
                self.call("GET", "/crm/v3/owners", "list owners", params=params,
                          route="GET /crm/v3/owners")
            )  # fmt: skip
            yield from reply.get("results") or []
            after = ((reply.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            params = {**params, "after": after}

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One ``POST /crm/v3/objects/{ot}/search`` page."""
        reply = self.call(
            "POST",
            f"/crm/v3/objects/{object_type}/search",
            f"search {object_type}",
            dict(body),
            route="POST /crm/v3/objects/{objectType}/search",
        )
        return body_of(reply)

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
        reply = self.call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/read?archived=false",
            f"batch read {object_type}",
            body,
            route="POST /crm/v3/objects/{objectType}/batch/read",
        )
        found: dict[str, dict[str, Any]] = {}
        for record in body_of(reply).get("results", []):
            key = (record.get("properties") or {}).get(id_property) if id_property else None
            found[str(key if key is not None else record["id"])] = record
        return found

    # ------------------------------------------------------------------ writes
    def batch_create(
        self, object_type: str, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchOutcome:
        """Create ≤100 records; ``inputs`` are ``(key, properties)``, the key traced."""
        check_batch_size(inputs)
        if not inputs:
            return BatchOutcome()
        body = {
            "inputs": [
                {"objectWriteTraceId": key, "properties": dict(props)} for key, props in inputs
            ]
        }
        reply = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/create", f"batch create {object_type}",
            body, ok=(400, 409, 422), route="POST /crm/v3/objects/{objectType}/batch/create",
        )  # fmt: skip
        return batch_outcome(reply, [key for key, _ in inputs])

    def batch_upsert(
        self, object_type: str, id_property: str, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchOutcome:
        """Upsert ≤100 records by a unique property; ``inputs`` are ``(key, properties)``.

        A whole-batch 4xx (e.g. a 400 naming one bad value) refuses every input of the
        call with that error; the caller decides whether to split and retry.
        """
        check_batch_size(inputs)
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
        reply = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/upsert", f"batch upsert {object_type}",
            body, ok=(400, 409, 422), route="POST /crm/v3/objects/{objectType}/batch/upsert",
        )  # fmt: skip
        return batch_outcome(reply, [key for key, _ in inputs])

    def batch_update(
        self, object_type: str, inputs: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> BatchOutcome:
        """Update ≤100 records by HubSpot id; ``inputs`` are ``(hs_id, properties)``.

        A 207 names the refused ids in ``context.ids``; a whole-batch 4xx refuses all.
        """
        check_batch_size(inputs)
        if not inputs:
            return BatchOutcome()
        body = {
            "inputs": [
                {"id": hs_id, "objectWriteTraceId": hs_id, "properties": dict(props)}
                for hs_id, props in inputs
            ]
        }
        reply = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/update", f"batch update {object_type}",
            body, ok=(400, 404, 409, 422),
            route="POST /crm/v3/objects/{objectType}/batch/update",
        )  # fmt: skip
        return batch_outcome(reply, [hs_id for hs_id, _ in inputs])

    def batch_archive(self, object_type: str, ids: Sequence[str]) -> None:
        """Archive ≤100 records by HubSpot id (204; already-archived ids are no error)."""
        if ids:
            self.call(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/archive",
                f"batch archive {object_type}",
                {"inputs": [{"id": i} for i in ids]},
                route="POST /crm/v3/objects/{objectType}/batch/archive",
            )
