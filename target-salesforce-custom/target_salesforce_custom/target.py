"""The Singer target: settings, the Salesforce and HubSpot sessions, and the run report.

The reverse leg's loader (DESIGN §1): map-crm's hs_to_sf streams into Salesforce objects,
reconciled against the sync ledger like the forward leg (shared :mod:`crm_sync.sync`).
Salesforce is reached through the core's one client (:mod:`crm_sync.salesforce`); HubSpot
is called only to write new Salesforce ids back (``hs_access_token``), within
``hs_max_daily_share`` of the portal's daily limit; the writes stay within
``max_api_share`` of the org's daily API limit. A quota stop on either side
(:mod:`crm_sync.stops`, exit 3) commits what the batch wrote before the run ends. Sinks drain one at
a time (``max_parallelism = 1``; each keeps ``max_workers`` calls in flight), so parents
(accounts) land before children whose lookups point at them. The end of the run (dead
letters, pending lookups, the run report) is :class:`crm_sync.sync.target.SyncTarget`'s.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import requests
from singer_sdk import typing as th

from crm_sync.http import CallCounter, ResilientSession, RetryPolicy, WindowLimiter
from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.hubspot.daily import DEFAULT_MAX_DAILY_SHARE
from crm_sync.salesforce import (
    DEFAULT_MAX_API_SHARE,
    SalesforceClient,
    SalesforceSettings,
)
from crm_sync.singer import number_setting, salesforce_login_settings
from crm_sync.sync.publish import DEFAULT_LEDGER, LOG_VALUES_SETTING
from crm_sync.sync.state import STATE_INTERVAL_SETTING
from crm_sync.sync.target import RefusedRecordsError, SyncTarget
from crm_sync.vocabulary import Side
from target_salesforce_custom.sinks import SalesforceSink


def _secret(name: str, description: str) -> th.Property[Any]:
    return th.Property(name, th.StringType, secret=True, description=description)


class TargetSalesforceCustom(SyncTarget):
    """Reconciled upserts into Salesforce objects (collections or Bulk 2.0), with the ledger."""

    name = "target-salesforce-custom"
    default_sink_class = SalesforceSink
    destination_label = "Salesforce"

    config_jsonschema = th.PropertiesList(
        # --- Salesforce login: the same settings as tap-salesforce-custom
        *salesforce_login_settings(),
        th.Property(
            "ca_bundle",
            th.StringType,
            description="CA bundle to verify TLS with (both APIs; TLS is always verified).",
        ),
        number_setting(
            "max_api_share",
            default=DEFAULT_MAX_API_SHARE,
            description="Stop cleanly (exit 3: what Salesforce accepted is linked and "
            "written back, the rest is written by the next run, the state saved so far is "
            "resumable) once the org's daily API usage (Sforce-Limit-Info api-usage) "
            "reaches this share of its Max.",
        ),
        # --- HubSpot, for the write-back of new Salesforce ids
        _secret("hs_access_token", "HubSpot private-app token (write-back of Salesforce ids)."),
        th.Property(
            "hs_base_url",
            th.StringType,
            default="https://api.hubapi.com",
            description="HubSpot API host (the sandbox's CRM_SANDBOX_HS_BASE_URL in tests).",
        ),
        th.Property(
            "hs_rate_limit_per_10s",
            th.IntegerType,
            default=190,
            description="HubSpot calls per rolling 10 s.",
        ),
        number_setting(
            "hs_max_daily_share",
            default=DEFAULT_MAX_DAILY_SHARE,
            description="Stop cleanly (exit 3: the run report is printed, the ids not "
            "written back stay dead letters for the next run, the state saved so far is "
            "resumable) once the HubSpot portal's daily API usage "
            "(X-HubSpot-RateLimit-Daily / -Daily-Remaining, private apps) reaches this share "
            "of its daily limit.",
        ),
        # --- the sync
        th.Property(
            "ledger_url",
            th.StringType,
            secret=True,  # a database URL can hold a password
            description=f"SQLAlchemy URL of the sync ledger; default {DEFAULT_LEDGER}.",
        ),
        th.Property(
            "dry_run",
            th.BooleanType,
            default=False,
            description="Reconcile and print the plan without writing anything.",
        ),
        th.Property("plan_path", th.StringType, description="Write the plan / report as JSON."),
        LOG_VALUES_SETTING,
        STATE_INTERVAL_SETTING,
        th.Property(
            "fail_on_refused",
            th.BooleanType,
            default=False,
            description="Exit non-zero when Salesforce refused records (they are in the "
            "ledger's dead letters either way).",
        ),
        th.Property(
            "bulk_threshold",
            th.IntegerType,
            default=2000,
            description="Creates+updates in one batch from which Bulk API 2.0 ingest is used "
            "instead of sObject collections.",
        ),
        th.Property(
            "max_workers", th.IntegerType, default=4, description="Calls in flight at once."
        ),
        number_setting(
            "bulk_poll_seconds",
            default=0.5,
            description="Seconds between two status checks of a Bulk API 2.0 ingest job.",
        ),
    ).to_dict()

    # ------------------------------------------------------------------ shared resources
    @cached_property
    def call_counter(self) -> CallCounter:
        """API calls of both sessions (Salesforce writes and HubSpot write-backs)."""
        return CallCounter()

    def _session(self, limiter: WindowLimiter | None) -> ResilientSession:
        session = ResilientSession(
            limiter=limiter,
            policy=RetryPolicy(),
            counter=self.call_counter,
            ca_bundle=self.config.get("ca_bundle"),
        )
        workers = int(self.config.get("max_workers") or 4)
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, workers * 2))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = f"{self.name} (crm-sync)"
        return session

    @cached_property
    def client(self) -> SalesforceClient:
        given = {k: v for k, v in self.config.items() if v is not None}
        defaults = {"bulk_poll_seconds": 0.5, "max_api_share": DEFAULT_MAX_API_SHARE}
        settings = SalesforceSettings.from_config(defaults | given)
        return SalesforceClient(settings, self._session(None), user_agent=f"{self.name} (crm-sync)")

    @cached_property
    def hubspot(self) -> HubSpotClient | None:
        token = self.config.get("hs_access_token")
        if not token:
            self.logger.warning(
                "hs_access_token is not set: new Salesforce ids are not written back to "
                "HubSpot, so the forward leg cannot find the records it should update"
            )
            return None
        limiter = WindowLimiter(int(self.config.get("hs_rate_limit_per_10s") or 190), 10.0)
        given = {k: v for k, v in self.config.items() if v is not None}
        return HubSpotClient(
            HubSpotSettings.from_config(
                {"hs_max_daily_share": DEFAULT_MAX_DAILY_SHARE} | given, "hs_"
            ),
            self._session(limiter),
            user_agent=f"{self.name} (crm-sync)",
        )

    def account_ids(self) -> dict[Side, str]:
        ids = {Side.SALESFORCE: self.client.org_id()}
        if self.hubspot is not None:
            ids[Side.HUBSPOT] = self.hubspot.portal_id()
        return ids

    # ------------------------------------------------------------------ --test
    def connection_check(self) -> list[str]:
        """Salesforce logs in and answers (describe global), HubSpot too if the
        write-back is set, and the ledger opens."""
        objects = self.client.describe_global()
        lines = [f"Salesforce {self.client.instance_url}: logged in, {len(objects)} object(s)"]
        if self.hubspot is not None:
            custom = self.hubspot.list_schemas()
            lines.append(f"HubSpot {self.hubspot.base_url}: logged in, {len(custom)} custom "
                         "object(s) (write-back of new ids)")  # fmt: skip
        lines.append(f"ledger: opened, schema v{self.ledger.schema_version}")
        return lines


__all__ = ["RefusedRecordsError", "TargetSalesforceCustom"]

if __name__ == "__main__":
    TargetSalesforceCustom.cli()
