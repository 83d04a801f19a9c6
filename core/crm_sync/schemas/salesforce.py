"""Salesforce describe of chosen objects for map-crm's live validation.

A thin reader over the core client (:class:`crm_sync.salesforce.SalesforceClient`): every
login flow (JWT included), ``ceil(n / 25)`` ``/composite/batch`` calls for ``n`` objects
plus one token call when the settings give OAuth credentials. An object the org does not
have is left out of the result, so the caller reports it as unknown. Failures become
:class:`LiveSchemaError` naming the settings to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from crm_sync.http import ResilientSession
from crm_sync.salesforce import (
    SalesforceAPIError,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceSettings,
)
from crm_sync.schemas.errors import LiveSchemaError

PREFIX = "salesforce_"


def credentials_hint(prefix: str = PREFIX) -> str:
    return (
        f"{prefix}access_token + {prefix}instance_url, or {prefix}client_id with "
        f"{prefix}client_secret / {prefix}refresh_token / {prefix}username + {prefix}password "
        f"/ {prefix}private_key (JWT)"
    )


class SalesforceDescriber:
    """Describes sObjects for validation, through the one Salesforce client."""

    def __init__(
        self, settings: SalesforceSettings, session: ResilientSession, prefix: str = PREFIX
    ) -> None:
        if not settings.configured:
            raise LiveSchemaError("salesforce", f"no credentials: set {credentials_hint(prefix)}")
        self.prefix = prefix
        try:
            self.client = SalesforceClient(settings, session)
        except SalesforceAuthError as exc:
            raise LiveSchemaError("salesforce", str(exc)) from exc

    def describe(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{name as asked: describe}`` for each object the org has (others left out)."""
        try:
            return self.client.describe(names)
        except SalesforceAuthError as exc:
            hint = credentials_hint(self.prefix)
            raise LiveSchemaError("salesforce", f"{exc} (set {hint})") from exc
        except SalesforceAPIError as exc:
            raise LiveSchemaError("salesforce", str(exc)) from exc
        except requests.RequestException as exc:
            raise LiveSchemaError("salesforce", f"describe failed: {exc}") from exc
