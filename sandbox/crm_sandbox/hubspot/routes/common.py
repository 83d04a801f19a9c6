"""Shared parsing and serialising for the HubSpot routes."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from crm_sandbox.core import jsontext
from crm_sandbox.hubspot.errors import HubSpotError, ValidationError
from crm_sandbox.hubspot.values import format_datetime

JSON_TYPE = "application/json;charset=utf-8"
Handler = Callable[[Request], Awaitable[Response]]


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        jsontext.dump_bytes(data), status_code=status, headers=headers, media_type=JSON_TYPE
    )


def no_content() -> Response:
    return Response(status_code=204)


def error_reply(exc: HubSpotError) -> Response:
    return reply(exc.body(), exc.status_code, exc.headers())


def endpoint(fn: Handler) -> Handler:
    """Turn HubSpotErrors raised by a handler into their wire replies."""

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except HubSpotError as exc:
            return error_reply(exc)

    return wrapper


async def body_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return jsontext.loads(raw)
    except msgspec.DecodeError:
        pass  # the json module's reading says where the text is wrong
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


async def body_object(request: Request) -> dict[str, Any]:
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ValidationError("Invalid input JSON: expected an object")
    return data


def list_param(request: Request, name: str) -> list[str]:
    """``?p=a&p=b`` (the SDK) and ``?p=a,b`` (the taps) alike."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


def bool_param(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, got {raw!r} (unverified)") from None


def stamp(moment: datetime) -> str:
    return format_datetime(moment)


def batch_reply(
    results: list[Any], errors: list[dict[str, Any]], ok_status: int, started: str, completed: str
) -> Response:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = started
    body["completedAt"] = completed
    return reply(body, 207 if errors else ok_status)
