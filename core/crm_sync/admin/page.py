"""The HTML report: one self-contained page a CI job can publish as an artifact.

From the ledger: per-mapping status, the recent runs (chart and table), open dead
letters. From the targets' plan/report JSON files (``plan_path``): conflicts with the
rule that decided each, and the last plan's field diffs. Without ``with_values`` the
page holds ids, field names, codes and counts only: no record value, no vendor message
(which can quote values), no payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from crm_sync.admin.chart import legend, run_chart
from crm_sync.admin.overview import MappingStatus, RunTotals
from crm_sync.ledger.models import RUN_COUNTERS

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;font-size:.9rem}
td.n{text-align:right}.swatch{display:inline-block;width:.8em;height:.8em;margin:0 .3em}
"""


_STATUS_HEAD = (
    "mapping",
    "linked",
    "last run",
    "started",
    "pending",
    "pending reasons",
    "dead letters",
    "dead letters by code",
)


def _cell(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="n">{value}</td>'
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return f"<td>{escape(text)}</td>"


def _table(table_id: str, heading: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in heading)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def load_plans(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The streams of the plan/report JSON files that exist (a target writes them)."""
    streams: list[dict[str, Any]] = []
    for path in paths:
        if path.is_file():
            streams += json.loads(path.read_text()).get("streams", [])
    return streams


def render_page(
    statuses: list[MappingStatus],
    runs: list[RunTotals],
    plans: list[dict[str, Any]],
    *,
    with_values: bool = False,
) -> str:
    """The whole HTML document."""
    status_rows = [
        [
            s.mapping,
            s.linked,
            s.last_run.run_id if s.last_run else "",
            s.last_run.started_at.isoformat(timespec="seconds") if s.last_run else "",
            len(s.pending),
            "; ".join(f"{r}: {n}" for r, n in sorted(s.pending_by_reason.items())),
            len(s.dead_letters),
            "; ".join(f"{c}: {n}" for c, n in sorted(s.dead_by_code.items())),
        ]
        for s in statuses
    ]
    run_rows = [[r.run_id, r.started_at, *(r.counts.get(c, 0) for c in RUN_COUNTERS)] for r in runs]
    dead_head = ["mapping", "direction", "source id", "code", "fields", "attempts", "last seen"]
    dead_rows: list[list[Any]] = []
    for s in statuses:
        for d in s.dead_letters:
            row: list[Any] = [
                d.mapping,
                str(d.direction),
                d.source_id,
                d.error.code,
                ", ".join(d.error.fields),
                d.attempts,
                d.last_seen.isoformat(timespec="seconds"),
            ]
            if with_values:
                row += [d.error.message, dict(d.payload)]
            dead_rows.append(row)
    if with_values:
        dead_head += ["message", "payload"]
    conflict_head = ["mapping", "source id", "destination id", "field", "rule", "winner", "by"]
    diff_head = ["mapping", "source id", "destination id", "action", "field"]
    if with_values:
        conflict_head += ["source value", "destination value", "base value"]
        diff_head += ["before", "after"]
    conflict_rows, diff_rows = [], []
    for stream in plans:
        for c in stream.get("conflicts", []):
            row = [stream["mapping"], c["source_id"], c["destination_id"] or "", c["field"]]
            row += [c["rule"], c["winner"], c["decided_by"]]
            if with_values:
                # a real run's plan holds no values unless log_values was set
                row += [c.get("source_value"), c.get("destination_value"), c.get("base_value")]
            conflict_rows.append(row)
        for d in stream.get("samples", []):
            row = [stream["mapping"], d["source_id"], d["destination_id"] or "", d["action"]]
            row += [d["field"]]
            if with_values:
                row += [d.get("before"), d.get("after")]
            diff_rows.append(row)
    made = datetime.now(UTC).isoformat(timespec="seconds")
    mode = "with record values" if with_values else "ids and field names only"
    return "".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            "<title>crm-sync report</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>crm-sync report</h1><p>Made {made} from the ledger ({mode}).</p>",
            "<h2>Mappings</h2>",
            _table(
                "status",
                _STATUS_HEAD,
                status_rows,
            ),
            f"<h2>Recent runs</h2><p>{legend()}</p>",
            run_chart(runs),
            _table("runs", ["run", "started", *RUN_COUNTERS], run_rows),
            "<h2>Conflicts (the rule that decided each)</h2>",
            _table("conflicts", conflict_head, conflict_rows),
            "<h2>Dead letters</h2>",
            _table("dead-letters", dead_head, dead_rows),
            "<h2>Field diffs of the last plan</h2>",
            _table("diffs", diff_head, diff_rows),
            "</body></html>\n",
        ]
    )
