"""The Singer target: settings, one shared HTTP session and rate limiter, and the run report.

Every sink of a run shares one :class:`~crm_sync.http.ResilientSession` (so the portal's
10-second window is respected across streams, at 95 % of it so that the server's window,
which is not aligned with ours, never answers 429), one ledger, one call counter and one
:class:`~target_hubspot_custom.pipeline.WritePipeline` (writes of a batch overlap the
reconciliation of the next; STATE waits for it, see :mod:`crm_sync.sync.state`). Sinks are
drained one at a time
(``max_parallelism = 1``): each sink already keeps ``max_workers`` requests in flight,
and draining in stream order (the pipeline keeps it) lets parents (companies) land
before children that associate to them. The end of the run (dead letters, pending
associations, the run report) is :class:`crm_sync.sync.target.SyncTarget`'s.
"""

from __future__ import annotations

from functools import cached_property

from singer_sdk import typing as th

from crm_sync.http import CallCounter, ResilientSession, RetryPolicy, WindowLimiter
from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.hubspot.daily import DEFAULT_MAX_DAILY_SHARE
from crm_sync.hubspot.properties import warn_create_setting
from crm_sync.salesforce import SalesforceClient, SalesforceSettings
from crm_sync.singer import number_setting, salesforce_login_settings
from crm_sync.sync.publish import DEFAULT_LEDGER, LOG_VALUES_SETTING
from crm_sync.sync.state import STATE_INTERVAL_SETTING
from crm_sync.sync.target import RefusedRecordsError, SyncTarget
from crm_sync.vocabulary import Side
from target_hubspot_custom.associations import AssociationMaker
from target_hubspot_custom.pipeline import WritePipeline
from target_hubspot_custom.sinks import HubSpotSink
from target_hubspot_custom.writeback import DEFAULT_BULK_THRESHOLD

RATE_MARGIN = 0.95
"""Share of the portal's 10-second limit the run uses (see :class:`WindowLimiter`)."""
SF_PREFIX = "sf_"
"""Salesforce settings (for the write-back of HubSpot ids) are the tap's, prefixed."""
PIPELINE_DEPTH = 2
"""Batches reconciled ahead of the one being written (each ``batch_size_rows``, by default
1,000 records: see :attr:`HubSpotSink.MAX_SIZE_DEFAULT`)."""


class TargetHubSpotCustom(SyncTarget):
    """Batched, rate-aware upserts into HubSpot CRM objects, with the sync ledger."""

    name = "target-hubspot-custom"
    default_sink_class = HubSpotSink
    destination_label = "HubSpot"
    create_setting_warned = False
    salesforce_warned = False

    config_jsonschema = th.PropertiesList(
        th.Property(
            "access_token",
            th.StringType,
            required=True,
            secret=True,
            description="HubSpot private-app access token (pat-…).",
        ),
        th.Property(
            "base_url",
            th.StringType,
            default="https://api.hubapi.com",
            description="API base URL (the sandbox's CRM_SANDBOX_HS_BASE_URL).",
        ),
        th.Property(
            "ca_bundle",
            th.StringType,
            description="CA bundle to verify TLS with (the sandbox's own CA).",
        ),
        th.Property(
            "ledger_url",
            th.StringType,
            secret=True,  # a database URL can hold a password
            description="SQLAlchemy URL of the sync ledger; default a SQLite file "
            f"at {DEFAULT_LEDGER}.",
        ),
        th.Property(
            "dry_run",
            th.BooleanType,
            default=False,
            description="Reconcile and print the plan without writing anything.",
        ),
        th.Property(
            "plan_path", th.StringType, description="Where to write the plan / run report as JSON."
        ),
        LOG_VALUES_SETTING,
        STATE_INTERVAL_SETTING,
        th.Property(
            "max_workers",
            th.IntegerType,
            default=8,
            description="Batch requests in flight at once.",
        ),
        th.Property(
            "rate_limit_per_10s",
            th.IntegerType,
            default=190,
            description="Calls per rolling 10 s (the portal's X-HubSpot-RateLimit-Max);"
            " the server's headers pause us earlier if it says so.",
        ),
        number_setting(
            "max_daily_share",
            default=DEFAULT_MAX_DAILY_SHARE,
            description="Stop cleanly (exit 3: the run report is printed, the state saved "
            "so far is resumable) once the portal's daily API usage "
            "(X-HubSpot-RateLimit-Daily / -Daily-Remaining, private apps) reaches this share "
            "of its daily limit.",
        ),
        th.Property(
            "fail_on_refused",
            th.BooleanType,
            default=False,
            description="Exit non-zero when HubSpot refused records (they are in the "
            "ledger's dead letters either way).",
        ),
        th.Property(
            "create_missing_properties",
            th.BooleanType,
            default=False,
            description="Create properties the stream needs that the object lacks, and "
            "association labels the mapping names that the portal lacks.",
        ),
        th.Property(
            "create_object_schema",
            th.BooleanType,
            default=False,
            description="Plain streams: create a missing custom object from the stream. "
            "Deprecated for mapped streams: say it per mapping in the spec "
            "(hubspot.create_object), which map-crm validate reads too; this setting still "
            "answers for a spec that does not say, with a WARNING.",
        ),
        th.Property(
            "object_map",
            th.ObjectType(additional_properties=th.StringType),
            description="Plain streams: stream name -> HubSpot object "
            "(contacts, companies, deals, or a custom object name).",
        ),
        th.Property(
            "id_property",
            th.StringType,
            description="Plain streams: the unique HubSpot property holding the "
            "stream's key, or email for contacts (default: the stream's single key "
            "property).",
        ),
        th.Property(
            "id_properties",
            th.ObjectType(additional_properties=th.StringType),
            description="Plain streams: per-stream id_property overrides.",
        ),
        # --- Salesforce, for the write-back of new HubSpot ids (the tap's login settings)
        th.Property(
            "write_back_ids",
            th.BooleanType,
            default=True,
            description="Write the HubSpot id of each record synced from Salesforce into "
            "the mapping's salesforce.id_field (e.g. HubSpot_Id__c), as HubSpot's own "
            "integration does; needs the sf_* login settings. A mapping opts out with "
            "salesforce.write_back: false.",
        ),
        *salesforce_login_settings(SF_PREFIX, purpose="write-back of HubSpot ids"),
        number_setting(
            "sf_max_api_share",
            default=0.8,
            description="Stop cleanly (exit 3; the ids not written back stay queued in the "
            "ledger for the next run) once the org's daily API usage (Sforce-Limit-Info) reaches "
            "this share of its Max.",
        ),
        th.Property(
            "sf_bulk_threshold",
            th.IntegerType,
            default=DEFAULT_BULK_THRESHOLD,
            description="Id write-backs that wait in the ledger, across batches, until this "
            "many fill one Bulk API 2.0 update job (about 6 calls and one of the org's "
            "15,000 daily Bulk batches for 10,000 ids); fewer left at the end of the run go "
            "by sObject collections (200 per call).",
        ),
    ).to_dict()

    # ------------------------------------------------------------------ shared resources
    @cached_property
    def call_counter(self) -> CallCounter:
        return CallCounter()

    @cached_property
    def limiter(self) -> WindowLimiter:
        limit = int(self.config.get("rate_limit_per_10s") or 190)
        return WindowLimiter(limit, 10.0, margin=RATE_MARGIN)

    @cached_property
    def pipeline(self) -> WritePipeline:
        return WritePipeline(PIPELINE_DEPTH)

    @cached_property
    def session(self) -> ResilientSession:
        session = ResilientSession(
            limiter=self.limiter,
            policy=RetryPolicy(),
            counter=self.call_counter,
            ca_bundle=self.config.get("ca_bundle"),
        )
        workers = int(self.config.get("max_workers") or 8)
        adapter = __import__("requests").adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=max(10, workers * 2)
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @cached_property
    def client(self) -> HubSpotClient:
        return HubSpotClient(
            HubSpotSettings.from_config(
                {"max_daily_share": DEFAULT_MAX_DAILY_SHARE}
                | {k: v for k, v in self.config.items() if v is not None}
            ),
            self.session,
            user_agent="target-hubspot-custom (crm-sync)",
        )

    @cached_property
    def salesforce(self) -> SalesforceClient | None:
        """The org, for the write-back of HubSpot ids (None: ``write_back_ids`` off, or
        no Salesforce login given)."""
        if not self.config.get("write_back_ids", True):
            return None
        given = {k: v for k, v in self.config.items() if v is not None}
        defaults = {"sf_max_api_share": 0.8, "sf_ca_bundle": self.config.get("ca_bundle")}
        settings = SalesforceSettings.from_config(defaults | given, SF_PREFIX)
        if not settings.configured:
            return None  # a mapped stream says so (warn_no_salesforce); plain ones need none
        session = ResilientSession(
            policy=RetryPolicy(), counter=self.call_counter, ca_bundle=settings.ca_bundle
        )
        return SalesforceClient(settings, session, user_agent="target-hubspot-custom (crm-sync)")

    @cached_property
    def associations(self) -> AssociationMaker:
        return AssociationMaker(
            self.client,
            self.ledger,
            create_labels=bool(self.config.get("create_missing_properties")) and not self.dry_run,
        )

    def warn_no_salesforce(self) -> None:
        """Once a run: a mapped stream would write HubSpot ids back, but no login is set."""
        if not self.salesforce_warned:
            self.salesforce_warned = True
            self.logger.warning(
                "write_back_ids is on but no Salesforce login is set (sf_instance_url + "
                "sf_access_token, or sf_client_id ...): new HubSpot ids are not written "
                "back to Salesforce"
            )

    def warn_create_setting(self) -> None:
        """Once a run: a mapped stream's object creation came from the deprecated setting."""
        if not self.create_setting_warned:
            self.create_setting_warned = True
            warn_create_setting(self.name, self.config, self.logger)

    def account_ids(self) -> dict[Side, str]:
        ids = {Side.HUBSPOT: self.client.portal_id()}
        if self.salesforce is not None:
            ids[Side.SALESFORCE] = self.salesforce.org_id()
        return ids

    # ------------------------------------------------------------------ --test
    def connection_check(self) -> list[str]:
        """HubSpot answers with the token (one schemas call); the ledger opens."""
        custom = self.client.list_schemas()
        lines = [f"HubSpot {self.client.base_url}: logged in, {len(custom)} custom object(s)"]
        if self.salesforce is not None:
            objects = self.salesforce.describe_global()
            lines.append(f"Salesforce {self.salesforce.instance_url}: logged in, "
                         f"{len(objects)} object(s) (write-back of new ids)")  # fmt: skip
        ledger = self.ledger
        lines.append(
            f"ledger: schema v{ledger.schema_version}, {ledger.count_records()} linked record(s)"
        )
        return lines

    # ------------------------------------------------------------------ writes
    def settle(self) -> None:
        """Every batch handed to the pipeline is written and committed."""
        self.pipeline.wait()

    def close_writes(self) -> None:
        self.pipeline.close()


__all__ = ["RefusedRecordsError", "TargetHubSpotCustom"]

if __name__ == "__main__":
    TargetHubSpotCustom.cli()
