"""What a target shows at the end of a run: the report (or dry-run plan) and its JSON."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from singer_sdk import typing as th

from crm_sync.reconcile import render_json, render_table

if TYPE_CHECKING:
    from crm_sync.reconcile import RunReport

DEFAULT_LEDGER = ".meltano/crm-sync/ledger.sqlite"
"""Where a target keeps the ledger when no ``ledger_url`` is set (meltano project dir)."""


LOG_VALUES_SETTING = th.Property(
    "log_values",
    th.BooleanType,
    default=False,
    description="Show field values in the run report on stderr and in a real run's "
    "plan_path JSON (off: logs carry record ids, field names and counts only).",
)
"""Both targets' setting for :func:`publish_reports`' ``log_values``."""


def default_ledger_url() -> str:
    """A SQLite URL for :data:`DEFAULT_LEDGER`, its folder created."""
    path = Path(DEFAULT_LEDGER)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def publish_reports(
    reports: list[RunReport],
    *,
    dry_run: bool,
    plan_path: str | None,
    logger: logging.Logger,
    log_values: bool = False,
) -> None:
    """Print the reports as a table on stderr, log their counts, write JSON to ``plan_path``.

    stderr ends up in logs (meltano's, a CI job's), so it names records and fields but
    shows values only with ``log_values``. The plan file is the user's own: a dry run's
    holds the values it previews; a real run's holds them only with ``log_values`` (CI
    uploads it as an artifact).
    """
    if not reports:
        return
    title = "crm-sync plan (dry run)" if dry_run else "crm-sync run report"
    sys.stderr.write(f"\n{title}\n{render_table(reports, values=log_values)}\n")
    sys.stderr.flush()
    for report in reports:
        logger.info("run report %s: %s", report.mapping, report.to_dict()["counts"])
    if plan_path:
        path = Path(plan_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_json(reports, values=dry_run or log_values))
