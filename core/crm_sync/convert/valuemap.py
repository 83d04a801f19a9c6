"""Value maps (picklist translation) and their derived reverse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class ValueMapError(ValueError):
    """A value map whose reverse is not a function (two values map to one)."""


@dataclass(frozen=True)
class ValueMap:
    """Salesforce value -> HubSpot value; the reverse is derived and must be unique.

    Values missing from the map pass through unchanged in both directions (validation
    against the live schemas reports the ones the other side would refuse).
    """

    forward: Mapping[str, str] = field(default_factory=dict)
    reverse: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, mapping: Mapping[str, str] | None) -> ValueMap:
        forward = {str(k): str(v) for k, v in (mapping or {}).items()}
        reverse: dict[str, str] = {}
        for sf_value, hs_value in forward.items():
            if hs_value in reverse:
                raise ValueMapError(
                    f"value map is not invertible: {reverse[hs_value]!r} and {sf_value!r} "
                    f"both map to {hs_value!r}"
                )
            reverse[hs_value] = sf_value
        return cls(forward, reverse)

    def __bool__(self) -> bool:
        return bool(self.forward)

    def to_hubspot(self, value: str) -> str:
        return self.forward.get(value, value)

    def to_salesforce(self, value: str) -> str:
        return self.reverse.get(value, value)
