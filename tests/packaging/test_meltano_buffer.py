"""The ``meltano`` process's own memory: what meltano.yml lets it buffer between plugins.

``meltano run`` reads each plugin's stdout until ``elt.buffer_size`` bytes wait unread
(meltano's default: 100 MiB per pipe), so while the target is slower than the tap and the
mapper, their backlog sat in meltano itself (259 MiB at 100,000 records, 121 MiB at 10,000;
README "Operating it"). The project's setting, as meltano itself resolves it, bounds that.
"""

from __future__ import annotations

import pytest
from meltano.core.project import Project

from tests.packaging.distributions import REPO

MIB = 2**20


def test_meltano_buffers_at_most_4_mib_of_a_plugins_output(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MELTANO_ELT_BUFFER_SIZE", raising=False)
    size = Project(REPO, readonly=True).settings.get("elt.buffer_size")
    assert size <= 4 * MIB  # 8 MiB still grew meltano 27 % from 10k to 1M records
    # Half of it is the longest message meltano accepts (the taps' STATE stays far
    # below it at any number of ties: test_tie_bookmark*.py).
    assert size // 2 >= 2 * MIB
