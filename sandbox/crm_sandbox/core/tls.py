"""A local CA and a server certificate for 127.0.0.1, made once per data directory."""

from __future__ import annotations

import trustme

from crm_sandbox.core.datadir import DataDir


def ensure_tls(data_dir: DataDir) -> None:
    """Create ``tls/ca.pem`` and ``tls/server.pem`` unless both already exist."""
    if data_dir.ca_bundle.exists() and data_dir.server_cert.exists():
        return
    data_dir.tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="crm-sync sandbox CA")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    server_tmp = data_dir.server_cert.with_suffix(".tmp")
    cert.private_key_and_cert_chain_pem.write_to_path(str(server_tmp))
    server_tmp.chmod(0o600)
    ca_tmp = data_dir.ca_bundle.with_suffix(".tmp")
    ca.cert_pem.write_to_path(str(ca_tmp))
    server_tmp.replace(data_dir.server_cert)
    ca_tmp.replace(data_dir.ca_bundle)
