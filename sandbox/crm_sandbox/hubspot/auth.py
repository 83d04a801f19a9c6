"""Private-app bearer tokens, their scopes, and the OAuth refresh-token grant.

The portal's private-app token comes from the sandbox credentials and carries every
scope the sandbox knows (:func:`scopes.all_scopes`), so nothing is refused by default.
:meth:`Auth.mint` issues further private-app tokens with chosen scopes (control API
``POST /__sandbox/hubspot/tokens``, ``crm-sandbox env --hs-scopes``) for tests of the
403 ``MISSING_SCOPES`` reply. A second portal's token is kept in the store as well
(:func:`other_portal_token`), so tests can show a token of another portal is refused.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.errors import InvalidAuthentication
from crm_sandbox.hubspot.scopes import all_scopes

if TYPE_CHECKING:
    from crm_sandbox.core.datadir import Credentials
    from crm_sandbox.hubspot.store import Store

ACCESS_TOKEN_SECONDS = 1800
SCOPES = all_scopes()
_SCOPES_DDL = (
    "CREATE TABLE IF NOT EXISTS token_scopes (token TEXT PRIMARY KEY, scopes TEXT NOT NULL)"
)


def other_portal_id(creds: Credentials) -> int:
    return creds.hs_portal_id + 1


def other_portal_token(creds: Credentials) -> str:
    """A valid-looking private-app token of a different portal (refused by this one)."""
    return f"pat-na1-{uuid.uuid5(uuid.NAMESPACE_URL, f'crm-sandbox:{other_portal_id(creds)}')}"


class OAuthError(Exception):
    """``/oauth/v1/token`` refusals: ``{"status": CODE, "message", ...}`` with 400."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Auth:
    def __init__(self, store: Store, creds: Credentials) -> None:
        self.store = store
        self.creds = creds
        self.install()

    def install(self) -> None:
        with self.store.db.transaction() as conn:
            conn.execute(_SCOPES_DDL)
            conn.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, 'private_app', NULL)",
                (self.creds.hs_access_token, self.creds.hs_portal_id),
            )
            conn.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, 'private_app', NULL)",
                (other_portal_token(self.creds), other_portal_id(self.creds)),
            )

    def portal_of(self, authorization: str | None) -> int:
        """The portal a bearer token belongs to; raises unless it is this portal's."""
        return self.identify(authorization)[0]

    def identify(self, authorization: str | None) -> tuple[int, frozenset[str]]:
        """The portal and granted scopes of a bearer token; raises unless it is this portal's."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise InvalidAuthentication()
        token = authorization[7:].strip()
        with self.store.db.reading() as conn:
            row = conn.execute(
                "SELECT t.portal_id, t.expires_at, s.scopes FROM tokens t"
                " LEFT JOIN token_scopes s ON s.token = t.token WHERE t.token = ?",
                (token,),
            ).fetchone()
        if row is None or (row[1] is not None and row[1] < time.time()):
            raise InvalidAuthentication()
        if int(row[0]) != self.creds.hs_portal_id:
            raise InvalidAuthentication()  # a token of another portal is unknown here
        scopes = frozenset(json.loads(row[2])) if row[2] is not None else frozenset(SCOPES)
        return int(row[0]), scopes

    def mint(self, scopes: list[str]) -> str:
        """A new private-app token of this portal granted exactly ``scopes``."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown HubSpot scope(s): {', '.join(unknown)}")
        token = f"pat-na1-{uuid.uuid4()}"
        with self.store.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tokens VALUES (?, ?, 'private_app', NULL)",
                (token, self.creds.hs_portal_id),
            )
            conn.execute(
                "INSERT INTO token_scopes VALUES (?, ?)", (token, json.dumps(sorted(scopes)))
            )
        return token

    def refresh(self, form: dict[str, str]) -> dict[str, Any]:
        """``grant_type=refresh_token``: a new access token for this portal."""
        if form.get("grant_type") != "refresh_token":
            raise OAuthError(
                "UNSUPPORTED_GRANT_TYPE", f"grant_type {form.get('grant_type')!r} is not supported"
            )
        if form.get("client_id") != self.creds.hs_client_id:
            raise OAuthError("BAD_CLIENT_ID", "missing or invalid client id")
        if form.get("client_secret") != self.creds.hs_client_secret:
            raise OAuthError("BAD_CLIENT_SECRET", "missing or invalid client secret")
        if form.get("refresh_token") != self.creds.hs_refresh_token:
            raise OAuthError("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = "CN" + secrets.token_urlsafe(96)[:120]
        with self.store.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tokens VALUES (?, ?, 'oauth', ?)",
                (token, self.creds.hs_portal_id, time.time() + ACCESS_TOKEN_SECONDS),
            )
        # hub_id and scopes since 2025-08-18 (HubSpot's developer changelog)
        return {
            "token_type": "bearer",
            "refresh_token": self.creds.hs_refresh_token,
            "hub_id": self.creds.hs_portal_id,
            "scopes": SCOPES,
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
        }

    def refresh_token_info(self, token: str) -> dict[str, Any] | None:
        """``GET /oauth/v1/refresh-tokens/{token}``: the fields HubSpot's reference lists."""
        if token != self.creds.hs_refresh_token:
            return None
        return {
            "token": token,
            "user": "integration@crm-sync.sandbox",
            "hub_domain": f"portal-{self.creds.hs_portal_id}.sandbox",
            "scopes": SCOPES,
            "hub_id": self.creds.hs_portal_id,
            "client_id": self.creds.hs_client_id,
            "user_id": 1,
            "token_type": "refresh",
        }

    def token_info(self, token: str) -> dict[str, Any] | None:
        with self.store.db.reading() as conn:
            row = conn.execute(
                "SELECT portal_id, kind, expires_at FROM tokens WHERE token = ?", (token,)
            ).fetchone()
        if row is None or row[1] != "oauth" or row[0] != self.creds.hs_portal_id:
            return None
        left = int(row[2] - time.time())
        if left <= 0:
            return None
        return {
            "token": token,
            "user": "integration@crm-sync.sandbox",
            "hub_domain": f"portal-{row[0]}.sandbox",
            "scopes": SCOPES,
            "hub_id": row[0],
            "app_id": 1,
            "expires_in": left,
            "user_id": 1,
            "token_type": "access",
        }
