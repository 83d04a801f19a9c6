"""The results as a markdown table, with the failures spelled out below it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .harness import Row
from .known import explain


@dataclass(frozen=True)
class Expected:
    """What a complete run sees: every seeded id (full), every changed id (incremental)."""

    seeded: dict[str, int]  # api -> rows seeded
    changed: dict[str, set[str]]  # api -> ids edited or deleted
    deleted: dict[str, int]  # api -> ids deleted


HEADER = (
    "| extractor | mode | run | records | distinct ids | coverage | deletes seen | seconds "
    "| records/s | API calls | peak RSS MiB | peer s / our s |\n"
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _coverage(row: Row, expected: Expected) -> str:
    api = row.extractor.api
    if row.phase == "full":
        return f"{len(row.ids):,}/{expected.seeded.get(api, 0):,}"
    changed = expected.changed.get(api, set())
    return f"{len(row.ids & changed):,}/{len(changed):,}"


def ratio(row: Row, rows: Iterable[Row]) -> str:
    """Peer seconds / our seconds for the same job (> 1: ours is faster)."""
    if row.extractor.ours or not row.ok:
        return "—"
    for other in rows:
        same_job = other.extractor.key == row.extractor.baseline and other.phase == row.phase
        if same_job and other.ok and other.seconds > 0:
            return f"{row.seconds / other.seconds:.2f}"
    return "—"


def render(rows: list[Row], expected: Expected, title: str) -> str:
    lines = [title, "", HEADER]
    failures = []
    for row in rows:
        ex = row.extractor
        if not row.ok:
            failures.append(row)
        rate = f"{row.records / row.seconds:,.0f}" if row.seconds and row.records else "—"
        status = ""
        if not row.ok:
            status = " **failed, sandbox gap**" if explain(row.failure) else " **failed**"
        lines.append(
            f"| {ex.label}{status} | {ex.mode} | {row.phase} | {row.records:,} | {len(row.ids):,} "
            f"| {_coverage(row, expected)} | {row.deletes:,} | "
            + (f"{row.seconds:.1f}" if row.seconds else "—")
            + f" | {rate} | {row.calls:,} | "
            + (f"{row.peak_mib:.0f}" if row.peak_mib else "—")
            + f" | {ratio(row, rows)} |"
        )
    deleted = ", ".join(f"{api}: {n}" for api, n in expected.deleted.items())
    lines += [
        "",
        "coverage: distinct ids seen / rows seeded (full) or / rows edited or deleted "
        f"(incremental; deleted among them: {deleted}). peer s / our s: the peer's time "
        "over our time on the same job (> 1: ours is faster).",
    ]
    if failures:
        lines += ["", "Runs that did not finish (the request they failed on, and why):", ""]
        for row in failures:
            ex = row.extractor
            why = explain(row.failure)
            lines.append(
                f"- **{ex.label}, {ex.mode}, {row.phase}**: {row.failure}"
                + (f"\n  - known sandbox gap: {why}" if why else "")
            )
    refused = [row for row in rows if row.non_2xx]
    if refused:
        lines += ["", "Non-2xx replies counted by the sandbox during each run:", ""]
        for row in refused:
            summary = "; ".join(
                f"`{route}` " + ", ".join(f"{code}: {n}" for code, n in codes.items())
                for route, codes in row.non_2xx.items()
            )
            lines.append(f"- {row.extractor.label}, {row.extractor.mode}, {row.phase}: {summary}")
    return "\n".join(lines) + "\n"
