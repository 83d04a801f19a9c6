"""Options shared by map-crm's subcommands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DEFAULT_MAPPINGS_DIR = "transforms/mappings"


def mappings_option(what: str) -> Callable[[Any], Any]:
    """``--mappings DIR`` (default: the config's ``mappings_dir``)."""
    return click.option(
        "--mappings",
        "mappings_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"{what} (default: the config's mappings_dir or {DEFAULT_MAPPINGS_DIR}).",
    )
