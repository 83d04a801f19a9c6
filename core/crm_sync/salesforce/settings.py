"""Where and how to reach one Salesforce org: the settings every Salesforce plugin shares.

The taps and targets read them unprefixed (``client_id``); map-crm reads them with a
``salesforce_`` prefix (``salesforce_client_id``). Blank values count as unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "62.0"
FLOWS = ("auto", "access_token", "client_credentials", "refresh_token", "password", "jwt")
"""Values of the ``auth_flow`` setting; ``auto`` picks the first complete set."""
_NEEDS: dict[str, tuple[str, ...]] = {
    "jwt": ("client_id", "username"),
    "refresh_token": ("client_id", "refresh_token"),
    "password": ("client_id", "client_secret", "username", "password"),
    "client_credentials": ("client_id", "client_secret"),
}


class SalesforceAuthError(RuntimeError):
    """Login failed or no flow can produce a session; the message names the flow."""


DEFAULT_MAX_API_SHARE = 0.8
"""The plugins' default ``max_api_share``: leave a fifth of the org's day to its other
integrations."""


@dataclass(frozen=True)
class SalesforceSettings:
    """A session token (``access_token`` + ``instance_url``) and/or OAuth credentials
    posted to ``login_url``: JWT bearer, refresh token, username-password or client
    credentials."""

    instance_url: str | None = None
    access_token: str | None = None
    login_url: str = DEFAULT_LOGIN_URL
    auth_flow: str = "auto"
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    private_key: str | None = None
    private_key_path: str | None = None
    private_key_passphrase: str | None = None
    jwt_audience: str | None = None
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    max_retries: int = 5
    retry_wait_s: float = 1.0
    request_timeout_s: float = 300.0
    bulk_poll_s: float = 1.0
    """First wait between two polls of a Bulk 2.0 job."""
    max_api_share: float | None = None
    """Stop (:class:`crm_sync.http.QuotaExhausted`) once the org's daily usage reaches
    this share of its Max; None: only Salesforce's own limit stops."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str = "") -> SalesforceSettings:
        """Settings from ``config`` keys ``{prefix}instance_url`` etc. (blank = unset)."""

        def get(key: str) -> str | None:
            value = config.get(f"{prefix}{key}")
            return str(value) if value not in (None, "") else None

        def number(key: str, default: float) -> float:
            value = get(key)
            return float(value) if value is not None else default

        share = get("max_api_share")
        return cls(
            instance_url=(get("instance_url") or "").rstrip("/") or None,
            access_token=get("access_token"),
            login_url=(get("login_url") or DEFAULT_LOGIN_URL).rstrip("/"),
            auth_flow=get("auth_flow") or "auto",
            client_id=get("client_id"),
            client_secret=get("client_secret"),
            refresh_token=get("refresh_token"),
            username=get("username"),
            password=get("password"),
            security_token=get("security_token"),
            private_key=get("private_key"),
            private_key_path=get("private_key_path"),
            private_key_passphrase=get("private_key_passphrase"),
            jwt_audience=get("jwt_audience"),
            api_version=(get("api_version") or DEFAULT_API_VERSION).lstrip("v"),
            ca_bundle=get("ca_bundle"),
            max_retries=int(number("max_retries", 5)),
            retry_wait_s=number("retry_wait_seconds", 1.0),
            request_timeout_s=number("request_timeout", 300.0),
            bulk_poll_s=number("bulk_poll_seconds", 1.0),
            max_api_share=float(share) if share is not None else None,
        )

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key or self.private_key_path)

    @property
    def flow(self) -> str | None:
        """The OAuth grant these settings log in with (None: only a direct token).

        With ``auth_flow: auto`` the first complete set wins: JWT (private key), refresh
        token, username-password, client credentials. Raises
        :class:`SalesforceAuthError` for an unknown or incomplete explicit flow.
        """
        wanted = self.auth_flow
        if wanted not in FLOWS:
            raise SalesforceAuthError(
                f"auth_flow must be one of {', '.join(FLOWS)}, not {wanted!r}"
            )
        if wanted == "access_token":
            return None
        if wanted != "auto":
            missing = [k for k in _NEEDS[wanted] if not getattr(self, k)]
            if wanted == "jwt" and not self.has_private_key:
                missing.append("private_key or private_key_path")
            if missing:
                raise SalesforceAuthError(
                    f"auth_flow {wanted!r} needs the setting(s): {', '.join(missing)}"
                )
            return wanted
        for flow, needs in _NEEDS.items():
            if all(getattr(self, k) for k in needs) and (flow != "jwt" or self.has_private_key):
                return flow
        return None

    @property
    def configured(self) -> bool:
        """Whether these settings can reach the org at all."""
        try:
            flow = self.flow
        except SalesforceAuthError:
            return False
        return bool(self.access_token and self.instance_url) or flow is not None


def login_flow(config: Mapping[str, Any]) -> str | None:
    """The OAuth grant a plugin's (unprefixed) settings allow; see ``SalesforceSettings.flow``."""
    return SalesforceSettings.from_config(config).flow
