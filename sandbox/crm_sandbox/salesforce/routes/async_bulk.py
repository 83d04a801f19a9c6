"""Bulk API 1.0 resources under ``/services/async/{version}/job``.

Auth is the ``X-SFDC-Session`` header (``Authorization: Bearer`` works too). Job
resources (create, close, status) answer in the request's Content-Type (JSON or XML);
batch resources in the job's (JSON for a JSON job, XML for CSV and XML jobs), as the
clients expect: singer-io's tap posts JSON jobs and parses XML batch replies. Every
error is the async API's ``error`` document, HTTP 400.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from crm_sandbox.salesforce import async_wire as wire
from crm_sandbox.salesforce.auth import bearer_token
from crm_sandbox.salesforce.bulk_v1 import AsyncApiError, BulkV1Jobs
from crm_sandbox.salesforce.bulk_v1_ingest import results_csv
from crm_sandbox.salesforce.routes.query import cursor_store
from crm_sandbox.salesforce.routes.versions import is_listed

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    from crm_sandbox.salesforce.service import SalesforceService

BASE = "/services/async/{version}/job"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
DAILY_BATCHES = "DailyBulkApiBatches"


def bulk_v1_jobs(service: SalesforceService) -> BulkV1Jobs:
    jobs = getattr(service, "_bulk_v1_jobs", None)
    if jobs is None:

        def count_batch() -> None:
            service.limits.count(DAILY_BATCHES)

        jobs = BulkV1Jobs(
            service.store,
            cursor_store(service),
            lambda: service.ctx.dice.settings.latency_ms,
            count_batch,
        )
        service._bulk_v1_jobs = jobs  # type: ignore[attr-defined]
        service.reset_hooks.append(jobs.reset)
    return jobs


def _wants_json(request: Request) -> bool:
    return "json" in request.headers.get("content-type", "").lower()


def _reply(body: str, as_json: bool, status: int = 200) -> Response:
    media_type = wire.JSON_TYPE if as_json else wire.XML_TYPE
    return Response(body, status_code=status, media_type=media_type)


def _info(root: str, info: dict[str, Any], as_json: bool, status: int = 200) -> Response:
    if as_json:
        return _reply(json.dumps(wire.json_info(info)), True, status)
    return _reply(wire.xml_document(root, info), False, status)


def routes(service: SalesforceService) -> list[Route]:
    jobs = bulk_v1_jobs(service)

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Any:
        """Session check, API accounting and the async API's error documents."""

        async def endpoint(request: Request) -> Response:
            as_json = _wants_json(request)
            try:
                token = request.headers.get("x-sfdc-session") or bearer_token(
                    request.headers.get("authorization")
                )
                if not token or service.sessions.check(token) is None:
                    raise AsyncApiError("InvalidSessionId", "Invalid session id")
                version = request.url.path.removeprefix("/services/async/").partition("/")[0]
                if not is_listed(version):
                    # Salesforce documents 400 InvalidVersion for a retired version; the
                    # message, and the same answer for a version never released, (unverified).
                    raise AsyncApiError("InvalidVersion", f"Invalid version specified: {version}")
                if service.limits.exhausted():
                    # (unverified) the async API's wording of a spent daily allocation
                    raise AsyncApiError("ExceededQuota", "TotalRequests Limit exceeded.")
                service.limits.count()  # (unverified) async calls count as API requests
                return await handler(request)
            except AsyncApiError as error:
                # Batch resources answer in the job's format; job resources in the request's.
                batch_level = "/batch" in request.url.path
                if batch_level and "job_id" in request.path_params and error.code != "InvalidJob":
                    as_json = await _job_is_json(request, as_json)
                return _reply(wire.error_body(error.code, error.message, as_json), as_json, 400)

        return endpoint

    async def _job_is_json(request: Request, fallback: bool) -> bool:
        try:
            kind = await run_in_threadpool(jobs.content_type, request.path_params["job_id"])
        except AsyncApiError:
            return fallback
        return kind == "JSON"

    async def job_format(request: Request) -> bool:
        kind = await run_in_threadpool(jobs.content_type, request.path_params["job_id"])
        return kind == "JSON"

    async def create_job(request: Request) -> Response:
        as_json = _wants_json(request)
        try:
            body = wire.parse_job_request(await request.body(), as_json)
        except ValueError:
            code = "InvalidJob" if as_json else "InvalidXML"  # (unverified) JSON's code
            raise AsyncApiError(code, "Unable to parse the job request") from None
        info = await run_in_threadpool(
            jobs.create_job,
            body,
            request.path_params["version"],
            request.headers.get("sforce-enable-pkchunking"),
        )
        return _info("jobInfo", info, as_json, 201)

    async def job(request: Request) -> Response:
        as_json = _wants_json(request)
        job_id = request.path_params["job_id"]
        if request.method == "GET":
            return _info("jobInfo", await run_in_threadpool(jobs.job, job_id), as_json)
        try:
            body = wire.parse_job_request(await request.body(), as_json)
        except ValueError:
            raise AsyncApiError("InvalidXML" if not as_json else "InvalidJob",
                                "Unable to parse the job request") from None  # fmt: skip
        info = await run_in_threadpool(jobs.set_state, job_id, str(body.get("state")))
        return _info("jobInfo", info, as_json)

    async def add_batch(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        data = (await request.body()).decode("utf-8-sig")  # a query, or records to write
        info = await run_in_threadpool(jobs.add_batch, job_id, data)
        return _info("batchInfo", info, await job_format(request), 201)

    async def list_batches(request: Request) -> Response:
        batches = await run_in_threadpool(jobs.batches, request.path_params["job_id"])
        if await job_format(request):
            return _reply(json.dumps({"batchInfo": batches}), True)
        return _reply(wire.batch_list_xml(batches), False)

    async def batch(request: Request) -> Response:
        params = request.path_params
        info = await run_in_threadpool(jobs.batch, params["job_id"], params["batch_id"])
        return _info("batchInfo", info, await job_format(request))

    async def batch_request(request: Request) -> Response:
        params = request.path_params
        text = await run_in_threadpool(jobs.batch_request, params["job_id"], params["batch_id"])
        return Response(text, media_type=wire.CSV_TYPE)

    async def results(request: Request) -> Response:
        params = request.path_params
        written = await run_in_threadpool(jobs.ingest_results, params["job_id"], params["batch_id"])
        if written is not None:  # an ingest batch: its per-record results
            if await job_format(request):
                return _reply(json.dumps(written), True)
            return Response(results_csv(written), media_type=wire.CSV_TYPE)
        ids = await run_in_threadpool(jobs.result_ids, params["job_id"], params["batch_id"])
        if await job_format(request):
            return _reply(json.dumps(ids), True)
        return _reply(wire.result_list_xml(ids), False)

    async def result(request: Request) -> Response:
        params = request.path_params
        found = await run_in_threadpool(
            jobs.result_file, params["job_id"], params["batch_id"], params["result_id"]
        )
        pages = jobs.result_pages(found)
        kind = found.job["contentType"]
        version = str(found.job["apiVersion"])
        if kind == "JSON":
            return StreamingResponse(wire.json_result(pages, version), media_type=wire.JSON_TYPE)
        if kind == "XML":
            return StreamingResponse(wire.xml_result(pages, version), media_type=wire.XML_TYPE)
        return StreamingResponse(
            wire.csv_result(pages, empty=found.count == 0), media_type=wire.CSV_TYPE
        )

    batch_path = BASE + "/{job_id}/batch/{batch_id}"
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        (BASE, create_job, ["POST"]),
        (BASE + "/{job_id}", job, ["GET", "POST"]),
        (BASE + "/{job_id}/batch", add_batch, ["POST"]),
        (BASE + "/{job_id}/batch", list_batches, ["GET"]),
        (batch_path, batch, ["GET"]),
        (batch_path + "/request", batch_request, ["GET"]),
        (batch_path + "/result", results, ["GET"]),
        (batch_path + "/result/{result_id}", result, ["GET"]),
    ]

    async def unknown(request: Request) -> Response:
        raise AsyncApiError(  # (unverified) wording; the code is the documented InvalidUrl
            "InvalidUrl", f"The URI specified is invalid: {request.method} {request.url.path}"
        )

    routes_ = [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]
    # Last: any other path (or method) under /services/async answers the async API's error.
    routes_.append(Route("/services/async/{rest:path}", guarded(unknown), methods=ALL_METHODS))
    return routes_
