"""The garbage collector of a plugin's own process (:mod:`crm_sync.collector`).

Run in a child interpreter: freezing and the thresholds are process-wide, and the test
process keeps the interpreter's defaults.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import gc, json
before = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
from crm_sync.collector import YOUNG_THRESHOLD, tune_for_streaming
tune_for_streaming()
cycle = []
cycle.append(cycle)  # garbage only the collector can free
del cycle
print(json.dumps({"before": before, "threshold": gc.get_threshold(),
                  "frozen": gc.get_freeze_count(), "freed": gc.collect(),
                  "young": YOUNG_THRESHOLD}))
"""


def test_streaming_collector_freezes_start_up_and_still_frees_cycles():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["before"]["frozen"] == 0
    assert seen["frozen"] > 1_000  # the start-up's objects: never walked again
    assert seen["threshold"][0] == seen["young"] > seen["before"]["threshold"][0]
    assert seen["freed"] >= 1  # a cycle made after start-up is still collected
