"""Which HubSpot properties a batch upsert may key records by.

HubSpot's batch upsert takes an ``idProperty`` whose values are unique for the object
(``hasUniqueValue``), with one documented exception: contacts upsert by ``email``
although the ``email`` property is not ``hasUniqueValue`` (HubSpot deduplicates
contacts by email). Batch *update* by ``email`` is refused ("Unable to perform
update/upsert by non-unique 0-1 property"), so only upserts may key on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_UPSERT_ONLY_KEYS = {("0-1", "email"), ("contacts", "email")}
"""(object type id or name, property) pairs an upsert accepts without ``hasUniqueValue``."""


def upsert_key_ok(object_type: str, prop_name: str, definition: Mapping[str, Any]) -> bool:
    """Whether a batch upsert of ``object_type`` may key records by ``prop_name``."""
    if definition.get("hasUniqueValue"):
        return True
    return (object_type.casefold(), prop_name.casefold()) in _UPSERT_ONLY_KEYS
