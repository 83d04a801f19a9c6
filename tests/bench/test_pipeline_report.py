"""bench_pipeline's report of a limited reverse-only size: its setup leg (limits lifted) is
listed but not judged, and the reverse leg's share of the ceiling is."""

from __future__ import annotations

from bench.bench_pipeline import REVERSE_SETUP, Run, markdown


def _run(profile: str, step: str, seconds: float, share: float | None = None) -> Run:
    return Run(
        profile=profile, size=1_000_000, step=step, seconds=seconds,
        records_per_second=1_000_000 / seconds, calls={}, total_calls=0, writes=0,
        minimum_writes=0, peak_rss_mib={"tap-hubspot-custom": 70.0}, sandbox_rss_mib=300.0,
        ok=True, hubspot_ceiling_share=share,
    )  # fmt: skip


def test_a_reverse_only_size_judges_the_reverse_leg_and_lists_its_setup() -> None:
    runs = [
        _run("fast", REVERSE_SETUP, 220.0),
        _run("limited", "reverse", 430.0, share=0.93),
    ]
    text = markdown(runs, "python bench/bench_pipeline.py", "10000", "1000000")
    assert "At 1000000 only the reverse leg runs under it" in text
    assert f"| fast | 1,000,000 | {REVERSE_SETUP} |" in text
    assert "limited 1,000,000 reverse first pull at 93% of the 190 per 10 s ceiling" in text
    # the setup leg is not the forward leg of the fast profile: no ratio is judged from it
    assert "forward leg" not in text.split("## Goals")[1]
