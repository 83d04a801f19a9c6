"""``/crm/v3/owners``: list (paging, ``email``, ``archived``) and read one owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.routing import Route

from crm_sandbox.hubspot.errors import ObjectNotFound, ValidationError
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

    return [
        Route(BASE, collection, methods=["GET"]),
        Route(BASE + "/{ownerId}", item, methods=["GET"]),
    ]
