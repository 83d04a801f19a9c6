"""Fault injection and limits, switchable per run (``--faults SPEC`` or the control API).

A SPEC is a comma-separated list of ``key=value`` pairs, for example
``http429=0.05,http500=0.05,reset=0.01,refuse=0.02,hs_ten_second_max=190,seed=7``.
Rates are probabilities per call (per record for ``refuse``); limits are counts.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

FaultKind = Literal["http429", "http500", "http503", "reset", "slow"]
_RATE_KINDS: tuple[FaultKind, ...] = ("http429", "http500", "http503", "reset", "slow")


@dataclass
class FaultSettings:
    """What the sandbox injects and which limits it enforces. Defaults inject nothing."""

    latency_ms: int = 0
    """Added to every API call before it is served."""
    http429: float = 0.0
    """Share of calls answered with the API's own rate-limit error."""
    http500: float = 0.0
    http503: float = 0.0
    reset: float = 0.0
    """Share of calls whose connection is dropped after the response has started."""
    slow: float = 0.0
    """Share of calls held for ``slow_ms`` before they are served (beyond a client timeout)."""
    slow_ms: int = 65_000
    refuse: float = 0.0
    """Share of records in batch writes refused with a per-record validation error."""
    only: str = ""
    """Restrict the random faults to one API (``salesforce`` or ``hubspot``); empty = both."""
    seed: int | None = None
    """Seed of the fault dice, for reproducible fault runs."""
    # Salesforce org limits (a large Max by default: third-party taps stop at 80 % used).
    sf_daily_max: int = 5_000_000
    # HubSpot portal limits; defaults of a Professional portal's private app.
    hs_ten_second_max: int = 190
    hs_daily_max: int = 650_000
    hs_search_per_second: int = 5

    @classmethod
    def parse(cls, spec: str, base: FaultSettings | None = None) -> FaultSettings:
        """Parse a ``key=value,...`` SPEC on top of ``base`` (default: the defaults)."""
        settings = FaultSettings(**asdict(base)) if base else cls()
        known = {f.name: f for f in fields(cls)}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, sep, raw = item.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in known:
                raise ValueError(
                    f"bad fault setting {item!r}: expected key=value with key one of "
                    + ", ".join(sorted(known))
                )
            settings.update({key: raw.strip()})
        return settings

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from strings or JSON values, validating each."""
        known = {f.name: f for f in fields(self)}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"unknown fault setting {key!r}")
            current = getattr(self, key)
            value: Any
            if key == "seed":
                value = None if raw in (None, "", "none") else int(raw)
            elif key == "only":
                value = str(raw or "")
                if value not in ("", "salesforce", "hubspot"):
                    raise ValueError("only must be salesforce, hubspot or empty")
            elif isinstance(current, float):
                value = float(raw)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{key} is a rate and must be within 0..1, got {raw!r}")
            else:
                value = int(raw)
                if value < 0:
                    raise ValueError(f"{key} must not be negative, got {raw!r}")
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultDice:
    """Draws the faults of each call from the current settings, reproducibly when seeded."""

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self.settings = settings
        self._rng = random.Random(settings.seed)

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)

    def draw_call_fault(self, api: str) -> FaultKind | None:
        """The fault (if any) to inject into one call to ``api``."""
        with self._lock:
            settings = self.settings
            if settings.only and settings.only != api:
                return None
            roll = self._rng.random()
            threshold = 0.0
            for kind in _RATE_KINDS:
                threshold += getattr(settings, kind)
                if roll < threshold:
                    return kind
            return None

    def refuse_record(self, api: str) -> bool:
        """Whether a batch write should refuse one record (a per-record validation error)."""
        if not self.settings.refuse:  # settings are swapped whole: no lock to see none set
            return False
        with self._lock:
            settings = self.settings
            if not settings.refuse or (settings.only and settings.only != api):
                return False
            return self._rng.random() < settings.refuse
