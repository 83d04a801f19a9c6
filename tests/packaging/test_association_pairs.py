"""meltano.yml's tap-hubspot-custom reads exactly the association pairs the mappings use.

Each pair read costs a v4 batch call per 100 records of the stream (3,093 calls instead of
the 1,314 a 100k reverse first pull needs when every stream read every type), and a pair a
mapping needs but the tap does not read leaves that lookup unsynced on the reverse leg.
"""

from __future__ import annotations

import yaml
from tap_hubspot_custom.association_types import needed_by_mappings

from crm_sync.spec.loader import load_dir
from tests.packaging.distributions import REPO


def test_the_tap_reads_the_pairs_the_mappings_need_and_no_other() -> None:
    meltano = yaml.safe_load((REPO / "meltano.yml").read_text())
    tap = next(p for p in meltano["plugins"]["extractors"] if p["name"] == "tap-hubspot-custom")
    config = tap["config"]
    read = {k: set(v) for k, v in config["associations_by_object"].items()}
    specs = load_dir(REPO / "transforms" / "mappings")
    assert not specs.errors
    needed = {k: set(v) for k, v in needed_by_mappings(specs.mappings).items()}
    assert read == needed
    streams = set(config["objects"])
    assert set(read) <= streams
