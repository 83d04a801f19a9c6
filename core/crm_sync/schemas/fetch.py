"""Fetch both live schemas for a set of mappings, counting the API calls it took."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_sync.http import ResilientSession, RetryPolicy
from crm_sync.hubspot import HubSpotSettings
from crm_sync.salesforce import SalesforceSettings
from crm_sync.schemas.hubspot import HubSpotSchemaReader
from crm_sync.schemas.salesforce import SalesforceDescriber
from crm_sync.spec.model import Mapping

#: Validation runs before anything else: fail within seconds, not the writers' minutes.
FETCH_POLICY = RetryPolicy(max_attempts=4, max_elapsed_s=30.0, initial_wait_s=0.2, max_wait_s=5)


@dataclass
class LiveSchemas:
    """Describes and object schemas, in the shape ``validate_live`` and snapshots use."""

    salesforce: dict[str, dict[str, Any]] = field(default_factory=dict)
    hubspot: dict[str, dict[str, Any]] = field(default_factory=dict)
    salesforce_calls: int = 0
    hubspot_calls: int = 0

    def as_data(self) -> dict[str, Any]:
        """``{"salesforce": {...}, "hubspot": {...}}``: the ``live_schemas`` file format."""
        return {"salesforce": self.salesforce, "hubspot": self.hubspot}

    @property
    def calls(self) -> int:
        return self.salesforce_calls + self.hubspot_calls


def _session(ca_bundle: str | None) -> ResilientSession:
    return ResilientSession(policy=FETCH_POLICY, ca_bundle=ca_bundle, timeout_s=30.0)


def fetch_live_schemas(
    mappings: Iterable[Mapping], salesforce: SalesforceSettings, hubspot: HubSpotSettings
) -> LiveSchemas:
    """Describe every mapped Salesforce object and read every mapped HubSpot object.

    The association types of each object pair a ``type_id`` association joins are read
    too (:func:`type_id_pairs`), kept under the from-object's ``associationTypes`` by the
    to-object's name. Raises :class:`crm_sync.schemas.LiveSchemaError` when a side cannot
    be read at all; objects that do not exist are simply absent from the result.
    """
    mappings = list(mappings)
    return fetch_objects(
        [m.salesforce.object for m in mappings],
        [m.hubspot.object for m in mappings],
        salesforce,
        hubspot,
        type_id_pairs(mappings),
    )


def type_id_pairs(mappings: Sequence[Mapping]) -> list[tuple[str, str]]:
    """(from, to) HubSpot object names of the associations that name a ``type_id``."""
    by_name = {m.name: m for m in mappings}
    pairs = [
        (m.hubspot.object, by_name[a.to].hubspot.object)
        for m in mappings
        for a in m.associations
        if a.type_id is not None and a.to in by_name
    ]
    return list(dict.fromkeys(pairs))


def fetch_objects(
    sf_objects: Sequence[str],
    hs_objects: Sequence[str],
    salesforce: SalesforceSettings,
    hubspot: HubSpotSettings,
    hs_pairs: Sequence[tuple[str, str]] = (),
) -> LiveSchemas:
    """Describe the named objects of both sides (``map-crm init`` reads them unmapped).

    ``hs_pairs``: HubSpot object pairs (names) whose association types to read, for the
    pairs whose two objects exist.
    """
    sf_session, hs_session = _session(salesforce.ca_bundle), _session(hubspot.ca_bundle)
    try:
        sf = SalesforceDescriber(salesforce, sf_session).describe(list(sf_objects))
        reader = HubSpotSchemaReader(hubspot, hs_session)
        hs = reader.schemas(list(hs_objects))
        known = [(a, b) for a, b in hs_pairs if a in hs and b in hs]
        ids = {name: str(hs[name]["objectTypeId"]) for pair in known for name in pair}
        types = reader.association_types([(ids[a], ids[b]) for a, b in known])
        for a, b in known:
            hs[a].setdefault("associationTypes", {})[b] = types[(ids[a], ids[b])]
    finally:
        sf_session.close()
        hs_session.close()
    return LiveSchemas(sf, hs, sf_session.counter.total, hs_session.counter.total)
