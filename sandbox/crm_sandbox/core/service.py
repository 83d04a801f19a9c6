"""The contract between the sandbox core and each emulated API (Salesforce, HubSpot).

A service owns its model (store, schema, query engine, limits) and a flat list of
Starlette routes with full path templates; the core wraps every call to those routes
with latency, limits, fault injection and accounting.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from crm_sandbox.core.headers import title_case

if TYPE_CHECKING:
    from starlette.datastructures import Headers
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.datadir import Credentials, DataDir
    from crm_sandbox.core.faults import FaultDice


@dataclass
class SandboxContext:
    """What every service gets from the core."""

    data_dir: DataDir
    credentials: Credentials
    clock: Clock
    dice: FaultDice

    def db_path(self, name: str) -> Path:
        return self.data_dir.db_path(name)


@dataclass(frozen=True)
class CallInfo:
    """One incoming API call, as the core's wrapper sees it before routing."""

    method: str
    path: str
    route: str
    """Route template, e.g. ``/services/data/v{version}/query`` (``path`` if unmatched)."""
    headers: Headers
    query_string: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"


class ApiService(ABC):
    """Base class of an emulated API."""

    name: ClassVar[str]
    """``salesforce`` or ``hubspot``: the key in stats and in fault settings."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """Starlette routes with full path templates, matched in order."""

    @abstractmethod
    def owns(self, path: str) -> bool:
        """Whether a request path belongs to this API."""

    @abstractmethod
    def fault_response(self, kind: Literal["http429", "http500", "http503"]) -> Response:
        """An injected error, in the vendor's exact format."""

    def admit(self, call: CallInfo) -> Response | None:
        """Enforce limits before the call is served; a Response refuses it."""
        return None

    def response_headers(self, call: CallInfo) -> list[tuple[str, str]]:
        """Headers added to every response of this API (limit info, correlation ids)."""
        return []

    def wire_header_name(self, name: str) -> str:
        """A response header's name in the vendor's casing (``Content-Type``)."""
        return title_case(name)

    claims_unknown_paths: ClassVar[bool] = False
    """Whether paths no route of any API matches are answered (and counted) as this API's."""

    def unknown_route(self) -> BaseRoute | None:
        """A catch-all route answering unknown paths in this API's error format."""
        return None

    def control_routes(self) -> list[BaseRoute]:
        """This API's own control operations, under ``/__sandbox/{name}/`` (no accounting)."""
        return []

    @abstractmethod
    def reset(self) -> None:
        """Back to a freshly provisioned org/portal: default schema, no records, no usage."""

    @abstractmethod
    def seed(self, counts: dict[str, int], seed: int) -> dict[str, int]:
        """Add ``counts[object]`` deterministic fake records per object; return what was made."""

    @abstractmethod
    def record_counts(self) -> dict[str, int]:
        """Live (not deleted/archived) records per object, for stats."""

    def close(self) -> None:  # noqa: B027 - optional hook, most services hold one Database
        """Release files and connections."""
