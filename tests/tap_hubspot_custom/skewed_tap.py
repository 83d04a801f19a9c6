"""tap-hubspot-custom whose first split leaves the search walk almost nothing at the top.

The chains then take nearly every id, so the walk meets the top chain after a page or two
while the chains below still have most of their parts to read: the walk goes on down
their parts (:meth:`tap_hubspot_custom.descent.Frontier.next_run`). Run as the tap's
executable (``python skewed_tap.py --config ...``) for tests that kill it in a lower part;
:func:`skewed` does the same in-process.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from tap_hubspot_custom.tap import TapHubSpotCustom

WALK_SHARE = 0.01


def skewed() -> Any:
    """The walk's share of the first split cut to :data:`WALK_SHARE`."""
    return mock.patch("tap_hubspot_custom.streams.walk_share", return_value=WALK_SHARE)


if __name__ == "__main__":
    with skewed():
        TapHubSpotCustom.cli()
