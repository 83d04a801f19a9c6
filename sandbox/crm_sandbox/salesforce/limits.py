"""The org's API limits: the daily request count behind Sforce-Limit-Info and /limits.

Usage is persisted (table ``sf_org_limits``) per UTC day of the sandbox clock, so it
survives restarts and is shared by the processes that read the org.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.db import Database

DAILY_API = "DailyApiRequests"

# Max values of a freshly provisioned Enterprise org (Remaining = Max unless counted).
STATIC_LIMITS: dict[str, int] = {
    "ActiveScratchOrgs": 3,
    "AnalyticsExternalDataSizeMB": 40960,
    "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentEinsteinDataInsightsStoryCreation": 5,
    "ConcurrentEinsteinDiscoveryStoryCreation": 2,
    "ConcurrentSyncReportRuns": 20,
    "DailyAnalyticsDataflowJobExecutions": 60,
    "DailyAnalyticsUploadedFilesSizeMB": 51200,
    "DailyAsyncApexExecutions": 250000,
    "DailyAsyncApexTests": 500,
    "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562,
    "DailyBulkV2QueryJobs": 10000,
    "DailyDeliveredPlatformEvents": 50000,
    "DailyDurableGenericStreamingApiEvents": 10000,
    "DailyDurableStreamingApiEvents": 10000,
    "DailyEinsteinDataInsightsStoryCreation": 1000,
    "DailyEinsteinDiscoveryPredictAPICalls": 50000,
    "DailyEinsteinDiscoveryPredictionsByCDC": 500000,
    "DailyEinsteinDiscoveryStoryCreation": 100,
    "DailyFunctionsApiCallLimit": 235000,
    "DailyGenericStreamingApiEvents": 10000,
    "DailyScratchOrgs": 6,
    "DailyStandardVolumePlatformEvents": 10000,
    "DailyStreamingApiEvents": 10000,
    "DailyWorkflowEmails": 1000,
    "DataStorageMB": 1024,
    "DurableStreamingApiConcurrentClients": 20,
    "FileStorageMB": 20480,
    "HourlyAsyncReportRuns": 1200,
    "HourlyDashboardRefreshes": 200,
    "HourlyDashboardResults": 5000,
    "HourlyDashboardStatuses": 999999999,
    "HourlyLongTermIdMapping": 100000,
    "HourlyManagedContentPublicRequests": 50000,
    "HourlyODataCallout": 10000,
    "HourlyPublishedPlatformEvents": 50000,
    "HourlyPublishedStandardVolumePlatformEvents": 1000,
    "HourlyShortTermIdMapping": 100000,
    "HourlySyncReportRuns": 500,
    "HourlyTimeBasedWorkflow": 50,
    "MassEmail": 10,
    "MonthlyEinsteinDiscoveryStoryCreation": 500,
    "MonthlyPlatformEventsUsageEntitlement": 0,
    "Package2VersionCreates": 6,
    "Package2VersionCreatesWithoutValidation": 500,
    "PermissionTypes": 0,
    "PrivateConnectOutboundCalloutHourlyLimitMB": 0,
    "SingleEmail": 15,
    "StreamingApiConcurrentClients": 20,
}
RECORD_KB = 2
"""Salesforce counts most records as 2 KB of data storage."""


class OrgLimits:
    """Daily counters of the org; Max of the API count comes from the fault settings."""

    def __init__(self, db: Database, clock: Clock, daily_max: Callable[[], int]) -> None:
        self.db = db
        self.clock = clock
        self.daily_max = daily_max
        with db.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS sf_org_limits (name TEXT PRIMARY KEY, "
                "day TEXT NOT NULL, used INTEGER NOT NULL)"
            )

    def _day(self) -> str:
        return self.clock.now().date().isoformat()

    def used(self, name: str = DAILY_API) -> int:
        with self.db.reading() as conn:
            row = conn.execute(
                "SELECT day, used FROM sf_org_limits WHERE name = ?", (name,)
            ).fetchone()
        return int(row[1]) if row and row[0] == self._day() else 0

    def count(self, name: str = DAILY_API, amount: int = 1) -> int:
        """Add ``amount`` to today's use of ``name``; return the new total."""
        day = self._day()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT day, used FROM sf_org_limits WHERE name = ?", (name,)
            ).fetchone()
            total = (int(row[1]) if row and row[0] == day else 0) + amount
            conn.execute(
                "INSERT INTO sf_org_limits VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                "SET day = excluded.day, used = excluded.used",
                (name, day, total),
            )
        return total

    def exhausted(self) -> bool:
        return self.used() >= self.daily_max()

    def limit_info(self) -> str:
        """The ``Sforce-Limit-Info`` header value."""
        return f"api-usage={self.used()}/{self.daily_max()}"

    def reset(self) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sf_org_limits")

    def snapshot(self, records: int) -> dict[str, Any]:
        """The body of ``GET /limits``."""
        daily_max = self.daily_max()
        result: dict[str, Any] = {
            DAILY_API: {"Max": daily_max, "Remaining": max(daily_max - self.used(), 0)}
        }
        for name, maximum in STATIC_LIMITS.items():
            remaining = maximum - self.used(name)
            if name == "DataStorageMB":
                remaining = maximum - (records * RECORD_KB) // 1024
            result[name] = {"Max": maximum, "Remaining": max(remaining, 0)}
        return dict(sorted(result.items()))
