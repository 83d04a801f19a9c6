"""The peer harness lives in ``bench/peers`` (run as ``python -m bench.peers``), not in an
installed distribution: make the checkout importable however pytest was started."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
