"""The bookmark at a millisecond many records share stays bounded (about a page of ids at
most), and a run cut at any STATE line resumes with no record lost or read twice (fake
portal; any pattern of ties and page sizes, full and incremental pulls)."""

from __future__ import annotations

import json
from typing import Any

import requests_mock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tap_hubspot_custom.conftest import Run, run_tap
from tests.tap_hubspot_custom.fake_hubspot import FakePortal
from tests.tap_kill import cut_points

PROJECT = "2-9"


def _bookmark(state: dict[str, Any]) -> dict[str, Any]:
    return state.get("bookmarks", {}).get("project") or {}


def _cuts(run: Run) -> list[tuple[list[str], dict[str, Any]]]:
    return cut_points(run.messages, "project", "id")


def _ties(fake: FakePortal, sizes: list[int]) -> list[str]:
    """Records in groups, each group sharing one millisecond."""
    ids = []
    for size in sizes:
        fake.tick()
        ids += [fake.create(PROJECT, project_name=f"t{len(ids) + i}") for i in range(size)]
    return ids


def _config(config: dict[str, Any], page: int) -> dict[str, Any]:
    return {**config, "search_page_size": page, "page_size": page, "include_archived": False}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    groups=st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=5),
    page=st.integers(min_value=2, max_value=6),
    cut=st.integers(min_value=0, max_value=10_000),
)
def test_an_incremental_run_cut_at_any_state_line_resumes_exactly(
    config: dict[str, Any],  # read only
    groups: list[int],
    page: int,
    cut: int,
) -> None:
    with requests_mock.Mocker() as mocker:
        fake = FakePortal().install(mocker)
        _ties(fake, [1])
        fake.tick(5000)
        cfg = _config(config, page)
        first = run_tap(cfg)
        fake.tick()
        every = _ties(fake, groups)
        whole = run_tap(cfg, state=first.state)
        assert sorted(whole.ids()) == sorted(every)
        cuts = _cuts(whole)
        for _, state in cuts:  # at most the ids of two pages, whatever the ties
            assert len(_bookmark(state)["boundary_ids"]) <= 2 * page
        before, state = cuts[cut % len(cuts)]
        rest = run_tap(cfg, state=state).ids()
        assert not set(rest) & set(before)
        assert sorted(before + rest) == sorted(every)


def _largest_state_line(fake: FakePortal, config: dict[str, Any], ties: int) -> int:
    _ties(fake, [1])
    fake.tick(5000)
    first = run_tap(config)
    fake.tick()
    tied = _ties(fake, [ties])
    second = run_tap(config, state=first.state)
    assert sorted(second.ids()) == sorted(tied)
    return max(len(json.dumps(_bookmark(s))) for _, s in _cuts(second))


def test_state_size_does_not_grow_with_the_ties(config: dict[str, Any]) -> None:
    cfg = _config(config, 50)
    sizes = {}
    for ties in (300, 1500):
        with requests_mock.Mocker() as mocker:
            sizes[ties] = _largest_state_line(FakePortal().install(mocker), cfg, ties)
    assert sizes[1500] <= sizes[300] + 20 and sizes[1500] < 2000


def test_a_full_pull_ending_at_a_millisecond_of_thousands_bookmarks_it_complete(
    fake: FakePortal, config: dict[str, Any]
) -> None:
    _ties(fake, [3, 1200])
    fake.tick(120_000)  # the server's clock is past them and the search index lag
    run = run_tap({**config, "include_archived": False})
    bookmark = _bookmark(run.state)
    assert bookmark["boundary_ids"] == [] and bookmark["boundary_complete"] is True
    assert run_tap(config, state=run.state).ids() == []


def test_an_old_state_listing_every_tie_is_still_read(
    fake: FakePortal, config: dict[str, Any]
) -> None:
    _ties(fake, [1])
    fake.tick(5000)
    cfg = _config(config, 20)
    first = run_tap(cfg)
    fake.tick()
    tied = _ties(fake, [90])
    whole = run_tap(cfg, state=first.state)
    at = _bookmark(whole.state)["replication_key_value"]
    done = tied[:35] + tied[50:61]  # what an older version listed: any ids at ``at``
    old = {"bookmarks": {"project": {
        "replication_key": "updatedAt", "replication_key_value": at, "boundary_ids": done,
        "boundary_complete": False,
    }}}  # fmt: skip
    fake.tick()
    later = _ties(fake, [2])
    resumed = run_tap(cfg, state=old)
    assert sorted(resumed.ids()) == sorted([t for t in tied if t not in done] + later)
    assert len(_bookmark(resumed.state)["boundary_ids"]) <= 2 * 20
    assert run_tap(cfg, state=resumed.state).ids() == []


def test_a_mass_delete_at_one_millisecond_leaves_no_id_list(
    fake: FakePortal, config: dict[str, Any]
) -> None:
    ids = _ties(fake, [1, 1500])
    fake.tick(5000)
    first = run_tap(config)
    fake.tick()
    for rid in ids[1:]:  # archived in one millisecond
        fake.archive(PROJECT, rid)
    fake.tick(5000)
    second = run_tap(config, state=first.state)
    assert sorted(r["id"] for r in second.records["project"] if r.get("archived")) == sorted(
        ids[1:]
    )
    bookmark = _bookmark(second.state)
    assert bookmark["archived_ids"] == [] and bookmark["archived_complete"] is True
    assert run_tap(config, state=second.state).ids() == []
