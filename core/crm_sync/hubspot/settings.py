"""Where and how to reach one HubSpot portal: the settings every HubSpot plugin shares.

The tap and target read them unprefixed (``access_token``); map-crm with ``hubspot_``,
target-salesforce-custom (its write-back) with ``hs_``. Blank values count as unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_URL = "https://api.hubapi.com"
OAUTH_KEYS = ("client_id", "client_secret", "refresh_token")


class HubSpotAuthError(RuntimeError):
    """No usable credentials, or the token endpoint refused them."""


@dataclass(frozen=True)
class HubSpotSettings:
    """A private-app access token, or an OAuth app's refresh token."""

    base_url: str = DEFAULT_BASE_URL
    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    ca_bundle: str | None = None
    max_retries: int = 8
    retry_wait_s: float = 0.5
    request_timeout_s: float = 300.0
    max_daily_share: float | None = None
    """Stop once the portal's daily usage reaches this share of its limit
    (:class:`crm_sync.hubspot.daily.DailyShare`); None: only HubSpot's own limit stops."""
    share_setting: str = "max_daily_share"
    """The name the plugin gives :attr:`max_daily_share` (with its prefix)."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str = "") -> HubSpotSettings:
        def get(key: str) -> str | None:
            value = config.get(f"{prefix}{key}")
            return str(value) if value not in (None, "") else None

        def number(key: str, default: float) -> float:
            value = get(key)
            return float(value) if value is not None else default

        return cls(
            base_url=(get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
            access_token=get("access_token"),
            client_id=get("client_id"),
            client_secret=get("client_secret"),
            refresh_token=get("refresh_token"),
            ca_bundle=get("ca_bundle"),
            max_retries=int(number("max_retries", 8)),
            retry_wait_s=number("retry_wait_seconds", 0.5),
            request_timeout_s=number("request_timeout", 300.0),
            max_daily_share=float(share) if (share := get("max_daily_share")) else None,
            share_setting=f"{prefix}max_daily_share",
        )

    @property
    def uses_oauth(self) -> bool:
        return not self.access_token and all(getattr(self, k) for k in OAUTH_KEYS)

    @property
    def configured(self) -> bool:
        return bool(self.access_token) or self.uses_oauth

    def missing(self, prefix: str = "") -> str:
        """What to set, in the settings' own names, when not :attr:`configured`."""
        absent = [f"{prefix}{k}" for k in OAUTH_KEYS if not getattr(self, k)]
        return (
            f"set {prefix}access_token (private app), or all of "
            f"{', '.join(prefix + k for k in OAUTH_KEYS)} (OAuth); missing {', '.join(absent)}"
        )
