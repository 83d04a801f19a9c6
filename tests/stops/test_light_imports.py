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


@pytest.mark.parametrize(
    "module", ["target_hubspot_custom.target", "target_salesforce_custom.target"]
)
def test_targets_start_without_the_spec_loader(module: str) -> None:
    """:mod:`crm_sync.stops` names :class:`~crm_sync.spec.SpecError`; importing it loads
    that one module of the spec package, not the loader, grammar and live checks."""
    probe = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'yaml') "
        "or m in ('crm_sync.spec.loader', 'crm_sync.spec.live', 'crm_sync.spec.filter')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_spec_names_load_on_first_use() -> None:
    import crm_sync.spec as spec
    from crm_sync.spec.issues import SpecError
    from crm_sync.spec.loader import load_dir

    assert spec.SpecError is SpecError
    assert spec.load_dir is load_dir
    assert all(getattr(spec, name) is not None for name in spec.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        spec.nothing  # noqa: B018
