"""Salesforce OAuth for the tap: the shared implementation lives in :mod:`crm_sync.salesforce_auth`.

Both Salesforce plugins (this tap and target-salesforce-custom) log in the same way, so
the authenticator is in the shared core; this module keeps the tap's import path.
"""

from crm_sync.salesforce_auth import (
    FLOWS,
    JWT_GRANT,
    SalesforceAuthenticator,
    SalesforceAuthError,
    login_flow,
)

__all__ = ["FLOWS", "JWT_GRANT", "SalesforceAuthError", "SalesforceAuthenticator", "login_flow"]
