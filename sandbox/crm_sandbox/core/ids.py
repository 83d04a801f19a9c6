"""Identifier formats of both services.

Salesforce ids are 15 case-sensitive base-62 characters (3-character key prefix,
2-character pod, a reserved digit, 9-character sequence) plus a 3-character
case-folding checksum that makes the 18-character form case-insensitively unique.
HubSpot ids are decimal numbers, serialised as strings.
"""

from __future__ import annotations

import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
SALESFORCE_POD = "5g"


def to_base62(number: int, width: int) -> str:
    """Encode ``number`` in base 62, left-padded with zeros to ``width``."""
    if number < 0:
        raise ValueError("number must be non-negative")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    encoded = "".join(reversed(digits)) or "0"
    if len(encoded) > width:
        raise ValueError(f"{number} does not fit in {width} base-62 digits")
    return encoded.rjust(width, "0")


def salesforce_checksum(id15: str) -> str:
    """The 3-character suffix that turns a 15-character id into its 18-character form."""
    if len(id15) != 15:
        raise ValueError(f"expected a 15-character id, got {id15!r}")
    suffix = []
    for chunk_start in range(0, 15, 5):
        chunk = id15[chunk_start : chunk_start + 5]
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix.append(_CHECKSUM_ALPHABET[bits])
    return "".join(suffix)


def salesforce_id(key_prefix: str, sequence: int) -> str:
    """An 18-character Salesforce id for the ``sequence``-th record of an object."""
    if len(key_prefix) != 3:
        raise ValueError(f"key prefix must have 3 characters, got {key_prefix!r}")
    id15 = f"{key_prefix}{SALESFORCE_POD}0{to_base62(sequence, 9)}"
    return id15 + salesforce_checksum(id15)


def normalize_salesforce_id(value: str) -> str | None:
    """Return the 18-character form of a 15- or 18-character id, or None if malformed."""
    if len(value) == 18:
        if not all(ch in BASE62 for ch in value[:15]):
            return None
        expected = salesforce_checksum(value[:15])
        return value[:15] + expected if value[15:].upper() == expected else None
    if len(value) == 15 and all(ch in BASE62 for ch in value):
        return value + salesforce_checksum(value)
    return None
