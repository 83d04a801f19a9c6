"""Why a peer fails today, when the cause is a known gap of the sandbox.

Matched against a failure's text (the request it failed on and its error line); the
table prints the explanation next to the failure so a reader knows whether the peer or
the sandbox is at fault. Remove an entry once the sandbox serves what it names.
"""

from __future__ import annotations

KNOWN_GAPS: tuple[tuple[str, str], ...] = (
    (
        "/properties/v1/",
        "HubSpot's legacy v1/v2 CRM APIs (`/properties/v1`, `/companies/v2`, `/deals/v1`), "
        "which the sandbox does not serve",
    ),
    (
        "/companies/v2/",
        "HubSpot's legacy v1/v2 CRM APIs, which the sandbox does not serve",
    ),
)


def explain(failure: str) -> str:
    """The known sandbox gap behind ``failure``, or an empty string."""
    for marker, why in KNOWN_GAPS:
        if marker in failure:
            return why
    return ""
