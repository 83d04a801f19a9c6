"""Discovery: ``GET /services/data/`` (versions) and ``GET /services/data/vXX.X/`` (resources)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.salesforce.routes._common import PREFIX, sf_json, version

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.salesforce.service import SalesforceService

# What an org lists in late 2026 (Salesforce's docs, checked 2026-11): Winter '27 (v68.0)
# is the current release; v21.0-v30.0 were retired in Summer '25 (v7.0-v20.0 in Summer
# '22), so the oldest version served is v31.0 (Summer '14). A retired version answers 410.
OLDEST, NEWEST = 31, 68
RETIRED_FROM = 7
_SEASONS = ("Winter", "Spring", "Summer")
_WINTER_11 = 20


def release_label(major: int) -> str:
    """v20.0 was Winter '11; three releases a year since (v68.0 is Winter '27)."""
    index = major - _WINTER_11
    return f"{_SEASONS[index % 3]} '{11 + index // 3:02d}"


def is_listed(version: str) -> bool:
    """Whether ``version`` (``"62.0"``) is one ``GET /services/data/`` lists."""
    major, dot, minor = version.partition(".")
    return major.isdigit() and dot == "." and minor == "0" and OLDEST <= int(major) <= NEWEST


def versions_list() -> list[dict[str, str]]:
    return [
        {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(OLDEST, NEWEST + 1)
    ]


def routes(service: SalesforceService) -> list[Route]:
    creds = service.ctx.credentials

    async def versions(request: Request) -> Response:
        return sf_json(versions_list())

    async def resources(request: Request) -> Response:
        base = f"/services/data/v{version(request)}"
        # Only resources the sandbox answers at that URL (Salesforce lists some 40 more;
        # Bulk 2.0's /jobs/query and /jobs/ingest are served, /jobs itself is not).
        names = ("sobjects", "query", "queryAll", "limits", "composite", "search",
                 "parameterizedSearch")  # fmt: skip
        body = {name: f"{base}/{name}" for name in names}
        login = str(request.base_url).rstrip("/")
        body["identity"] = f"{login}/id/{creds.sf_org_id}/{creds.sf_user_id}"
        return sf_json(dict(sorted(body.items())))

    return [
        Route("/services/data/", versions, methods=["GET"]),
        Route(PREFIX + "/", resources, methods=["GET"]),
    ]
