"""The one HubSpot client of crm-sync: settings, authentication, CRM v3/v4 calls.

Used by tap-hubspot-custom, target-hubspot-custom, target-salesforce-custom (its
write-back of new Salesforce ids) and map-crm's live validation.
"""

from crm_sync.hubspot.auth import HubSpotAuthenticator
from crm_sync.hubspot.client import (
    LIST_LIMIT,
    SCHEMAS_PATH,
    SEARCH_LIMIT,
    STANDARD_OBJECTS,
    HubSpotClient,
    default_session,
)
from crm_sync.hubspot.errors import HubSpotError
from crm_sync.hubspot.outcomes import (
    ASSOCIATION_READ_LIMIT,
    BATCH_LIMIT,
    BatchOutcome,
    Refusal,
    chunks,
)
from crm_sync.hubspot.settings import DEFAULT_BASE_URL, HubSpotAuthError, HubSpotSettings

__all__ = [
    "ASSOCIATION_READ_LIMIT",
    "BATCH_LIMIT",
    "DEFAULT_BASE_URL",
    "LIST_LIMIT",
    "SCHEMAS_PATH",
    "SEARCH_LIMIT",
    "STANDARD_OBJECTS",
    "BatchOutcome",
    "HubSpotAuthError",
    "HubSpotAuthenticator",
    "HubSpotClient",
    "HubSpotError",
    "HubSpotSettings",
    "Refusal",
    "chunks",
    "default_session",
]
