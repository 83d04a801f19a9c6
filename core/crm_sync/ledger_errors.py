"""The ledger's error classes, in a module that imports nothing heavy.

They live outside the :mod:`crm_sync.ledger` package because importing anything in
that package loads SQLAlchemy (about 0.3 CPU s): :mod:`crm_sync.stops` names these
classes to pick an exit status, and every plugin imports it, including the taps and
map-crm, which never open a ledger. :mod:`crm_sync.ledger.engine` and
:mod:`crm_sync.ledger.lock` raise them and export them under their old names.
"""

from __future__ import annotations

__all__ = ["LedgerBusyError", "LedgerError", "MappingLockedError"]


class LedgerError(RuntimeError):
    """The ledger cannot be opened or used as asked."""


class LedgerBusyError(LedgerError):
    """Another process kept a SQLite ledger locked for longer than the busy timeout."""

    def __init__(self, database: str, waited_s: float) -> None:
        super().__init__(
            f"ledger {database} stayed locked by another process for {waited_s:g} s (another "
            "crm-sync run writing it, or a tool holding a write transaction open on it); "
            "let it finish or close it, then rerun (several workers at once want a "
            "PostgreSQL ledger_url)"
        )
        self.database = database


class MappingLockedError(RuntimeError):
    """Another live process holds the mapping's lock."""
