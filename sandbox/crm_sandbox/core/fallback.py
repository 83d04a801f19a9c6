"""The catch-all route an API answers unknown paths with (see ApiService.unknown_route)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Match, Route

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def toggled_slash(path: str) -> str | None:
    """``/a/b/`` -> ``/a/b`` and back (None for the root)."""
    if path == "/":
        return None
    return path[:-1] if path.endswith("/") else path + "/"


class UnknownPathRoute(Route):
    """Matches every path (under ``path``) and method; placed after the real routes.

    A catch-all takes away Starlette's trailing-slash redirect, so a path that one of
    ``siblings`` serves with or without its trailing slash (hubspot-api-client asks for
    ``/crm/v3/owners/``) is served by that route; anything else reaches ``endpoint``.
    Calls it answers are counted under their literal path, not under this template.
    """

    def __init__(
        self,
        endpoint: object,
        path: str = "/{path:path}",
        siblings: Sequence[BaseRoute] = (),
    ) -> None:
        super().__init__(path, endpoint, methods=ALL_METHODS)  # type: ignore[arg-type]
        self.siblings = list(siblings)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        alternative = toggled_slash(scope["path"])
        if alternative is not None:
            moved = {**scope, "path": alternative}
            for route in self.siblings:
                match, child = route.matches(moved)
                if match is Match.FULL:
                    moved.update(child)
                    await route.handle(moved, receive, send)
                    return
        await super().handle(scope, receive, send)
