"""Bulk API 2.0 resources: ``/jobs/query`` and ``/jobs/ingest``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_sandbox.salesforce.bulk import BulkJobs
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.routes.query import cursor_store

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService

BASE = "/services/data/v{version}/jobs"
CSV_TYPE = "text/csv"
_RESULT_KINDS = {
    "successfulResults": "success",
    "failedResults": "failed",
    "unprocessedrecords": "unprocessed",
    # The documented spelling is all lower case; simple-salesforce, salesforcer (R) and
    # Java clients ask for ``unprocessedRecords`` and are used against real orgs, so the
    # service answers both (unverified: whether it matches this segment case-blind).
    "unprocessedRecords": "unprocessed",
}


def bulk_jobs(service: SalesforceService) -> BulkJobs:
    jobs = getattr(service, "_bulk_jobs", None)
    if jobs is None:
        jobs = BulkJobs(
            service.store, cursor_store(service), lambda: service.ctx.dice.settings.latency_ms
        )
        service._bulk_jobs = jobs  # type: ignore[attr-defined]
        service.reset_hooks.append(jobs.reset)
    return jobs


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise SalesforceError(
            400, "JSON_PARSER_ERROR", "Unexpected character in request body"
        ) from None
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    return body


def _kind(request: Request) -> str:
    kind = request.path_params["kind"]
    if kind not in ("query", "ingest"):
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return str(kind)


def routes(service: SalesforceService) -> list[Route]:
    bulk_jobs(service)  # registers its reset hook with the service

    async def create(request: Request) -> JSONResponse:
        kind = "query" if request.url.path.rstrip("/").endswith("/query") else "ingest"
        body = await _json(request)
        version = request.path_params["version"]
        jobs = bulk_jobs(service)
        from starlette.concurrency import run_in_threadpool

        make = jobs.create_query_job if kind == "query" else jobs.create_ingest_job
        return JSONResponse(await run_in_threadpool(make, body, version))

    def list_jobs(request: Request) -> JSONResponse:
        kind = "query" if request.url.path.rstrip("/").endswith("/query") else "ingest"
        return JSONResponse(bulk_jobs(service).list_jobs(kind))

    def job(request: Request) -> Response:
        kind, job_id = _kind(request), request.path_params["job_id"]
        jobs = bulk_jobs(service)
        if request.method == "DELETE":
            jobs.delete_job(job_id, kind)
            return Response(status_code=204)
        info = jobs.query_job(job_id) if kind == "query" else jobs.ingest_job(job_id)
        return JSONResponse(info)

    async def patch(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        kind, job_id = _kind(request), request.path_params["job_id"]
        body = await _json(request)
        info = await run_in_threadpool(
            bulk_jobs(service).set_state,
            job_id,
            kind,
            str(body.get("state")),
            request.path_params["version"],
        )
        return JSONResponse(info)

    async def upload(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        data = (await request.body()).decode("utf-8-sig")
        await run_in_threadpool(bulk_jobs(service).upload, request.path_params["job_id"], data)
        return Response(status_code=201)

    def query_results(request: Request) -> Response:
        max_records = request.query_params.get("maxRecords")
        text, count, locator = bulk_jobs(service).query_results(
            request.path_params["job_id"],
            request.query_params.get("locator") or None,
            int(max_records) if max_records and max_records.isdigit() else None,
        )
        headers = {"Sforce-NumberOfRecords": str(count), "Sforce-Locator": locator}
        return Response(text, media_type=CSV_TYPE, headers=headers)

    def ingest_results(request: Request) -> Response:
        name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        text = bulk_jobs(service).results_csv(request.path_params["job_id"], _RESULT_KINDS[name])
        return Response(text, media_type=CSV_TYPE)

    routes_: list[Route] = [
        Route(f"{BASE}/query", create, methods=["POST"]),
        Route(f"{BASE}/ingest", create, methods=["POST"]),
        Route(f"{BASE}/query", list_jobs, methods=["GET"]),
        Route(f"{BASE}/ingest", list_jobs, methods=["GET"]),
        Route(f"{BASE}/query/{{job_id}}/results", query_results, methods=["GET"]),
        Route(f"{BASE}/ingest/{{job_id}}/batches", upload, methods=["PUT"]),
    ]
    for name in _RESULT_KINDS:  # the service also accepts them with a trailing slash
        routes_.append(Route(f"{BASE}/ingest/{{job_id}}/{name}", ingest_results, methods=["GET"]))
    routes_ += [
        Route(f"{BASE}/{{kind:str}}/{{job_id}}", job, methods=["GET", "DELETE"]),
        Route(f"{BASE}/{{kind:str}}/{{job_id}}", patch, methods=["PATCH"]),
    ]
    return routes_
