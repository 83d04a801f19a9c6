"""HubSpot's wire errors: one class per error, each rendering the vendor's exact JSON body.

Every body is ``{"status":"error","message","correlationId","category"}`` plus, where the
real API sends them, ``errors``, ``context`` and ``subCategory`` (API_NOTES Part 2 §0).
"""

from __future__ import annotations

import contextvars
import json
import uuid
from typing import Any

_CORRELATION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "hubspot_correlation_id", default=None
)

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you"
    " can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def correlation_id() -> str:
    """The correlation id of the call being served (made on first use)."""
    current = _CORRELATION.get()
    if current is None:
        current = str(uuid.uuid4())
        _CORRELATION.set(current)
    return current


def new_correlation_id() -> str:
    """Start a new call: a fresh id for its body and its ``x-hubspot-correlation-id``."""
    value = str(uuid.uuid4())
    _CORRELATION.set(value)
    return value


def unknown_path_body(message: str) -> dict[str, Any]:
    """The body of a path HubSpot does not serve (404).

    Shape from a recorded reply (HGData/mk-node-hubspot issue #150):
    ``{"status":"error","message":"resource not found","correlationId","requestId"}`` --
    no ``category``.
    """
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "requestId": uuid.uuid4().hex,
    }


class HubSpotError(Exception):
    """An error reply: HTTP status, category and message, plus optional details."""

    status_code = 400
    category = "VALIDATION_ERROR"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        sub_category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.context = context
        self.sub_category = sub_category

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
        }
        if self.errors is not None:
            out["errors"] = self.errors
        if self.context is not None:
            out["context"] = self.context
        out["category"] = self.category
        if self.sub_category is not None:
            out["subCategory"] = self.sub_category
        return out

    def headers(self) -> dict[str, str]:
        return {}

    def as_batch_error(self, context: dict[str, Any]) -> dict[str, Any]:
        """This error as one entry of a 207 reply's ``errors`` (per-record refusal).

        hubspot-api-client's ``StandardError`` model requires ``errors``, ``context`` and
        ``links``; the recorded 207 bodies carry ``context``, so the other two are served
        empty.
        """
        entry: dict[str, Any] = {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": context,
            "errors": self.errors or [],
            "links": {},
        }
        if self.sub_category is not None:
            entry["subCategory"] = self.sub_category
        return entry


class InvalidAuthentication(HubSpotError):
    status_code = 401
    category = "INVALID_AUTHENTICATION"

    def __init__(self) -> None:
        super().__init__(AUTH_MESSAGE)

    def headers(self) -> dict[str, str]:
        return {"x-hubspot-auth-failure": "401 Unauthorized"}


class ValidationError(HubSpotError):
    status_code = 400
    category = "VALIDATION_ERROR"


class BadRequest(HubSpotError):
    """``category: BAD_REQUEST`` (e.g. an association to a record that does not exist)."""

    status_code = 400
    category = "BAD_REQUEST"


class ObjectNotFound(HubSpotError):
    status_code = 404
    category = "OBJECT_NOT_FOUND"


class Conflict(HubSpotError):
    status_code = 409
    category = "CONFLICT"


class PropertyValueError(Exception):
    """One invalid property value; many of them make a :class:`InvalidPropertyValues`."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.code = code
        self.message = message


class InvalidPropertyValues(ValidationError):
    """``Property values were not valid: [...]`` with one ``errors`` entry per property [rec]."""

    def __init__(self, problems: list[PropertyValueError], portal_id: int) -> None:
        detail = [
            {
                "isValid": False,
                "message": p.message,
                "error": p.code,
                "name": p.name,
                "localizedErrorMessage": p.message,
                "portalId": portal_id,
            }
            for p in problems
        ]
        super().__init__(
            "Property values were not valid: " + json.dumps(detail, separators=(",", ":")),
            errors=[
                {"message": p.message, "code": p.code, "context": {"propertyName": [p.name]}}
                for p in problems
            ],
        )
        self.problems = problems


def rate_limit_body(policy: str, group: str) -> dict[str, Any]:
    """HubSpot's 429 body [rec]: ``errorType RATE_LIMIT`` instead of ``category``."""
    wording = {
        "TEN_SECONDLY_ROLLING": "ten_secondly_rolling",
        "DAILY": "daily",
        "SECONDLY": "secondly",
    }[policy]
    return {
        "status": "error",
        "message": f"You have reached your {wording} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "groupName": group,
    }


def internal_error_body() -> dict[str, Any]:
    """A 500 as HubSpot sends it (100-byte body in a recorded ApiException dump)."""
    return {"status": "error", "message": "internal error", "correlationId": correlation_id()}
