"""``/crm/v3/pipelines/{objectType}`` and the legacy ``/crm-pipelines/v1/pipelines/{type}``.

Read-only: the portal's default pipelines (:mod:`pipelines`). Creating or changing
pipelines is not served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from crm_sandbox.hubspot.errors import ObjectNotFound, ValidationError
from crm_sandbox.hubspot.pipelines import PIPELINES, Pipeline
from crm_sandbox.hubspot.routes.common import endpoint, reply

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from crm_sandbox.hubspot.service import HubSpotService

BASE = "/crm/v3/pipelines/{objectType}"
LEGACY = "/crm-pipelines/v1/pipelines/{objectType}"


def routes(svc: HubSpotService) -> list[Route]:
    def pipelines_of(ref: str) -> list[Pipeline]:
        ot = svc.catalog.resolve(ref)
        found = PIPELINES.get(ot.object_type_id)
        if found is None:
            # (unverified) wording; HubSpot has pipelines for deals, tickets and a few others.
            raise ValidationError(f"Object type {ot.object_type_id} does not support pipelines")
        return found

    def one(request: Request) -> Pipeline:
        wanted = request.path_params["pipelineId"]
        for pipeline in pipelines_of(request.path_params["objectType"]):
            if pipeline.id == wanted:
                return pipeline
        raise ObjectNotFound(f"Unable to find pipeline {wanted} (unverified wording)")

    @endpoint
    async def collection(request: Request) -> Response:
        found = pipelines_of(request.path_params["objectType"])
        return reply({"results": [p.wire() for p in found]})

    @endpoint
    async def item(request: Request) -> Response:
        return reply(one(request).wire())

    @endpoint
    async def stages(request: Request) -> Response:
        return reply({"results": one(request).wire()["stages"]})

    @endpoint
    async def legacy(request: Request) -> Response:
        ref = request.path_params["objectType"]
        if ref not in ("deals", "tickets"):
            raise ValidationError(f"Unsupported object type {ref}; must be one of: deals, tickets")
        return reply({"results": [p.wire_v1() for p in pipelines_of(ref)]})

    return [
        Route(BASE, collection, methods=["GET"]),
        Route(BASE + "/{pipelineId}", item, methods=["GET"]),
        Route(BASE + "/{pipelineId}/stages", stages, methods=["GET"]),
        Route(LEGACY, legacy, methods=["GET"]),
    ]
