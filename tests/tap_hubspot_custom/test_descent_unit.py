"""The frontier between the list cursor (up) and the search walk (down): whatever the
order the two ends' pages arrive in, every id is claimed by exactly one end, and each
end stops where the other began."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tap_hubspot_custom.descent import Frontier


def pull(
    ids: list[int], list_page: int, search_page: int, order: list[bool]
) -> tuple[list[int], list[int], int, int]:
    """Both ends over ``ids`` (sorted), pages arriving as ``order`` says (True = list)."""
    frontier = Frontier()
    listed: list[int] = []
    searched: list[int] = []
    up = 0  # list cursor: index of the next id
    down = len(ids)  # search keyset: ids below ids[down]
    list_calls = search_calls = 0
    list_done = search_done = False
    turns = iter(order)
    while not (list_done and search_done):
        take_list = next(turns, True) if not (list_done or search_done) else not list_done
        if take_list:
            page = ids[up : up + list_page]
            up += len(page)
            list_calls += 1
            kept, list_done = frontier.claim_up(page, up >= len(ids))
            listed += page[kept]
        else:
            page = ids[max(0, down - search_page) : down][::-1]
            search_calls += 1
            keep, search_done = frontier.claim_down(page, len(page) < search_page)
            searched += page[:keep]
            if keep:
                down = ids.index(page[keep - 1])
    return listed, searched, list_calls, search_calls


@settings(max_examples=400, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**6), unique=True, max_size=120).map(sorted),
    list_page=st.integers(1, 12),
    search_page=st.integers(1, 25),
    order=st.lists(st.booleans(), max_size=60),
)
def test_every_id_is_claimed_by_exactly_one_end(
    ids: list[int], list_page: int, search_page: int, order: list[bool]
) -> None:
    listed, searched, list_calls, search_calls = pull(ids, list_page, search_page, order)
    assert sorted(listed + searched) == ids
    assert not set(listed) & set(searched)
    # The list keeps the low ids, the walk the high ones.
    if listed and searched:
        assert max(listed) < min(searched)
    # Neither end reads more than one page past the meeting point.
    assert (list_calls - 1) * list_page + (search_calls - 1) * search_page <= len(ids)


def test_a_finished_list_stops_the_walk() -> None:
    frontier = Frontier()
    assert frontier.claim_up([1, 2, 3], True) == (slice(0, 3), True)
    assert frontier.claim_down([9, 8], False) == (0, True)
