"""Live schemas from the APIs: Salesforce describe and HubSpot schemas + properties.

Used by ``map-crm`` to validate mapping specs before any write: thin readers over the
core's one client per API (:mod:`crm_sync.salesforce`, :mod:`crm_sync.hubspot`). Every
request verifies TLS against the configured CA bundle, passed per request so
``REQUESTS_CA_BUNDLE`` cannot override it.
"""

from crm_sync.hubspot import HubSpotSettings
from crm_sync.salesforce import SalesforceSettings
from crm_sync.schemas.errors import LiveSchemaError
from crm_sync.schemas.fetch import LiveSchemas, fetch_live_schemas
from crm_sync.schemas.hubspot import STANDARD_OBJECT_TYPES, HubSpotSchemaReader
from crm_sync.schemas.salesforce import SalesforceDescriber

__all__ = [
    "STANDARD_OBJECT_TYPES",
    "HubSpotSchemaReader",
    "HubSpotSettings",
    "LiveSchemaError",
    "LiveSchemas",
    "SalesforceDescriber",
    "SalesforceSettings",
    "fetch_live_schemas",
]
