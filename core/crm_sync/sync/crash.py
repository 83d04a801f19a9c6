"""Crash points for tests: a target SIGKILLs itself at a named step of its progress.

A test proves that a kill at a precise point (after the destination accepted a write,
before the ledger commit) loses and doubles nothing. Killing a child after a guessed
delay lands anywhere, or nowhere on a fast machine; a crash point lands exactly where it
is named. The hook is honoured only under pytest (``PYTEST_CURRENT_TEST``, which pytest
sets and its child processes inherit) and only for the point named by
``CRM_SYNC_TEST_CRASH_AT``; anywhere else it does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "CRM_SYNC_TEST_CRASH_AT"
AFTER_DESTINATION_WRITE = "after_destination_write"
"""The destination accepted a batch's writes; no hook has run, the ledger holds nothing."""
BEFORE_WRITE_BACK_FLUSH = "before_write_back_flush"
"""Write-backs of ids wait in the ledger (committed with their batches); none of them has
been written to the source yet."""
WRITE_BACK_ANSWERED = "write_back_answered"
"""A write-back job on its background thread has a page's answers from the source; the
writer thread has not recorded them, so those ids are still queued in the ledger."""


def crash_point(name: str) -> None:
    """SIGKILL this process if a test asked for a crash at ``name``."""
    if os.environ.get(CRASH_AT) == name and os.environ.get("PYTEST_CURRENT_TEST"):
        os.kill(os.getpid(), signal.SIGKILL)
