"""The extractors measured: ours (from this checkout) and the peers (from PyPI).

Each entry says how to install it, configure it against the sandbox, discover and
select the stream under test, run it, and read its output. Peers reach the sandbox
through the host redirect of ``redirect/sitecustomize.py``; ours are configured with
the sandbox's URLs, as any user of them would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .output import Reading, Record

ROOT = Path(__file__).resolve().parents[2]

SALESFORCE = "salesforce"
HUBSPOT = "hubspot"

#: Vendor hosts the peers hard-code, sent to the sandbox by the redirect.
REDIRECTED_HOSTS = ("login.salesforce.com", "test.salesforce.com", "api.hubapi.com")


@dataclass(frozen=True)
class Setup:
    """What every configuration is built from."""

    env: dict[str, str]  # `crm-sandbox env`
    start_date: str  # ISO 8601, before every seeded record
    sf_object: str
    hs_object: str


@dataclass(frozen=True)
class Extractor:
    """One row group of the table: an extractor in one mode."""

    key: str
    label: str
    mode: str
    api: str
    style: str  # "ours" | "singer" | "airbyte"
    command: str
    reading: Reading
    config: Callable[[Setup], dict[str, Any]]
    requirements: tuple[str, ...] = ()  # pip requirements of a peer's venv
    venv: str = ""  # peer venv name (several modes may share one)
    baseline: str = ""  # key of our extractor this peer is compared with
    catalog_flag: str = "--catalog"
    notes: list[str] = field(default_factory=list)

    @property
    def ours(self) -> bool:
        return self.style == "ours"


def _sf_id(record: Record) -> Any:
    return record.get("Id")


def _sf_deleted(record: Record) -> bool:
    return bool(record.get("IsDeleted")) or bool(record.get("_sdc_deleted_at"))


def _hs_id(record: Record) -> Any:
    return record.get("id") or record.get("companyId")


def _hs_deleted(record: Record) -> bool:
    return (
        bool(record.get("archived"))
        or bool(record.get("_sdc_deleted_at"))
        or bool(record.get("isDeleted"))
    )


def _ours_sf(api_type: str) -> Callable[[Setup], dict[str, Any]]:
    def config(setup: Setup) -> dict[str, Any]:
        env = setup.env
        return {
            "login_url": env["CRM_SANDBOX_SF_LOGIN_URL"],
            "instance_url": env["CRM_SANDBOX_SF_INSTANCE_URL"],
            "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
            "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
            "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
            "api_version": env["CRM_SANDBOX_SF_API_VERSION"],
            "objects": [setup.sf_object],
            "api_type": api_type,
        }

    return config


def _ours_hs(setup: Setup) -> dict[str, Any]:
    env = setup.env
    return {
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "objects": [setup.hs_object],
        # The sandbox portal's limit (Pro/Enterprise private app); the tap's default,
        # 100, is the Free/Starter one. Peers do not pace themselves at all.
        "max_requests_per_10s": 190,
    }


def _singer_sf(api_type: str) -> Callable[[Setup], dict[str, Any]]:
    def config(setup: Setup) -> dict[str, Any]:
        env = setup.env
        return {
            "refresh_token": env["CRM_SANDBOX_SF_REFRESH_TOKEN"],
            "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
            "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
            "start_date": setup.start_date,
            "api_type": api_type,
            "select_fields_by_default": True,
            "is_sandbox": False,
        }

    return config


def _airbyte_sf(setup: Setup) -> dict[str, Any]:
    env = setup.env
    return {
        "auth_type": "Client",
        "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
        "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
        "refresh_token": env["CRM_SANDBOX_SF_REFRESH_TOKEN"],
        "is_sandbox": False,
        "start_date": setup.start_date,
    }


def _meltano_hs(setup: Setup) -> dict[str, Any]:
    # No start_date: with one, its first run pages the search API (100 a call, 10,000
    # cap) instead of the list API; without, it lists like ours and searches from its
    # bookmark on the next run, so both taps do the same job.
    return {"access_token": setup.env["CRM_SANDBOX_HS_ACCESS_TOKEN"]}


def _meltano_hs_start_date(setup: Setup) -> dict[str, Any]:
    # How many run it: with a start_date every run pages the search API.
    return {**_meltano_hs(setup), "start_date": setup.start_date}


def _singer_hs(setup: Setup) -> dict[str, Any]:
    # `api_key` is sent as a Bearer token: a private app's token, no OAuth refresh.
    return {
        "api_key": setup.env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "start_date": setup.start_date,
        "select_fields_by_default": "true",
    }


def extractors(sf_object: str = "Project__c", hs_object: str = "companies") -> list[Extractor]:
    """Every extractor, ours first within each API (the peers are compared with them)."""
    sf = Reading("singer", sf_object, _sf_id, _sf_deleted)
    hs = Reading("singer", hs_object, _hs_id, _hs_deleted)
    return [
        Extractor(
            "ours-sf-rest", "tap-salesforce-custom (ours)", "REST", SALESFORCE, "ours",
            str(ROOT / ".venv/bin/tap-salesforce-custom"), sf, _ours_sf("rest"),
        ),
        Extractor(
            "ours-sf-bulk", "tap-salesforce-custom (ours)", "Bulk 2.0", SALESFORCE, "ours",
            str(ROOT / ".venv/bin/tap-salesforce-custom"), sf, _ours_sf("bulk"),
        ),
        Extractor(
            "singer-sf-rest", "tap-salesforce (singer-io)", "REST", SALESFORCE, "singer",
            "tap-salesforce", sf, _singer_sf("REST"), ("tap-salesforce==2.8.1",),
            "tap-salesforce", "ours-sf-rest", "--properties",
        ),
        Extractor(
            "singer-sf-bulk", "tap-salesforce (singer-io)", "BULK (1.0)", SALESFORCE, "singer",
            "tap-salesforce", sf, _singer_sf("BULK"), ("tap-salesforce==2.8.1",),
            "tap-salesforce", "ours-sf-bulk", "--properties",
        ),
        Extractor(
            "airbyte-sf", "airbyte-source-salesforce", "Bulk 2.0", SALESFORCE, "airbyte",
            "source-salesforce", Reading("airbyte", sf_object, _sf_id, _sf_deleted),
            _airbyte_sf, ("airbyte-source-salesforce==2.10.3",),
            "airbyte-source-salesforce", "ours-sf-bulk",
        ),
        Extractor(
            "ours-hs", "tap-hubspot-custom (ours)", "list / search", HUBSPOT, "ours",
            str(ROOT / ".venv/bin/tap-hubspot-custom"), hs, _ours_hs,
        ),
        Extractor(
            "meltano-hs", "meltano-tap-hubspot (MeltanoLabs)", "list / search", HUBSPOT, "singer",
            "tap-hubspot", hs, _meltano_hs, ("meltano-tap-hubspot==0.10.1",),
            "meltano-tap-hubspot", "ours-hs",
        ),
        Extractor(
            "meltano-hs-search", "meltano-tap-hubspot (MeltanoLabs)", "search (start_date)",
            HUBSPOT, "singer", "tap-hubspot", hs, _meltano_hs_start_date,
            ("meltano-tap-hubspot==0.10.1",), "meltano-tap-hubspot", "ours-hs",
        ),
        Extractor(
            "singer-hs", "tap-hubspot (singer-io)", "v2 companies", HUBSPOT, "singer",
            "tap-hubspot", hs, _singer_hs, ("tap-hubspot==4.5.0",),
            "tap-hubspot", "ours-hs", "--properties",
        ),
    ]  # fmt: skip
