"""HubSpot's error replies as typed values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_sync.http import ApiError

if TYPE_CHECKING:
    import requests


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class HubSpotError(ApiError):
    """A call HubSpot answered with an error after retries; ``code`` is its ``category``."""

    @classmethod
    def from_response(cls, response: requests.Response, what: str = "") -> HubSpotError:
        body = _json(response)
        if isinstance(body, dict):
            code = str(body.get("category") or body.get("policyName") or "HTTP_ERROR")
            message = str(body.get("message") or response.text[:500])
        else:
            code, message = "HTTP_ERROR", response.text[:500]
        return cls(response.status_code, code, message, what=what, body=body)

    @property
    def category(self) -> str:
        return self.code
