"""The one Salesforce client of crm-sync: settings, OAuth (every flow), REST, Bulk 2.0.

Used by tap-salesforce-custom (query, describe, Bulk query), target-salesforce-custom
(collections, Bulk ingest) and map-crm's live validation (describe).
"""

from crm_sync.salesforce.auth import JWT_GRANT, SalesforceAuthenticator
from crm_sync.salesforce.bulk import BulkJobFailed, BulkQuery
from crm_sync.salesforce.client import (
    DESCRIBE_BATCH,
    ApiUsage,
    SalesforceClient,
    default_session,
)
from crm_sync.salesforce.collections import COLLECTION_LIMIT, RETRIEVE_LIMIT, chunks
from crm_sync.salesforce.errors import SalesforceAPIError
from crm_sync.salesforce.results import RecordError, SaveResult
from crm_sync.salesforce.settings import (
    DEFAULT_MAX_API_SHARE,
    FLOWS,
    SalesforceAuthError,
    SalesforceSettings,
    login_flow,
)
from crm_sync.salesforce.wire import BULK_NULL, csv_cell, wire_value

__all__ = [
    "BULK_NULL",
    "COLLECTION_LIMIT",
    "DEFAULT_MAX_API_SHARE",
    "DESCRIBE_BATCH",
    "FLOWS",
    "JWT_GRANT",
    "RETRIEVE_LIMIT",
    "ApiUsage",
    "BulkJobFailed",
    "BulkQuery",
    "RecordError",
    "SalesforceAPIError",
    "SalesforceAuthError",
    "SalesforceAuthenticator",
    "SalesforceClient",
    "SalesforceSettings",
    "SaveResult",
    "chunks",
    "csv_cell",
    "default_session",
    "login_flow",
    "wire_value",
]
