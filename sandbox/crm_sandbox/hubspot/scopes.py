"""Which scopes a call needs, and the 403 ``MISSING_SCOPES`` reply when the token lacks them.

HubSpot checks a private app's granted scopes on every call and answers 403 with
``category: MISSING_SCOPES`` and the accepted scopes under
``errors[0].context.requiredGranularScopes`` (error handling guide; its example lists,
for reading deals: ``crm.schemas.deals.read``, ``crm.objects.deals.sensitive.read.v2``,
``crm.objects.deals.read``, ``crm.objects.deals.highly_sensitive.read.v2``). Holding any
one of the listed scopes is enough.

Scope families per object follow the API guides' "Scope requirements": activities need
the contacts scopes (tasks guide), owners ``crm.objects.owners.read``, custom objects
``crm.objects.custom.*``, their schemas ``crm.schemas.custom.*``. Which scopes the
properties, pipelines and v4 associations endpoints accept is (unverified): the object's read
scopes plus its schema scope for reads, its schema (or object) write scope for writes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.errors import HubSpotError, correlation_id
from crm_sandbox.hubspot.standard_types import BY_ID

if TYPE_CHECKING:
    from crm_sandbox.hubspot.models import ObjectType

SCOPES_LINK = "https://developers.hubspot.com/scopes"
MISSING_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about"
    f" required scopes here: {SCOPES_LINK}."
)
_SENSITIVE = ("contacts", "companies", "deals")


def object_scopes(family: str, write: bool) -> list[str]:
    """Scopes that allow reading (or writing) records of one scope family."""
    if family in _SENSITIVE:
        if write:
            return [
                f"crm.objects.{family}.write",
                f"crm.objects.{family}.sensitive.write.v2",
                f"crm.objects.{family}.highly_sensitive.write.v2",
            ]
        return [
            f"crm.schemas.{family}.read",
            f"crm.objects.{family}.sensitive.read.v2",
            f"crm.objects.{family}.read",
            f"crm.objects.{family}.highly_sensitive.read.v2",
        ]
    if family == "tickets":  # the legacy "tickets" scope covers read and write (unverified)
        return ["tickets", "tickets.sensitive.v2", "tickets.highly_sensitive.v2"]
    if family == "products":
        return ["e-commerce"]
    verb = "write" if write else "read"
    found = [f"crm.objects.{family}.{verb}"]
    if family == "line_items":
        found.append("e-commerce")
    return found


def schema_scopes(family: str, write: bool) -> list[str]:
    """Scopes that allow reading (or changing) an object's property definitions."""
    verb = "write" if write else "read"
    if family in (*_SENSITIVE, "custom"):
        own = f"crm.schemas.{family}.{verb}"
        return [own] if write else [own, *[s for s in object_scopes(family, False) if s != own]]
    return object_scopes(family, write)


def _families() -> list[str]:
    return sorted({t.scope for t in BY_ID.values()} | {"custom"})


def all_scopes() -> list[str]:
    """Every scope the sandbox knows: what the default private-app token carries."""
    found: set[str] = {
        "oauth",
        "crm.objects.owners.read",
        "settings.users.read",
        "settings.users.write",
        "settings.users.teams.read",
        "settings.users.teams.write",
    }
    for family in _families():
        for write in (False, True):
            found.update(object_scopes(family, write))
            found.update(schema_scopes(family, write))
    return sorted(found)


def family_of(ot: ObjectType) -> str:
    if ot.custom:
        return "custom"
    standard = BY_ID.get(ot.object_type_id)
    return standard.scope if standard else "custom"


class MissingScopes(HubSpotError):
    status_code = 403
    category = "MISSING_SCOPES"

    def __init__(self, accepted: list[str]) -> None:
        super().__init__(MISSING_MESSAGE)
        self.accepted = accepted

    def body(self) -> dict[str, Any]:
        return {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "errors": [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": self.accepted},
                }
            ],
            "links": {"scopes": SCOPES_LINK},
            "category": self.category,
        }


_OBJECTS = re.compile(r"^/crm/v3/objects/([^/]+)(/.*)?$")
_PROPERTIES = re.compile(r"^/crm/v3/properties/([^/]+)(/.*)?$")
_V4_OBJECT = re.compile(r"^/crm/v4/objects/([^/]+)/[^/]+/associations(/.*)?$")
_V4_PAIR = re.compile(r"^/crm/v4/associations/([^/]+)/[^/]+(/.*)?$")
_PIPELINES = re.compile(r"^/crm(?:/v3|-pipelines/v1)/pipelines/([^/]+)(/.*)?$")
_SCHEMAS = re.compile(r"^/crm(?:-object-schemas)?/v3/schemas(/.*)?$")


def required(method: str, path: str, resolve: Any) -> list[str] | None:
    """Scopes of which the call needs one; None when it needs none (or cannot be told).

    ``resolve`` maps an ``{objectType}`` path segment to an ObjectType (or None).
    """
    reading = method in ("GET", "HEAD")
    if path.startswith("/crm/v3/owners"):
        return ["crm.objects.owners.read"]
    if path.startswith("/settings/v3/users/teams"):
        return ["settings.users.teams.read", "settings.users.teams.write"]
    if path.startswith("/settings/v3/users"):
        return ["settings.users.read", "settings.users.write"]
    if match := _SCHEMAS.match(path):
        return ["crm.schemas.custom.read" if reading else "crm.schemas.custom.write"]
    if match := _OBJECTS.match(path):
        ot, rest = resolve(match.group(1)), match.group(2) or ""
        if ot is None:
            return None
        reading = reading or rest in ("/search", "/batch/read")
        return object_scopes(family_of(ot), write=not reading)
    if match := _PROPERTIES.match(path):
        ot, rest = resolve(match.group(1)), match.group(2) or ""
        if ot is None:
            return None
        reading = reading or rest == "/batch/read"
        return schema_scopes(family_of(ot), write=not reading)
    for pattern in (_V4_OBJECT, _V4_PAIR, _PIPELINES):
        if match := pattern.match(path):
            ot, rest = resolve(match.group(1)), match.group(2) or ""
            if ot is None:
                return None
            reading = reading or rest == "/batch/read"
            return object_scopes(family_of(ot), write=not reading)
    return None
