"""tap-salesforce-custom: incremental Salesforce extractor (REST query + Bulk API 2.0)."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from crm_sync.backfill import MappingScopes
from crm_sync.salesforce import (
    DEFAULT_MAX_API_SHARE,
    SalesforceAPIError,
    SalesforceClient,
    SalesforceSettings,
)
from crm_sync.singer import (
    AnnotatedTap,
    load_tap_mappings,
    mappings_dir_setting,
    number_setting,
    salesforce_login_settings,
)
from crm_sync.spec import Mapping as SpecMapping
from crm_sync.vocabulary import Direction
from tap_salesforce_custom.discovery import (
    DEFAULT_OBJECTS,
    describe_global,
    describe_objects,
    select_objects,
)
from tap_salesforce_custom.refresh import plan_for
from tap_salesforce_custom.sf_types import object_schema
from tap_salesforce_custom.soql import validation_query
from tap_salesforce_custom.streams import SalesforceObjectStream


class TapSalesforceCustom(AnnotatedTap):
    """Salesforce objects, incrementally by SystemModstamp, deletes included."""

    name = "tap-salesforce-custom"
    capabilities = [
        TapCapabilities.CATALOG,
        TapCapabilities.DISCOVER,
        TapCapabilities.STATE,
        TapCapabilities.TEST,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    config_jsonschema = th.PropertiesList(
        # --- where and how to log in
        *salesforce_login_settings(),
        th.Property(
            "ca_bundle",
            th.StringType,
            description="CA bundle file for TLS verification (TLS is always verified).",
        ),
        # --- what to read
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Earliest SystemModstamp to read when a stream has no bookmark.",
        ),
        th.Property(
            "objects",
            th.ArrayType(th.StringType),
            default=list(DEFAULT_OBJECTS),
            description="Objects to discover: names or globs (e.g. `*__c`). Only these "
            "are described, so a large org costs few describe calls.",
        ),
        th.Property(
            "filters",
            th.ObjectType(additional_properties=th.StringType),
            description="Per-object SOQL WHERE condition (selective sync), e.g. "
            '`{"Project__c": "Status__c != \'Draft\'"}`; validated at startup.',
        ),
        th.Property(
            "include_deleted",
            th.BooleanType,
            default=True,
            description="Read with queryAll: deleted rows come with `_sdc_deleted_at`.",
        ),
        mappings_dir_setting(
            "It also applies the specs' `refresh:` settings: after the incremental pass, "
            "the calculated fields a mapping names are re-read for every record of its "
            "object once per cadence (partial records; the bookmark does not move). "
            "Unset: neither."
        ),
        # --- how to read
        th.Property(
            "api_type",
            th.StringType,
            default="auto",
            allowed_values=["auto", "rest", "bulk"],
            description="`rest` (query/queryMore), `bulk` (Bulk API 2.0) or `auto`: "
            "Bulk when a COUNT() reaches bulk_threshold.",
        ),
        th.Property(
            "bulk_threshold",
            th.IntegerType,
            default=100_000,
            description="With api_type `auto`: row count from which a stream is read with "
            "Bulk API 2.0.",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=2000,
            description="REST page size (Sforce-Query-Options batchSize, 200-2000); "
            "STATE is written once per page.",
        ),
        th.Property(
            "bulk_page_size",
            th.IntegerType,
            default=50_000,
            description="Rows per Bulk API 2.0 result page (maxRecords).",
        ),
        number_setting(
            "bulk_poll_seconds",
            default=1.0,
            description="Seconds between two status checks of a Bulk API 2.0 query job.",
        ),
        # --- limits and resilience
        number_setting(
            "max_api_share",
            default=DEFAULT_MAX_API_SHARE,
            description="Stop with resumable state (the stream fails) once the org's daily "
            "API usage reported in Sforce-Limit-Info reaches this share of its Max.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries of a call that failed transiently (429, 5xx, dropped "
            "connection) before the run fails.",
        ),
        number_setting(
            "retry_wait_seconds",
            default=1.0,
            description="First wait before a retry, doubled at each attempt (with jitter).",
        ),
        number_setting(
            "request_timeout",
            default=300,
            description="Seconds to wait for an API reply before retrying the call.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.quota_stop: str | None = None
        self._preflight_done = False
        super().__init__(*args, **kwargs)

    @cached_property
    def client(self) -> SalesforceClient:
        settings = SalesforceSettings.from_config(self.config)
        if settings.max_api_share is None:
            settings = replace(settings, max_api_share=DEFAULT_MAX_API_SHARE)
        return SalesforceClient(settings, user_agent=self.name)

    @cached_property
    def spec_mappings(self) -> list[SpecMapping] | None:
        """The mappings of ``mappings_dir`` (refresh plans, backfills); None without."""
        return load_tap_mappings(self.config, self.logger)

    @cached_property
    def mapping_scopes(self) -> MappingScopes | None:
        """The forward-leg scopes of those mappings (backfills)."""
        return MappingScopes.of_leg(self.spec_mappings, Direction.SF_TO_HS)

    # --- discovery -------------------------------------------------------------------

    def discover_streams(self) -> list[SalesforceObjectStream]:
        patterns = list(self.config.get("objects") or DEFAULT_OBJECTS)
        try:
            names = select_objects(describe_global(self.client), patterns)
        except ValueError as exc:
            raise ConfigValidationError(str(exc)) from exc
        mappings = self.spec_mappings or []
        streams = []
        for describe in describe_objects(self.client, names):
            schema = object_schema(describe)
            stream = SalesforceObjectStream(self, schema, str(describe["name"]))
            stream.refresh = plan_for(stream.name, schema, mappings)
            streams.append(stream)
        return streams

    # --- startup checks -----------------------------------------------------------------

    def preflight(self) -> None:
        """Validate every selected stream's filter once, before any record is read."""
        if self._preflight_done:
            return
        self._preflight_done = True
        filters: dict[str, str] = dict(self.config.get("filters") or {})
        by_lower = {
            s.sobject.lower(): s
            for s in self.streams.values()
            if isinstance(s, SalesforceObjectStream)
        }
        unknown = [k for k in filters if k.lower() not in by_lower]
        if unknown:
            raise ConfigValidationError(
                f"filters name object(s) that are not streams of this tap: {', '.join(unknown)}"
            )
        for key, where in filters.items():
            stream = by_lower[key.lower()]
            if not stream.selected:
                continue
            try:
                self.client.get_json(
                    "query",
                    params={"q": validation_query(stream.sobject, where)},
                    route="GET /query (filter check)",
                )
            except SalesforceAPIError as exc:
                raise ConfigValidationError(
                    f"filters.{key} is not a valid SOQL condition for {stream.sobject}: "
                    f"{where!r} — Salesforce says {exc.code}: {exc.message}"
                ) from exc


if __name__ == "__main__":
    TapSalesforceCustom.cli()
