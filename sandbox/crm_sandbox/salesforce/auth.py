"""OAuth 2.0 for the sandbox org: grants, sessions and their revocation.

Sessions live in SQLite (table ``sf_sessions``) so a token issued to one process
is valid for another and survives restarts. The access token ``crm-sandbox env``
prints is a long-lived session created with the org; grants mint new ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.datadir import Credentials
    from crm_sandbox.core.db import Database

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class OAuthError(Exception):
    """A token-endpoint refusal: HTTP 400 ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Session:
    token: str
    user_id: str
    issued_at: int


class Sessions:
    """Issued access and refresh tokens of the org."""

    def __init__(self, db: Database, creds: Credentials, clock: Clock) -> None:
        self.db = db
        self.creds = creds
        self.clock = clock
        self.ensure()

    def ensure(self) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS sf_sessions (token TEXT PRIMARY KEY, kind TEXT NOT "
                "NULL, user_id TEXT NOT NULL, issued_at INTEGER NOT NULL, revoked INTEGER NOT "
                "NULL DEFAULT 0)"
            )
            for token, kind in (
                (self.creds.sf_access_token, "access"),
                (self.creds.sf_refresh_token, "refresh"),
            ):
                conn.execute(
                    "INSERT OR IGNORE INTO sf_sessions VALUES (?, ?, ?, ?, 0)",
                    (token, kind, self.creds.sf_user_id, self._now_ms()),
                )

    def reset(self) -> None:
        """Forget minted sessions; the env's long-lived tokens work again."""
        with self.db.transaction() as conn:
            conn.execute("DROP TABLE IF EXISTS sf_sessions")
        self.ensure()

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def check(self, token: str) -> Session | None:
        """The live access session of ``token``, or None."""
        with self.db.reading() as conn:
            row = conn.execute(
                "SELECT token, user_id, issued_at FROM sf_sessions WHERE token = ? AND "
                "kind = 'access' AND revoked = 0",
                (token,),
            ).fetchone()
        return Session(row[0], row[1], row[2]) if row else None

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token (a refresh token takes its sessions along)."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT kind FROM sf_sessions WHERE token = ? AND revoked = 0", (token,)
            ).fetchone()
            if row is None:
                return False
            conn.execute("UPDATE sf_sessions SET revoked = 1 WHERE token = ?", (token,))
            if row[0] == "refresh":
                conn.execute("UPDATE sf_sessions SET revoked = 1 WHERE kind = 'access'")
        return True

    def _mint(self) -> tuple[str, int]:
        org = self.creds.sf_org_id[:15]
        token = f"{org}!AQ" + secrets.token_urlsafe(72)[:96]
        issued = self._now_ms()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sf_sessions VALUES (?, 'access', ?, ?, 0)",
                (token, self.creds.sf_user_id, issued),
            )
        return token, issued

    # ---- grants ------------------------------------------------------------------------------

    def grant(
        self, form: dict[str, str], basic: tuple[str, str] | None, instance_url: str
    ) -> dict[str, Any]:
        """Answer a token request (form fields, optional HTTP Basic client credentials)."""
        grant_type = form.get("grant_type", "")
        creds = self.creds
        client_id = form.get("client_id") or (basic[0] if basic else "")
        client_secret = form.get("client_secret") or (basic[1] if basic else "")
        if grant_type == "password":
            self._check_client(client_id, client_secret, secret_required=True)
            expected = creds.sf_password + creds.sf_security_token
            if form.get("username") != creds.sf_username or form.get("password") != expected:
                raise OAuthError("invalid_grant", "authentication failure")
        elif grant_type == "client_credentials":
            if client_id != creds.sf_client_id or client_secret != creds.sf_client_secret:
                raise OAuthError("invalid_client", "invalid client credentials")
        elif grant_type == "refresh_token":
            self._check_client(client_id, client_secret, secret_required=False)
            if not self._live_refresh(form.get("refresh_token", "")):
                raise OAuthError("invalid_grant", "expired access/refresh token")
        elif grant_type == JWT_GRANT:
            self._check_jwt(form.get("assertion", ""))
        elif not grant_type:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        token, issued = self._mint()
        identity = f"{instance_url}/id/{creds.sf_org_id}/{creds.sf_user_id}"
        signature = base64.b64encode(
            hmac.new(
                creds.sf_client_secret.encode(), f"{identity}{issued}".encode(), hashlib.sha256
            ).digest()
        ).decode()
        reply: dict[str, Any] = {
            "access_token": token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": str(issued),
            "signature": signature,
        }
        if grant_type in ("refresh_token", "password"):
            reply["scope"] = "api refresh_token"
        return reply

    def _check_client(self, client_id: str, secret: str, *, secret_required: bool) -> None:
        if client_id != self.creds.sf_client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if (secret or secret_required) and secret != self.creds.sf_client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")

    def _live_refresh(self, token: str) -> bool:
        with self.db.reading() as conn:
            row = conn.execute(
                "SELECT 1 FROM sf_sessions WHERE token = ? AND kind = 'refresh' AND revoked = 0",
                (token,),
            ).fetchone()
        return row is not None

    def _check_jwt(self, assertion: str) -> None:
        """Claims of a JWT bearer assertion: RS256, iss = client id, sub = username, exp.

        The signature is not verified: the sandbox org has no uploaded certificate.
        """
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        if header.get("alg") != "RS256":
            raise OAuthError("invalid_grant", "invalid assertion")
        if claims.get("iss") != self.creds.sf_client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if claims.get("sub") != self.creds.sf_username:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp * 1000 < self._now_ms():
            raise OAuthError("invalid_grant", "expired authorization code")


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer t`` or ``Authorization: OAuth t``."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return None
    return token.strip()


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode()
    except ValueError:
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
