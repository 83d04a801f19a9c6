"""The frontier between the list chains (up) and the search walk (down): whatever the
order the ends' pages arrive in, and however a guessed cursor is answered, every id is
claimed by exactly one end, and each end stops where the next one began -- also when the
walk, having met a chain, goes on down the widest part the chains have left."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tap_hubspot_custom.descent import Frontier, Segment


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


GUESSES = ("from", "after", "refused", "below", "unordered")
"""How a portal may answer a chain started at a guessed ``after=<id>``: ids from it (the
sandbox), ids after it (the fake portal), a 4xx, ids below it, ids out of order."""


class _Chain:
    """A list chain above the first in the model: its segment and its next page's index."""

    def __init__(self, segment: Segment, guess: str) -> None:
        self.segment = segment
        self.guess = guess
        self.at: int | None = None  # None: the guessed first page not asked for yet
        self.done = False


def pull_chains(
    ids: list[int],
    list_page: int,
    search_page: int,
    starts: list[int],
    guesses: list[str],
    add_at: int,
    order: list[int],
    splits: frozenset[int] = frozenset(),
    gap_width: int = 0,
    frontier: Frontier | None = None,
) -> list[int]:
    """Chain 0 up from the lowest id, chains started at ``starts`` (after ``add_at``
    steps) answering as ``guesses`` say, the walk down from the top; at each step in
    ``splits`` one more chain in the middle of the widest part left (as when a chain
    ends); steps taken in ``order``. With ``gap_width``, the walk that met a chain goes on
    in the widest part left at least that wide (:meth:`Frontier.next_run`). Every id each
    end claimed, in claim order."""
    frontier = frontier if frontier is not None else Frontier()
    claimed: list[int] = []
    up, down = 0, len(ids)
    zero_done = walk_done = False
    chains: list[_Chain] = []

    def step_zero() -> None:
        nonlocal up, zero_done
        page = ids[up : up + list_page]
        up += len(page)
        kept, zero_done = frontier.claim_up(page, up >= len(ids))
        claimed.extend(page[kept])

    def step_walk() -> None:
        nonlocal down, walk_done
        page = ids[max(0, down - search_page) : down][::-1]
        keep, stop = frontier.claim_down(page, len(page) < search_page)
        claimed.extend(page[:keep])
        if keep:
            down = ids.index(page[keep - 1])
        if stop:
            below = frontier.next_run(gap_width) if gap_width else None
            walk_done = below is None
            if below is not None:  # search ``hs_object_id < below`` from here
                down = bisect_left(ids, below)

    def first_page(chain: _Chain) -> list[int] | None:
        start = chain.segment.start
        assert start is not None
        if chain.guess == "refused":
            frontier.drop(chain.segment)
            return None
        at = {
            "from": bisect_left(ids, start),
            "after": bisect_right(ids, start),
            "below": max(0, bisect_left(ids, start) - 3),
            "unordered": bisect_left(ids, start),
        }[chain.guess]
        page = ids[at : at + list_page]
        if chain.guess == "unordered":
            page = page[::-1]
        if not frontier.holds(chain.segment, page):
            return None
        chain.at = at
        return page

    def step_chain(chain: _Chain) -> None:
        if chain.at is None:
            page = first_page(chain)
            if page is None:
                chain.done = True
                return
        else:
            page = ids[chain.at : chain.at + list_page]
        if frontier.blocked(page, chain.segment):
            return  # the model takes another step first (threads would wait here)
        assert chain.at is not None
        chain.at += len(page)
        kept, chain.done = frontier.claim_up(page, chain.at >= len(ids), chain.segment)
        claimed.extend(page[kept])

    def actors() -> list[Any]:
        live: list[Any] = [c for c in chains if not c.done]
        if not zero_done:
            live.insert(0, "zero")
        if not walk_done:
            live.append("walk")
        return live

    def runnable(actor: Any) -> bool:
        if actor == "zero":
            return not frontier.blocked(ids[up : up + list_page])
        if isinstance(actor, _Chain) and actor.at is not None:
            return not frontier.blocked(ids[actor.at : actor.at + list_page], actor.segment)
        return True

    steps = 0
    turns = iter(order)
    while live := actors():
        if steps == add_at:
            for start, guess in zip(starts, guesses, strict=False):
                segment = frontier.add_chain(start)
                if segment is not None:
                    chains.append(_Chain(segment, guess))
            live = actors()
        if steps in splits and (gap := frontier.widest_gap()) is not None:
            after, before, _ = gap
            segment = frontier.add_chain(after + (before - after) // 2)
            if segment is not None:
                chains.append(_Chain(segment, guesses[steps % len(guesses)]))
            live = actors()
        steps += 1
        choice = live[next(turns, 0) % len(live)]
        if not runnable(choice):
            choice = next((a for a in live if runnable(a)), None)
            assert choice is not None, "every end waits: a deadlock"
        if choice == "zero":
            step_zero()
        elif choice == "walk":
            step_walk()
        else:
            step_chain(choice)
    return claimed


@settings(max_examples=800, deadline=None)
@given(
    ids=st.lists(st.integers(1, 2000), unique=True, max_size=150).map(sorted),
    list_page=st.integers(1, 12),
    search_page=st.integers(1, 25),
    starts=st.lists(st.integers(1, 2000), max_size=4).map(sorted),
    guesses=st.lists(st.sampled_from(GUESSES), min_size=4, max_size=4),
    add_at=st.integers(0, 6),
    order=st.lists(st.integers(0, 5), max_size=80),
    splits=st.frozensets(st.integers(0, 40), max_size=4),
    gap_width=st.integers(0, 300),
)
def test_several_chains_claim_every_id_exactly_once(
    ids: list[int],
    list_page: int,
    search_page: int,
    starts: list[int],
    guesses: list[str],
    add_at: int,
    order: list[int],
    splits: frozenset[int],
    gap_width: int,
) -> None:
    """Also when the walk that met a chain goes on in the widest part left (``gap_width``
    > 0: at least that wide)."""
    frontier = Frontier()
    claimed = pull_chains(
        ids, list_page, search_page, starts, guesses, add_at, order, splits, gap_width, frontier
    )
    assert sorted(claimed) == ids  # each once: none lost, none twice
    # Each stretch of the walk in a lower part claimed ids below its top only.
    assert all(r.high < r.top for r in frontier.runs if r.high is not None and r.top is not None)


def test_a_chain_waits_for_the_guess_above_it() -> None:
    frontier = Frontier()
    assert frontier.claim_up([1, 2], False) == (slice(0, 2), False)
    above = frontier.add_chain(10)
    assert above is not None
    assert frontier.claim_up([3, 4], False) == (slice(0, 2), False)  # below the guess
    assert frontier.blocked([5, 10, 11])  # past it: waits for the guessed page
    assert frontier.holds(above, [12, 13])  # served from 12: the first chain stops there
    assert frontier.claim_up([5, 10, 11, 12], False) == (slice(0, 3), True)
    assert frontier.claim_up([12, 13], False, above) == (slice(0, 2), False)


def test_a_guess_answered_below_its_id_is_dropped() -> None:
    frontier = Frontier()
    above = frontier.add_chain(10)
    assert above is not None
    assert not frontier.holds(above, [7, 8, 12])
    assert frontier.guess_failed and frontier.add_chain(20) is None  # no further chain
    assert frontier.claim_up([5, 10, 11, 12], True) == (slice(0, 4), True)  # reads through


def _with_middle_chain(first: list[int]) -> tuple[Frontier, Segment]:
    """The first chain has read ids 1 and 2; a chain above it proved itself with ``first``
    and claimed them."""
    frontier = Frontier()
    assert frontier.claim_up([1, 2], False) == (slice(0, 2), False)
    middle = frontier.add_chain(first[0])
    assert middle is not None and frontier.holds(middle, first)
    assert frontier.claim_up(first, False, middle) == (slice(0, len(first)), False)
    return frontier, middle


def test_the_walk_goes_on_in_the_widest_part_left() -> None:
    frontier, middle = _with_middle_chain([100, 101])
    # The walk from the top meets the middle chain (no id between 101 and 120): 3..99 left.
    assert frontier.claim_down([199, 150, 120, 101], False) == (3, True)
    assert frontier.high == 120
    assert frontier.next_run(10) == 100  # below the middle chain's floor
    # The chain below keeps ids under the stretch's lowest claim, the stretch ids above it.
    assert frontier.claim_down([99, 98, 97], False) == (3, False)
    assert frontier.claim_up([3, 4, 97], False) == (slice(0, 2), True)
    assert frontier.claim_down([96, 95, 4, 3], False) == (2, True)
    # The first chain met the stretch, the middle chain met the walk: nothing is left.
    assert frontier.next_run(1) is None
    assert frontier.claim_up([120], False, middle) == (slice(0, 0), True)
    assert frontier.list_done


def test_a_narrow_part_is_left_to_its_chain() -> None:
    frontier, _ = _with_middle_chain([100])
    assert frontier.claim_down([300, 200, 100], False) == (2, True)
    assert frontier.next_run(98) is None  # 3..99: 97 ids wide
    assert frontier.next_run(97) == 100


def test_no_part_is_walked_below_a_guess_on_the_way() -> None:
    frontier, _ = _with_middle_chain([500, 501])
    guess = frontier.add_chain(100)  # in the first chain's part
    assert guess is not None
    assert frontier.claim_down([700, 600, 501], False) == (2, True)
    # The first chain's part ends at the guess, which may still be dropped: not walked.
    assert frontier.next_run(1) is None
    assert frontier.holds(guess, [100])
    assert frontier.next_run(1) == 500  # the guess held: its part, 100..499, is widest
