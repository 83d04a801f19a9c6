"""Run counts over time as an inline SVG bar chart (no script, no external resources).

One group of bars per run, one bar per series; each bar carries ``data-run``,
``data-series`` and ``data-value`` so a test (or a reader's devtools) can check it.
"""

from __future__ import annotations

from html import escape

from crm_sync.admin.overview import RunTotals

SERIES = {
    "created": "#2e7d32",
    "updated": "#1565c0",
    "conflicts": "#ef6c00",
    "failed": "#c62828",
}
"""The charted counters and their colours."""

_HEIGHT = 160
_BAR = 10
_GAP = 14
_PAD = 24


def run_chart(runs: list[RunTotals]) -> str:
    """An ``<svg>`` of :data:`SERIES` per run, scaled to the largest value."""
    top = max([r.counts.get(s, 0) for r in runs for s in SERIES] + [1])
    group = len(SERIES) * _BAR + _GAP
    width = _PAD * 2 + max(1, len(runs)) * group
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="run-chart" role="img" '
        f'width="{width}" height="{_HEIGHT + _PAD * 2}" '
        f'viewBox="0 0 {width} {_HEIGHT + _PAD * 2}">',
        f"<title>Counts per run (largest {top})</title>",
        f'<line x1="{_PAD}" y1="{_PAD + _HEIGHT}" x2="{width - _PAD}" '
        f'y2="{_PAD + _HEIGHT}" stroke="#555"/>',
    ]
    for index, run in enumerate(runs):
        x0 = _PAD + index * group
        for offset, (series, colour) in enumerate(SERIES.items()):
            value = run.counts.get(series, 0)
            height = round(_HEIGHT * value / top, 2)
            parts.append(
                f'<rect class="bar" data-run="{escape(run.run_id)}" data-series="{series}" '
                f'data-value="{value}" x="{x0 + offset * _BAR}" y="{_PAD + _HEIGHT - height}" '
                f'width="{_BAR - 1}" height="{height}" fill="{colour}">'
                f"<title>{escape(run.run_id)} {series}: {value}</title></rect>"
            )
        parts.append(
            f'<text x="{x0}" y="{_PAD * 2 + _HEIGHT - 6}" font-size="9">{index + 1}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    """The series' colours as HTML."""
    return " ".join(
        f'<span class="key"><span class="swatch" style="background:{c}"></span>{s}</span>'
        for s, c in SERIES.items()
    )
