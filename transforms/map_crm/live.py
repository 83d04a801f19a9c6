"""Where map-crm gets the live schemas it validates against, and the settings for it.

Sources, first that applies:

* ``live_schemas``: a JSON snapshot ``{"salesforce": {Object: describe}, "hubspot":
  {object: {requiredProperties, properties}}}`` (offline; ``map-crm validate
  --save-live-schemas`` writes one);
* the APIs, when both sides' credentials are set (``salesforce_*`` and ``hubspot_*``
  settings, every login flow of the core clients, JWT included): one ``/composite/batch``
  describe call per 25 Salesforce objects (plus a token call for OAuth credentials),
  one ``/crm/v3/schemas`` call when a custom HubSpot object is mapped, one
  properties call per HubSpot object and one association labels call per object pair
  an association names a ``type_id`` for.

``validate_live`` unset means "validate when a source exists"; ``true`` makes a missing
source an error; ``false`` skips the live checks (a snapshot still gives exact types).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from singer_sdk import typing as th

from crm_sync.hubspot import HubSpotSettings
from crm_sync.salesforce import FLOWS, SalesforceSettings
from crm_sync.schemas import LiveSchemaError, fetch_live_schemas
from crm_sync.schemas.salesforce import credentials_hint
from crm_sync.spec import Mapping

SF_PREFIX, HS_PREFIX = "salesforce_", "hubspot_"

LIVE_SETTINGS: list[th.Property[Any]] = [
    th.Property(
        "validate_live",
        th.BooleanType,
        description=(
            "Validate the specs against the live schemas before mapping. Unset: when "
            "live_schemas or both sides' credentials are given; true: required; false: never."
        ),
    ),
    th.Property(
        "create_object_schema",
        th.BooleanType,
        description=(
            "Deprecated: say it per mapping in the spec (hubspot.create_object), which "
            "target-hubspot-custom reads too. Until then, on: a mapping whose spec does not "
            "say creates its missing custom object (validated against the object the "
            "target will create), with a WARNING."
        ),
    ),
    th.Property(
        "live_schemas",
        th.StringType,
        description=(
            "JSON snapshot {salesforce: {Object: describe}, hubspot: {object: "
            "{requiredProperties, properties}}} used instead of the APIs (offline)."
        ),
    ),
    th.Property("salesforce_instance_url", th.StringType, description="Org API host."),
    th.Property(
        "salesforce_access_token",
        th.StringType,
        secret=True,
        description="Salesforce session token used directly (with salesforce_instance_url).",
    ),
    th.Property(
        "salesforce_login_url",
        th.StringType,
        description="OAuth host for JWT / client credentials / refresh token / password logins.",
    ),
    th.Property("salesforce_client_id", th.StringType, secret=True, description="Consumer key."),
    th.Property(
        "salesforce_client_secret", th.StringType, secret=True, description="Consumer secret."
    ),
    th.Property(
        "salesforce_refresh_token",
        th.StringType,
        secret=True,
        description="OAuth refresh token (refresh-token login).",
    ),
    th.Property(
        "salesforce_auth_flow",
        th.StringType,
        allowed_values=list(FLOWS),
        description="Salesforce login to use; auto (default) picks the first complete set "
        "(JWT, refresh token, username-password, client credentials).",
    ),
    th.Property(
        "salesforce_username", th.StringType, description="User for the password and JWT logins."
    ),
    th.Property("salesforce_password", th.StringType, secret=True, description="User's password."),
    th.Property(
        "salesforce_security_token",
        th.StringType,
        secret=True,
        description="Appended to the password (password login).",
    ),
    th.Property(
        "salesforce_private_key",
        th.StringType,
        secret=True,
        description="PEM RSA private key of the connected app (JWT bearer login).",
    ),
    th.Property(
        "salesforce_private_key_path",
        th.StringType,
        description="File holding salesforce_private_key.",
    ),
    th.Property(
        "salesforce_private_key_passphrase",
        th.StringType,
        secret=True,
        description="Passphrase of salesforce_private_key.",
    ),
    th.Property("salesforce_api_version", th.StringType, description="e.g. 62.0"),
    th.Property("salesforce_ca_bundle", th.StringType, description="CA file to verify TLS."),
    th.Property("hubspot_base_url", th.StringType, description="Default api.hubapi.com."),
    th.Property(
        "hubspot_access_token",
        th.StringType,
        secret=True,
        description="HubSpot private-app access token.",
    ),
    th.Property(
        "hubspot_client_id", th.StringType, secret=True, description="OAuth app client id."
    ),
    th.Property(
        "hubspot_client_secret", th.StringType, secret=True, description="OAuth app secret."
    ),
    th.Property(
        "hubspot_refresh_token",
        th.StringType,
        secret=True,
        description="OAuth refresh token (used when hubspot_access_token is not set).",
    ),
    th.Property("hubspot_ca_bundle", th.StringType, description="CA file to verify TLS."),
]


class LiveSourceMissing(ValueError):
    """``validate_live: true`` but neither a snapshot nor both sides' credentials."""


@dataclass
class LiveSource:
    """The live schemas (None: none), whether to validate with them, and how they were got."""

    data: dict[str, Any] | None
    origin: str
    salesforce_calls: int = 0
    hubspot_calls: int = 0
    validate: bool = True

    @property
    def summary(self) -> str:
        if self.data is None or not self.validate:
            return f"live schemas not checked ({self.origin})"
        if self.origin != "fetched":
            return f"live schemas checked ({self.origin})"
        total = self.salesforce_calls + self.hubspot_calls
        return (
            f"live schemas checked: {total} API call(s) (Salesforce {self.salesforce_calls}, "
            f"HubSpot {self.hubspot_calls})"
        )


def load_live_schemas(path: str | Path) -> dict[str, Any]:
    """A snapshot file: ``{"salesforce": {...}, "hubspot": {...}}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object with 'salesforce' and 'hubspot'")
    return data


def side_settings(config: dict[str, Any]) -> tuple[SalesforceSettings, HubSpotSettings]:
    return (
        SalesforceSettings.from_config(config, SF_PREFIX),
        HubSpotSettings.from_config(config, HS_PREFIX),
    )


def missing_sides(sf: SalesforceSettings, hs: HubSpotSettings) -> list[str]:
    missing = []
    if not sf.configured:
        missing.append(credentials_hint(SF_PREFIX))
    if not hs.configured:
        missing.append(hs.missing(HS_PREFIX))
    return missing


def resolve_live(
    config: dict[str, Any], mappings: list[Mapping], snapshot: str | Path | None = None
) -> LiveSource:
    """Load or fetch the live schemas per the settings (module docstring).

    Raises ``LiveSourceMissing`` or ``crm_sync.schemas.LiveSchemaError``.
    """
    wanted = config.get("validate_live")
    snapshot = snapshot or config.get("live_schemas")
    if wanted is False:  # a snapshot still gives the mapper exact field types
        data = load_live_schemas(snapshot) if snapshot else None
        return LiveSource(data, "validate_live is false", validate=False)
    if snapshot:
        return LiveSource(load_live_schemas(snapshot), f"snapshot {snapshot}")
    sf, hs = side_settings(config)
    missing = missing_sides(sf, hs)
    if missing:
        if wanted:
            raise LiveSourceMissing(
                "validate_live needs the live_schemas setting or credentials; missing: "
                + "; ".join(missing)
            )
        return LiveSource(None, "no credentials: " + "; ".join(missing))
    fetched = fetch_live_schemas(mappings, sf, hs)
    return LiveSource(fetched.as_data(), "fetched", fetched.salesforce_calls, fetched.hubspot_calls)


__all__ = [
    "LIVE_SETTINGS",
    "LiveSchemaError",
    "LiveSource",
    "LiveSourceMissing",
    "load_live_schemas",
    "missing_sides",
    "resolve_live",
    "side_settings",
]
