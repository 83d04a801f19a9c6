"""The plugins that never open a ledger do not load SQLAlchemy to name its errors.

:mod:`crm_sync.stops` picks exit statuses by the ledger's error classes; they live in
:mod:`crm_sync.ledger_errors` so the taps and map-crm start without importing the ledger
(SQLAlchemy alone is about 0.3 CPU s a process). The ledger still raises the same classes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_sync.ledger import LedgerBusyError, LedgerError
from crm_sync.ledger.lock import MappingLockedError
from crm_sync.stops import EXIT_BUSY, EXIT_INPUT, exit_status


@pytest.mark.parametrize(
    "module", ["map_crm.mapper", "tap_salesforce_custom.tap", "tap_hubspot_custom.tap"]
)
def test_plugin_without_a_ledger_imports_no_sqlalchemy(module: str) -> None:
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if 'sqlalchemy' in m))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_ledger_errors_keep_their_exit_statuses() -> None:
    assert exit_status(LedgerError("bad url")) == EXIT_INPUT
    assert exit_status(LedgerBusyError("ledger.db", 10.0)) == EXIT_BUSY
    assert exit_status(MappingLockedError("held")) == EXIT_BUSY
