"""tap-hubspot-custom: HubSpot CRM objects (custom and standard), incrementally.

See ``streams.py`` for how records are read, ``search_plan.py`` for the search API's
10,000-result cap, ``hs_types.py`` for typing, ``associations.py`` for associations.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from crm_sync.backfill import MappingScopes
from crm_sync.http import CallCounter, Pacer, WindowLimiter
from crm_sync.hubspot import (
    DEFAULT_BASE_URL,
    HubSpotClient,
    HubSpotError,
    HubSpotSettings,
    default_session,
)
from crm_sync.hubspot.daily import DEFAULT_MAX_DAILY_SHARE
from crm_sync.singer import (
    AnnotatedTap,
    load_tap_mappings,
    mappings_dir_setting,
    number_setting,
)
from crm_sync.vocabulary import Direction
from tap_hubspot_custom import association_types, discovery
from tap_hubspot_custom.hs_types import object_schema
from tap_hubspot_custom.search_plan import MAX_SEARCH_LIMIT
from tap_hubspot_custom.streams import LIST_PAGE_MAX, HubSpotObjectStream

if TYPE_CHECKING:
    from crm_sync.spec.model import Mapping as SpecMapping

RATE_MARGIN = 0.95
"""Share of ``max_requests_per_10s`` the run uses: a full pull's list chains fill the
window, and a reply saying it is spent pauses every call until it can have freed one."""
HUBSPOT_SEARCH_PER_SECOND = 5
"""HubSpot's search limit: 5 calls a second per portal."""
SEARCH_MARGIN = 0.95
"""Share of ``search_requests_per_second`` the run uses. The calls are spaced evenly
(one every 1 / (0.95 x rate) s), so HubSpot's per-second count stays below the limit
even when the network or the server delays one call and not the next."""


class TapHubSpotCustom(AnnotatedTap):
    """HubSpot objects by hs_lastmodifieddate, with associations and archived records."""

    name = "tap-hubspot-custom"
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
        # --- credentials
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            description="Private-app access token (pat-...). Takes precedence over OAuth.",
        ),
        th.Property("client_id", th.StringType, secret=True, description="OAuth app client id."),
        th.Property(
            "client_secret", th.StringType, secret=True, description="OAuth app client secret."
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="OAuth refresh token; access tokens come from POST /oauth/v1/token.",
        ),
        th.Property(
            "base_url",
            th.URIType,
            default=DEFAULT_BASE_URL,
            description="API host (the sandbox's CRM_SANDBOX_HS_BASE_URL in tests).",
        ),
        th.Property(
            "ca_bundle",
            th.StringType,
            description="CA bundle file for TLS verification (TLS is always verified).",
        ),
        # --- what to read
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Earliest hs_lastmodifieddate to read when a stream has no bookmark; "
            "without it the first run is a full pull through the list API.",
        ),
        th.Property(
            "objects",
            th.ArrayType(th.StringType),
            default=list(discovery.DEFAULT_OBJECTS),
            description="Object types to discover: names, object type ids or globs "
            "(custom object names, companies, contacts, deals). Default: all.",
        ),
        th.Property(
            "include_associations",
            th.ArrayType(th.StringType),
            default=[],
            description="Object types whose associations each record carries "
            '(`associations: {"companies": {"results": [{"id", "type"}]}}`), '
            "read with the v4 batch API (one call per type per page of records).",
        ),
        th.Property(
            "associations_by_object",
            th.ObjectType(additional_properties=th.ArrayType(th.StringType)),
            description="Per stream (object type), the object types whose associations its "
            'records carry, in place of include_associations for that stream, e.g. `{"tasks": '
            '["contacts", "companies"], "contacts": ["companies"]}`: only the pairs the '
            "mappings use are read. Streams not named read include_associations.",
        ),
        th.Property(
            "include_archived",
            th.BooleanType,
            default=True,
            description="Emit archived (deleted) records with `_sdc_deleted_at`.",
        ),
        mappings_dir_setting(),
        # --- how to read
        th.Property(
            "page_size",
            th.IntegerType,
            default=LIST_PAGE_MAX,
            description="List API page size (at most 100).",
        ),
        th.Property(
            "search_page_size",
            th.IntegerType,
            default=MAX_SEARCH_LIMIT,
            description="Search API page size (at most 200); STATE is written per page.",
        ),
        th.Property(
            "max_requests_per_10s",
            th.IntegerType,
            default=100,
            description="Calls per rolling 10 s this tap allows itself (portal limit: "
            "100 Free/Starter, 190 Professional/Enterprise, shared with other apps).",
        ),
        number_setting(
            "search_requests_per_second",
            default=HUBSPOT_SEARCH_PER_SECOND,
            description="The portal's search limit, calls per second (HubSpot: 5 per "
            "portal; lower it to leave room for other apps). The tap spaces its search "
            "calls evenly at 95 % of it, never two closer than 1 / (0.95 x this).",
        ),
        th.Property(
            "search_walk",
            th.BooleanType,
            default=True,
            description="On a full pull longer than one list page, also read the object "
            "from its highest id down with search calls (their own per-second limit), "
            "meeting the list cursor in the middle: more calls in flight, each record once.",
        ),
        number_setting(
            "search_index_lag_seconds",
            default=60,
            description="How far behind writes HubSpot's search index may be: a full pull "
            "that used the search walk sets its bookmark this much earlier, so the next "
            "run reads again what the index may have missed (0 on the sandbox, which has "
            "no lag).",
        ),
        number_setting(
            "max_daily_share",
            default=DEFAULT_MAX_DAILY_SHARE,
            description="Stop with resumable state (the stream fails, exit 3) once the "
            "portal's daily API usage (X-HubSpot-RateLimit-Daily / -Daily-Remaining, private "
            "apps) reaches this share of its daily limit.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=6,
            description="Retries of a call that failed transiently (429, 5xx, dropped "
            "connection) before the run fails.",
        ),
        number_setting(
            "retry_wait_seconds",
            default=1.0,
            description="First wait before a retry when HubSpot gives no Retry-After, "
            "doubled at each attempt.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=300,
            description="Seconds to wait for an API reply before retrying the call.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls = CallCounter()
        """This run's HubSpot calls, by method and route, and retries."""
        super().__init__(*args, **kwargs)

    # --- shared per run ----------------------------------------------------------------

    @cached_property
    def settings(self) -> HubSpotSettings:
        return HubSpotSettings.from_config({
            "max_retries": 6, "retry_wait_seconds": 1.0,
            "max_daily_share": DEFAULT_MAX_DAILY_SHARE,
            **{k: v for k, v in self.config.items() if v is not None},
        })  # fmt: skip

    @cached_property
    def hubspot(self) -> HubSpotClient:
        """The one HubSpot client of this run (discovery, pages, associations)."""
        limiter = WindowLimiter(
            int(self.config.get("max_requests_per_10s") or 100), 10.0, margin=RATE_MARGIN
        )
        rate = float(self.config.get("search_requests_per_second") or HUBSPOT_SEARCH_PER_SECOND)
        search_limiter = Pacer(rate * SEARCH_MARGIN)
        session = default_session(self.settings, limiter=limiter, counter=self.calls)
        return HubSpotClient(
            self.settings, session, search_limiter=search_limiter, user_agent=self.name
        )

    @cached_property
    def search_client(self) -> HubSpotClient:
        """The full pull's search walk: :attr:`hubspot`'s token, call count and search limit,
        without its ten-second window. HubSpot limits search calls on their own (5 a second)
        and sends no rate-limit headers with them, as the sandbox models: counted in the
        window too, the walk's calls would take the list chains' share of it (unverified
        that real portals leave search out of the window; a 429 is still retried)."""
        main = self.hubspot
        session = default_session(self.settings, counter=self.calls)
        client = HubSpotClient(
            self.settings, session, search_limiter=main.search_limiter, user_agent=self.name
        )
        client.auth = session.auth = main.auth  # one token, refreshed once
        client.daily = main.daily
        return client

    def get_json(self, path: str, route: str) -> dict[str, Any]:
        """A discovery GET; a refusal is a configuration error naming HubSpot's message."""
        try:
            return self.hubspot.get_json(path, "HubSpot discovery", route=route)
        except HubSpotError as exc:
            raise ConfigValidationError(f"HubSpot discovery failed: {exc}") from exc

    @cached_property
    def mappings(self) -> list[SpecMapping] | None:
        """The mappings in ``mappings_dir`` that load; None without the setting."""
        return load_tap_mappings(self.config, self.logger)

    @cached_property
    def mapping_scopes(self) -> MappingScopes | None:
        """The reverse-leg scopes of the mappings in ``mappings_dir`` (backfills)."""
        return MappingScopes.of_leg(self.mappings, Direction.HS_TO_SF)

    # --- discovery ---------------------------------------------------------------------

    def discover_streams(self) -> list[HubSpotObjectStream]:
        self._check_settings()
        types = discovery.object_types(self.get_json)
        chosen = discovery.select(types, list(self.config.get("objects") or ["*"]))
        plan = association_types.read_plan(types, chosen, self.config)
        for line in association_types.missing(types, plan, self.mappings or []):
            self.logger.warning("%s: the reverse leg leaves that lookup alone", line)
        properties = discovery.properties_of(self.get_json, chosen)
        return [
            HubSpotObjectStream(self, obj, object_schema(props), plan[obj.name])
            for obj, props in zip(chosen, properties, strict=True)
        ]

    def _check_settings(self) -> None:
        if not self.settings.configured:
            raise ConfigValidationError("HubSpot credentials missing: " + self.settings.missing())
        page = int(self.config.get("page_size") or LIST_PAGE_MAX)
        search_page = int(self.config.get("search_page_size") or MAX_SEARCH_LIMIT)
        if not 1 <= page <= LIST_PAGE_MAX:
            raise ConfigValidationError(f"page_size must be 1..{LIST_PAGE_MAX}, got {page}")
        if not 1 <= search_page <= MAX_SEARCH_LIMIT:
            raise ConfigValidationError(
                f"search_page_size must be 1..{MAX_SEARCH_LIMIT}, got {search_page}"
            )


if __name__ == "__main__":
    TapHubSpotCustom.cli()
