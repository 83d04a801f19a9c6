"""JSON text of the sandbox's replies and stored records, by msgspec.

At a 100,000-record import the server spent about a fifth of its CPU in the ``json``
module: encoding each 100-record batch reply and each record's properties for SQLite,
and decoding them back. msgspec does the same several times faster. Its text differs
only in form: no spaces after separators (the replies never had them) and non-ASCII
characters as UTF-8 rather than ``\\uXXXX`` escapes (HubSpot's own replies are UTF-8).
"""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    return _encoder.encode(value).decode()


def dump_bytes(value: Any) -> bytes:
    """``value`` as compact JSON, UTF-8 encoded (a reply body)."""
    return _encoder.encode(value)


def loads(text: str | bytes) -> Any:
    """The value of JSON text the sandbox wrote itself (a stored record's properties)."""
    return _decoder.decode(text)
