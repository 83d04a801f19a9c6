"""Small helpers shared by the Salesforce route modules: bodies, versions, replies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from crm_sandbox.salesforce.errors import SalesforceError, json_parser_error

if TYPE_CHECKING:
    from starlette.requests import Request

    from crm_sandbox.salesforce.store import SaveResult

PREFIX = "/services/data/v{version}"


def sf_json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


async def json_body(request: Request) -> Any:
    """The request's JSON, or Salesforce's JSON_PARSER_ERROR."""
    raw = await request.body()
    if not raw.strip():
        raise json_parser_error("The HTTP entity body is required, but this request has none.")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise json_parser_error(
            f"Unexpected character ('{raw.decode(errors='replace')[exc.pos : exc.pos + 1]}' "
            f"(code {raw[exc.pos] if exc.pos < len(raw) else 0})): was expecting double-quote "
            f"to start field name at [line:{exc.lineno}, column:{exc.colno}]"
        ) from None


async def json_object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise json_parser_error(
            "Cannot deserialize instance of SObject from START_ARRAY value [line:1, column:1]"
        )
    return body


def version(request: Request) -> str:
    return str(request.path_params.get("version", "62.0"))


def raise_failed(result: SaveResult) -> None:
    """Render a failed single-record DML result as the REST error body."""
    if not result.success:
        first = result.errors[0].as_request_error()
        raise SalesforceError(first.status, first.error_code, first.message, first.fields)
