"""The errors every API client raises: a refused call, and an exhausted daily quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests


def url_path(url: str | None) -> str:
    """The path of a URL only: query strings may hold customer data (SOQL, search)."""
    return (url or "").split("?", 1)[0]


class ApiError(RuntimeError):
    """A call the API refused, after retries: status, the vendor's code and message.

    ``code`` is Salesforce's ``errorCode`` / OAuth ``error``, or HubSpot's ``category``;
    ``body`` is the decoded reply for callers that need more (207 errors, contexts).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        what: str = "",
        body: object = None,
    ) -> None:
        where = f"{what}: " if what else ""
        super().__init__(f"{where}HTTP {status} {code}: {message[:500]}")
        self.status = status
        self.code = code
        self.message = message
        self.what = what
        self.body = body

    # Salesforce's name for the code, kept for callers that speak it.
    @property
    def error_code(self) -> str:
        return self.code


class QuotaExhausted(RuntimeError):
    """A daily API quota (or this run's share of it) is used up.

    Retrying in this run cannot succeed; the run stops, and its state is resumable. The
    stream or sink that met it did not finish and must not be reported as succeeded.
    """

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response

    @classmethod
    def from_response(cls, response: requests.Response) -> QuotaExhausted:
        return cls(f"API quota exhausted: {response.status_code} {response.text[:300]}", response)
