"""The sandbox's data directory: credentials, TLS material, settings and runtime info.

Layout::

    DIR/credentials.json   secrets of the org and the portal (made once, on first use)
    DIR/tls/ca.pem         the CA bundle clients verify against
    DIR/tls/server.pem     the server's certificate chain and key
    DIR/settings.json      fault and limit settings the server starts with
    DIR/runtime.json       pids and ports of the running server (absent when stopped):
                           ``port`` serves Salesforce and the control API, ``hs_port``
                           HubSpot (absent when one process serves both on ``port``)
    DIR/server.log         the server's log (both processes)
    DIR/*.db               SQLite stores (salesforce.db, hubspot.db) and call counts
                           (calls-salesforce.db, calls-hubspot.db)
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SALESFORCE_API_VERSION = "62.0"


@dataclass(frozen=True)
class Credentials:
    """Secrets the sandbox accepts; `crm-sandbox env` prints them."""

    sf_org_id: str
    sf_user_id: str
    sf_client_id: str
    sf_client_secret: str
    sf_username: str
    sf_password: str
    sf_security_token: str
    sf_refresh_token: str
    sf_access_token: str
    hs_portal_id: int
    hs_access_token: str
    hs_client_id: str
    hs_client_secret: str
    hs_refresh_token: str

    @classmethod
    def generate(cls) -> Credentials:
        org = "00D5g000004" + secrets.token_hex(2).upper()[:4]
        return cls(
            sf_org_id=org + "AAA",
            sf_user_id="0055g000004" + secrets.token_hex(2).upper()[:4] + "AAA",
            sf_client_id="3MVG9" + secrets.token_urlsafe(60)[:80],
            sf_client_secret=secrets.token_hex(32).upper(),
            sf_username="integration@crm-sync.sandbox",
            sf_password="sandbox-" + secrets.token_urlsafe(9),
            sf_security_token=secrets.token_urlsafe(18)[:24],
            sf_refresh_token="5Aep861" + secrets.token_urlsafe(64)[:80],
            sf_access_token=f"{org}!AQ" + secrets.token_urlsafe(72)[:96],
            hs_portal_id=secrets.randbelow(89_000_000) + 10_000_000,
            hs_access_token=f"pat-na1-{uuid.uuid4()}",
            hs_client_id=str(uuid.uuid4()),
            hs_client_secret=str(uuid.uuid4()),
            hs_refresh_token=f"na1-{secrets.token_hex(2)}-{uuid.uuid4()}",
        )


class DataDir:
    """Accessors for the files of one sandbox data directory."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()

    def ensure(self) -> DataDir:
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    @property
    def tls_dir(self) -> Path:
        return self.path / "tls"

    @property
    def ca_bundle(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.tls_dir / "server.pem"

    @property
    def log_file(self) -> Path:
        return self.path / "server.log"

    def db_path(self, name: str) -> Path:
        return self.path / f"{name}.db"

    def credentials(self) -> Credentials:
        """The directory's credentials, generated and stored on first use."""
        path = self.path / "credentials.json"
        if path.exists():
            return Credentials(**json.loads(path.read_text()))
        self.ensure()
        creds = Credentials.generate()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(creds), indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
        return creds

    def read_json(self, name: str) -> dict[str, Any] | None:
        path = self.path / name
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        self.ensure()
        path = self.path / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)

    def remove(self, name: str) -> None:
        (self.path / name).unlink(missing_ok=True)

    def base_url(self, port: int) -> str:
        return f"https://127.0.0.1:{port}"

    def env(self, port: int, hs_port: int | None = None) -> dict[str, str]:
        """What `crm-sandbox env` prints: everything a client is configured from.

        ``hs_port`` is the HubSpot process's port (default: ``port``, one process)."""
        creds = self.credentials()
        base = self.base_url(port)
        return {
            "CRM_SANDBOX_DATA_DIR": str(self.path),
            "CRM_SANDBOX_SF_LOGIN_URL": base,
            "CRM_SANDBOX_SF_INSTANCE_URL": base,
            "CRM_SANDBOX_SF_API_VERSION": SALESFORCE_API_VERSION,
            "CRM_SANDBOX_SF_CLIENT_ID": creds.sf_client_id,
            "CRM_SANDBOX_SF_CLIENT_SECRET": creds.sf_client_secret,
            "CRM_SANDBOX_SF_USERNAME": creds.sf_username,
            "CRM_SANDBOX_SF_PASSWORD": creds.sf_password,
            "CRM_SANDBOX_SF_SECURITY_TOKEN": creds.sf_security_token,
            "CRM_SANDBOX_SF_REFRESH_TOKEN": creds.sf_refresh_token,
            "CRM_SANDBOX_SF_ACCESS_TOKEN": creds.sf_access_token,
            "CRM_SANDBOX_HS_BASE_URL": self.base_url(hs_port or port),
            "CRM_SANDBOX_HS_ACCESS_TOKEN": creds.hs_access_token,
            "CRM_SANDBOX_HS_PORTAL_ID": str(creds.hs_portal_id),
            "CRM_SANDBOX_HS_CLIENT_ID": creds.hs_client_id,
            "CRM_SANDBOX_HS_CLIENT_SECRET": creds.hs_client_secret,
            "CRM_SANDBOX_HS_REFRESH_TOKEN": creds.hs_refresh_token,
            "CRM_SANDBOX_CA_BUNDLE": str(self.ca_bundle),
        }
