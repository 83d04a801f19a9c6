"""The catch-all route an API answers unknown paths with (see ApiService.unknown_route)."""

from __future__ import annotations

from starlette.routing import Route

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class UnknownPathRoute(Route):
    """Matches every path (under ``path``) and method; placed after the real routes.

    Calls it answers are counted under their literal path, not under this template.
    """

    def __init__(self, endpoint: object, path: str = "/{path:path}") -> None:
        super().__init__(path, endpoint, methods=ALL_METHODS)  # type: ignore[arg-type]
