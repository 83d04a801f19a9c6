"""Shared fixtures: a real sandbox server (HTTPS, own process) per test worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import RunningSandbox, start, stop


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A sandbox process on a free port, shared by the tests of one worker.

    Tests that need a clean org/portal call ``sandbox.reset()`` (or use ``clean_sandbox``);
    tests that change faults restore them (or use ``clean_sandbox``).
    """
    data_dir = DataDir(tmp_path_factory.mktemp("sandbox"))
    handle = start(data_dir)
    try:
        yield handle
    finally:
        stop(data_dir)


@pytest.fixture
def clean_sandbox(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The worker's sandbox, emptied, with no faults and real time, before and after."""
    sandbox.set_faults()
    sandbox.clock(reset=True)
    sandbox.reset()
    yield sandbox
    sandbox.set_faults()
    sandbox.clock(reset=True)


@pytest.fixture
def sandbox_env(sandbox: RunningSandbox) -> dict[str, str]:
    """What `crm-sandbox env` prints for the worker's sandbox."""
    return sandbox.env
