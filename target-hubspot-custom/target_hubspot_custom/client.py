"""HubSpot CRM calls of the target: the shared implementation is :mod:`crm_sync.hubspot_api`.

target-salesforce-custom writes new Salesforce ids back to HubSpot with the same client,
so it lives in the shared core; this module keeps the target's import path.
"""

from crm_sync.hubspot_api import (
    BATCH_LIMIT,
    STANDARD_OBJECTS,
    BatchOutcome,
    HubSpotClient,
    HubSpotError,
    Refusal,
    chunks,
)

__all__ = [
    "BATCH_LIMIT",
    "STANDARD_OBJECTS",
    "BatchOutcome",
    "HubSpotClient",
    "HubSpotError",
    "Refusal",
    "chunks",
]
