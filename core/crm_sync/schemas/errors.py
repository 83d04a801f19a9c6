"""The one error a live-schema fetch raises: which side, which call, what the API said."""

from __future__ import annotations


class LiveSchemaError(RuntimeError):
    """A describe / schemas / properties call failed (auth, network, unexpected reply).

    ``side`` is ``"salesforce"`` or ``"hubspot"``; the message names the setting to fix
    when the failure is an authentication one.
    """

    def __init__(self, side: str, message: str) -> None:
        super().__init__(f"{side}: {message}")
        self.side = side
