"""``/crm/v3/owners``: list (paging, ``email``, ``archived``) and read one owner; and the
settings API's ``/settings/v3/users`` and ``/settings/v3/users/teams``, read-only, made
from the same people (an active owner is a user; every user is on the one team).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.routing import Route

from crm_sandbox.hubspot.errors import ObjectNotFound, ValidationError
from crm_sandbox.hubspot.owners import SALES_TEAM
from crm_sandbox.hubspot.routes.common import bool_param, endpoint, int_param, reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

BASE = "/crm/v3/owners"
MAX_PAGE = 500  # the owners reference gives limit's default as 100 and no smaller cap


def routes(svc: HubSpotService) -> list[Route]:
    owners = svc.owners

    @endpoint
    async def collection(request: Request) -> Response:
        limit = min(max(int_param(request, "limit", 100), 1), MAX_PAGE)
        after = int_param(request, "after", 0)
        email = request.query_params.get("email")
        found, next_after = owners.page(limit, after, bool_param(request, "archived"), email)
        body: dict[str, Any] = {"results": [o.wire() for o in found]}
        if next_after is not None:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
            params.append(("after", str(next_after)))
            link = f"{request.base_url}{request.url.path.lstrip('/')}?{urlencode(params)}"
            body["paging"] = {"next": {"after": str(next_after), "link": link}}
        return reply(body)

    @endpoint
    async def item(request: Request) -> Response:
        id_property = request.query_params.get("idProperty", "id")
        if id_property not in ("id", "userId"):
            raise ValidationError(
                f"idProperty must be one of [id, userId], got {id_property} (unverified wording)"
            )
        ref = request.path_params["ownerId"]
        owner = owners.get(ref, id_property == "userId", bool_param(request, "archived"))
        if owner is None:
            # (unverified) wording of HubSpot's 404 for an unknown owner id.
            raise ObjectNotFound(f"No owner found with {id_property} {ref}")
        return reply(owner.wire())

    @endpoint
    async def users(request: Request) -> Response:
        limit = min(max(int_param(request, "limit", 100), 1), MAX_PAGE)
        found, next_after = owners.page(limit, int_param(request, "after", 0), False, None)
        body: dict[str, Any] = {"results": [o.user_wire() for o in found]}
        if next_after is not None:
            body["paging"] = {"next": {"after": str(next_after)}}
        return reply(body)

    @endpoint
    async def teams(request: Request) -> Response:
        found, _ = owners.page(10_000, 0, False, None)
        team = {
            "id": SALES_TEAM["id"],
            "name": SALES_TEAM["name"],
            "userIds": [str(o.user_id) for o in found],
            "secondaryUserIds": [],
        }
        return reply({"results": [team]})

    return [
        Route(BASE, collection, methods=["GET"]),
        Route(BASE + "/{ownerId}", item, methods=["GET"]),
        Route("/settings/v3/users", users, methods=["GET"]),
        Route("/settings/v3/users/teams", teams, methods=["GET"]),
    ]
