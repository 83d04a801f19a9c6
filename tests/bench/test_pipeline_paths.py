"""bench_pipeline's work directories: each run has its own, meltano project included, so
two runs from one checkout at once write their meltano run files apart."""

from __future__ import annotations

from pathlib import Path

from bench.bench_pipeline import PLUGIN_KINDS, REPO, meltano_project, work_directory


def test_two_runs_get_their_own_meltano_run_directories(tmp_path: Path) -> None:
    first = work_directory("fast", 10_000, tmp_path / "root")
    second = work_directory("fast", 10_000, tmp_path / "root")
    assert first != second and first.parent == second.parent == tmp_path / "root"
    projects = [meltano_project(first), meltano_project(second)]
    assert projects == [first / "project", second / "project"]
    runs = [(p / ".meltano" / "run").resolve() for p in projects]
    assert runs[0] != runs[1]
    assert not any(run.is_relative_to(REPO) for run in runs)
    for project in projects:
        # meltano finds its project by meltano.yml in the working directory
        assert (project / "meltano.yml").read_text() == (REPO / "meltano.yml").read_text()
        assert not (project / "meltano.yml").is_symlink()
        for kind in PLUGIN_KINDS:  # the checkout's installed plugin venvs, shared
            assert (project / ".meltano" / kind).resolve() == (REPO / ".meltano" / kind).resolve()
        assert (project / "transforms" / "mappings").resolve() == REPO / "transforms" / "mappings"


def test_without_a_root_the_work_directory_is_a_new_temp_directory() -> None:
    made = work_directory("limited", 100)
    try:
        assert made.is_dir() and not made.is_relative_to(REPO)
        assert made.name.startswith("bench-pipeline-limited-100-")
    finally:
        made.rmdir()
