"""Which value kinds can be written into which (as data; validation reads it).

Keys are ``(source kind, destination kind)``; a pair not listed is incompatible.
``LOSSY`` pairs are allowed with a warning: the value may be rounded, truncated or
refused by the destination (a free text into a closed picklist).
"""

from __future__ import annotations

from enum import StrEnum

from crm_sync.convert.kinds import Kind


class Compat(StrEnum):
    OK = "ok"
    LOSSY = "lossy"


_T, _E, _M = Kind.TEXT, Kind.ENUM, Kind.MULTI
_B, _I, _N = Kind.BOOL, Kind.INT, Kind.NUMBER
_D, _DT, _TM = Kind.DATE, Kind.DATETIME, Kind.TIME

COMPATIBILITY: dict[tuple[Kind, Kind], Compat] = {
    # text-like
    (_T, _T): Compat.OK,
    (_T, _E): Compat.LOSSY,  # free text into a closed list
    (_T, _M): Compat.LOSSY,
    (_E, _E): Compat.OK,
    (_E, _T): Compat.OK,
    (_E, _M): Compat.OK,  # one value is a valid multi value
    (_E, _B): Compat.LOSSY,  # needs a value map onto true/false
    (_M, _M): Compat.OK,
    (_M, _T): Compat.OK,  # kept as "a;b"
    # (_M, _E) is missing on purpose: several values do not fit one select.
    # booleans
    (_B, _B): Compat.OK,
    (_B, _T): Compat.OK,
    (_B, _E): Compat.LOSSY,
    # numbers
    (_I, _I): Compat.OK,
    (_I, _N): Compat.OK,
    (_N, _N): Compat.OK,
    (_N, _I): Compat.LOSSY,  # fractions are rounded or refused
    (_I, _T): Compat.OK,
    (_N, _T): Compat.OK,
    # dates and times (both wires are UTC)
    (_D, _D): Compat.OK,
    (_D, _DT): Compat.OK,  # midnight UTC
    (_DT, _DT): Compat.OK,
    (_DT, _D): Compat.LOSSY,  # time of day dropped
    (_D, _T): Compat.OK,
    (_DT, _T): Compat.OK,
    (_TM, _T): Compat.OK,
    (_TM, _TM): Compat.OK,
    (_T, _TM): Compat.LOSSY,
}


def compatibility(source: Kind, destination: Kind) -> Compat | None:
    """``None`` when a value of ``source`` cannot be written into ``destination``."""
    return COMPATIBILITY.get((source, destination))
