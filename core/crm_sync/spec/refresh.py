"""A mapping's ``refresh:`` setting: re-read calculated fields on a cadence.

Salesforce formula fields and roll-up summaries change without bumping
``SystemModstamp``, so an incremental read never sees them change. ``refresh`` names
the mapped fields to re-read for every synced record (``fields: [..]``, or
``formulas``: every mapped calculated field) and how often (``every: 1d``). The
Salesforce tap does the re-reading (a refresh pass after its incremental pass); this
module holds the setting's model, its duration grammar, and the checks that need no
live schema (the live ones are in :mod:`crm_sync.spec.live`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crm_sync.vocabulary import Direction, Rule

FORMULAS = "formulas"
"""``refresh.fields`` value meaning: every mapped calculated field."""

DURATION_PATTERN = r"^([1-9][0-9]*)([mhdw])$"
_DURATION = re.compile(DURATION_PATTERN)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``1d``, ``2w`` as a :class:`timedelta`; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(
            f"not a duration: {text!r} (a whole number and a unit: m, h, d or w, e.g. 1d)"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Refresh:
    """A mapping's refresh setting, as written in its spec."""

    fields: tuple[str, ...] | None
    """Salesforce field names; None means ``formulas`` (every mapped calculated field)."""
    every: timedelta
    every_text: str

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Refresh:
        raw = data["fields"]
        fields = None if raw == FORMULAS else tuple(str(f) for f in raw)
        return cls(fields, parse_duration(str(data["every"])), str(data["every"]))

    def resolve(self, mapped: Iterable[str], calculated: Callable[[str], bool]) -> tuple[str, ...]:
        """The Salesforce fields to re-read, given the fields the mapping writes to
        HubSpot (``mapped``) and which fields the live describe calls calculated."""
        if self.fields is not None:
            return self.fields
        return tuple(name for name in mapped if calculated(name))


def forward_fields(data: dict[str, Any]) -> dict[str, int]:
    """Salesforce fields a spec's ``fields`` write to HubSpot (folded name -> index)."""
    return {
        str(item["salesforce"]).casefold(): i
        for i, item in enumerate(data.get("fields", []))
        if Rule(item["rule"]).writes(Direction.SF_TO_HS)
    }


def refresh_problems(data: dict[str, Any]) -> list[tuple[str, str, tuple[Any, ...], str | None]]:
    """Offline problems of a schema-valid spec's ``refresh``: (code, message, path, field).

    Each named field must be mapped by a field whose rule writes Salesforce -> HubSpot
    (a refresh re-reads values to send to HubSpot), named once (the JSON Schema has
    already checked ``every``'s grammar). Whether the fields are calculated needs the
    live describe (``validate_live``).
    """
    refresh = data.get("refresh")
    if not isinstance(refresh, dict):
        return []
    out: list[tuple[str, str, tuple[Any, ...], str | None]] = []
    names = refresh.get("fields")
    if names == FORMULAS or not isinstance(names, list):
        return out
    mapped = forward_fields(data)
    seen: set[str] = set()
    for i, name in enumerate(names):
        key = str(name).casefold()
        path = ("refresh", "fields", i)
        if key in seen:
            out.append(("refresh_field_twice", f"{name} is named twice", path, str(name)))
        seen.add(key)
        if key not in mapped:
            out.append(
                (
                    "refresh_field_not_mapped",
                    f"refresh re-reads {name}, but no field mapping writes it to HubSpot "
                    "(map it with a rule that syncs Salesforce -> HubSpot)",
                    path,
                    str(name),
                )
            )
    return out
