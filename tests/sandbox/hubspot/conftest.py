"""hubspot-api-client configured only from what `crm-sandbox env` prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hubspot import HubSpot

from crm_sandbox.core.process import RunningSandbox


def make_client(env: dict[str, str], token: str | None = None) -> HubSpot:
    # HubSpot() sets every extra keyword on each API module's Configuration, so the
    # CA bundle reaches all of them (crm.objects, crm.schemas, oauth, ...).
    return HubSpot(
        access_token=token or env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        host=env["CRM_SANDBOX_HS_BASE_URL"],
        ssl_ca_cert=env["CRM_SANDBOX_CA_BUNDLE"],
    )


@pytest.fixture
def portal(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The worker's sandbox with an empty HubSpot portal (only the `project` schema)."""
    sandbox.set_faults()
    sandbox.reset(["hubspot"])
    yield sandbox
    sandbox.set_faults()


@pytest.fixture
def hs(portal: RunningSandbox) -> HubSpot:
    return make_client(portal.env)


class Raw:
    """Plain HTTPS calls for what the SDK cannot express (comma lists, bad tokens)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = env["CRM_SANDBOX_HS_BASE_URL"]
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_HS_ACCESS_TOKEN']}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=30, **kwargs)


@pytest.fixture
def raw(portal: RunningSandbox) -> Raw:
    return Raw(portal.env)


def body_of(exc: Any) -> dict[str, Any]:
    return json.loads(exc.body)
