"""getUpdated / getDeleted: ``sobjects/{O}/updated/`` and ``sobjects/{O}/deleted/``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.routes._common import PREFIX, sf_json
from crm_sandbox.salesforce.values import format_datetime, parse_datetime, wire_datetime

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService

UPDATED_DAYS, DELETED_DAYS = 30, 15
MAX_IDS = 600_000


def _bad_date(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_REPLICATION_DATE", message)


def _param(request: Request, name: str) -> datetime:
    raw = request.query_params.get(name)
    if not raw:
        raise SalesforceError(400, "MISSING_ARGUMENT", f"{name} not specified")
    # An unencoded '+00:00' offset arrives as ' 00:00' (a '+' in a query is a space).
    try:
        return parse_datetime(raw.replace(" ", "+"))
    except ValueError:
        raise SalesforceError(
            400, "INVALID_REPLICATION_DATE", f"Unable to parse {name}: {raw}"
        ) from None


def _window(request: Request, now: datetime, days: int) -> tuple[datetime, datetime]:
    """The [start, end) window, both truncated to the minute as Salesforce does."""
    start = _param(request, "start").replace(second=0, microsecond=0)
    end = min(_param(request, "end"), now).replace(second=0, microsecond=0)
    if start >= end:
        raise _bad_date("startDate must chronologically precede endDate")
    if start < now - timedelta(days=days):
        raise _bad_date(f"startDate cannot be more than {days} days ago")
    return start, end


def routes(service: SalesforceService) -> list[Route]:
    store = service.store
    clock = service.ctx.clock

    async def updated(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        start, end = _window(request, clock.now(), UPDATED_DAYS)
        ids = store.updated_ids(obj, format_datetime(start), format_datetime(end))
        if len(ids) > MAX_IDS:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached")
        return sf_json({"ids": ids, "latestDateCovered": wire_datetime(format_datetime(end))})

    async def deleted(request: Request) -> Response:
        obj = store.object(request.path_params["sobject"])
        start, end = _window(request, clock.now(), DELETED_DAYS)
        rows = store.deleted_records(obj, format_datetime(start), format_datetime(end))
        earliest = store.earliest_deletion(obj)
        earliest_wire = (
            wire_datetime(
                format_datetime(parse_datetime(earliest).replace(second=0, microsecond=0))
            )
            if earliest
            else None
        )
        return sf_json(
            {
                "deletedRecords": [
                    {"id": record_id, "deletedDate": wire_datetime(when)}
                    for record_id, when in rows
                ],
                "earliestDateAvailable": earliest_wire,
                "latestDateCovered": wire_datetime(format_datetime(end)),
            }
        )

    return [
        Route(PREFIX + "/sobjects/{sobject}/updated/", updated, methods=["GET"]),
        Route(PREFIX + "/sobjects/{sobject}/deleted/", deleted, methods=["GET"]),
    ]
