"""Every field rule x direction x conflict setting of DESIGN §3, field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_sync.reconcile import MISSING, Outcome, Reason, decide_field
from crm_sync.vocabulary import Conflict, Direction, Rule, Side

T1 = datetime(2024, 1, 1, 10, tzinfo=UTC)
T2 = datetime(2024, 1, 1, 11, tzinfo=UTC)

DIRECTIONS = list(Direction)
RULES = list(Rule)
CONFLICTS = list(Conflict)


def decide(rule, direction, s, b, d, conflict=Conflict.NEWEST, tie=Side.SALESFORCE, st=T1, dt=T1):
    return decide_field(
        "f",
        s,
        b,
        d,
        rule=rule,
        direction=direction,
        conflict=conflict,
        tie=tie,
        source_modified_at=st,
        destination_modified_at=dt,
    )


def role(rule: Rule, direction: Direction) -> str:
    """How the rule relates to the leg: src-owned, dst-owned, two_way or none."""
    if rule is Rule.NONE:
        return "none"
    if rule is Rule.TWO_WAY:
        return "two_way"
    kind = "always" if rule.is_always else "prefer"
    return f"{kind}_{'src' if rule.owner is direction.source else 'dst'}"


def test_every_rule_has_a_role_in_both_directions():
    roles = {(role(r, d)) for r in RULES for d in DIRECTIONS}
    assert roles == {"none", "two_way", "always_src", "always_dst", "prefer_src", "prefer_dst"}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("conflict", CONFLICTS)
def test_unchanged_source_sends_nothing(rule, direction, conflict):
    for d in ("b", "other", "", MISSING):
        decision = decide(rule, direction, "b", "b", d, conflict)
        assert decision.outcome is Outcome.LEAVE
        assert decision.conflict is None


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_source_changed_destination_unchanged(rule, direction):
    decision = decide(rule, direction, "new", "old", "old")
    expected = {
        "none": (Outcome.LEAVE, Reason.RULE_NONE),
        "two_way": (Outcome.SEND, Reason.CHANGED),
        "always_src": (Outcome.SEND, Reason.CHANGED),
        "prefer_src": (Outcome.SEND, Reason.CHANGED),
        "always_dst": (Outcome.LEAVE, Reason.NEVER_THIS_DIRECTION),
        "prefer_dst": (Outcome.LEAVE, Reason.DESTINATION_PREFERRED),
    }[role(rule, direction)]
    assert (decision.outcome, decision.reason) == expected
    assert decision.conflict is None
    if decision.outcome is Outcome.SEND:
        assert decision.value == "new"


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_cleared_source_clears_destination_where_the_rule_writes(rule, direction):
    for blank in (None, ""):
        decision = decide(rule, direction, blank, "old", "old")
        writes = role(rule, direction) in ("two_way", "always_src", "prefer_src")
        assert (decision.outcome is Outcome.SEND) == writes
        if writes:
            assert decision.value == blank


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_blank_destination_is_filled(rule, direction):
    """Never synced (no base) or blank base, destination blank: the value flows."""
    for base in (MISSING, None, ""):
        decision = decide(rule, direction, "v", base, None)
        r = role(rule, direction)
        if r in ("none", "always_dst"):
            assert decision.outcome is Outcome.LEAVE
        else:
            assert decision.outcome is Outcome.SEND
            assert decision.value == "v"
            assert decision.conflict is None
            assert decision.reason is (Reason.FILLS_BLANK if r == "prefer_dst" else Reason.CHANGED)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_blank_source_never_clears_an_unsynced_destination(rule, direction):
    decision = decide(rule, direction, None, MISSING, "kept")
    assert decision.outcome is Outcome.LEAVE


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("conflict", CONFLICTS)
def test_conflict_both_changed(rule, direction, conflict):
    """S != B, D != B, S != D, both non-blank; equal times so newest goes to the tie side."""
    decision = decide(rule, direction, "mine", "old", "theirs", conflict)
    src, dst = direction.source, direction.destination
    r = role(rule, direction)
    if r in ("none", "always_dst"):
        assert decision.outcome is Outcome.LEAVE
        assert decision.conflict is None
        return
    if r == "two_way":
        winner = {
            Conflict.SALESFORCE: Side.SALESFORCE,
            Conflict.HUBSPOT: Side.HUBSPOT,
            Conflict.NEWEST: Side.SALESFORCE,  # tie
        }[conflict]
    else:
        winner = src if r.endswith("src") else dst
    assert decision.reason is Reason.CONFLICT
    assert decision.conflict is not None
    assert decision.conflict.winner is winner
    assert decision.conflict.rule is rule
    assert decision.outcome is (Outcome.SEND if winner is src else Outcome.LEAVE)
    assert decision.value == ("mine" if winner is src else None)
    assert (decision.conflict.source_value, decision.conflict.destination_value) == (
        "mine",
        "theirs",
    )
    assert decision.conflict.base_value == "old"
    del dst


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_conflict_with_blank_source(rule, direction):
    """Source cleared while the destination changed: prefer_* keeps the non-blank value."""
    decision = decide(rule, direction, None, "old", "theirs")
    r = role(rule, direction)
    if r in ("always_src",):
        assert decision.outcome is Outcome.SEND
        assert decision.conflict.winner is direction.source
    elif r == "prefer_src":
        assert decision.outcome is Outcome.LEAVE
        assert decision.conflict.winner is direction.destination
        assert "blank" in decision.conflict.decided_by
    elif r == "prefer_dst":
        assert decision.outcome is Outcome.LEAVE
        assert decision.conflict.winner is direction.destination
    elif r in ("none", "always_dst"):
        assert decision.outcome is Outcome.LEAVE
        assert decision.conflict is None


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_conflict_with_blank_destination(rule, direction):
    """Destination cleared while the source changed: prefer_dst writes while it is blank."""
    decision = decide(rule, direction, "mine", "old", "")
    r = role(rule, direction)
    if r == "prefer_dst":
        assert decision.outcome is Outcome.SEND
        assert decision.conflict.winner is direction.source
        assert "blank" in decision.conflict.decided_by
    elif r in ("always_src", "prefer_src"):
        assert decision.outcome is Outcome.SEND
        assert decision.conflict.winner is direction.source


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    ("source_time", "destination_time", "tie", "winner_is"),
    [
        (T2, T1, Side.SALESFORCE, "source"),
        (T1, T2, Side.SALESFORCE, "destination"),
        (T2, T1, Side.HUBSPOT, "source"),
        (T1, T2, Side.HUBSPOT, "destination"),
        (T1, T1, Side.SALESFORCE, Side.SALESFORCE),
        (T1, T1, Side.HUBSPOT, Side.HUBSPOT),
        (None, T1, Side.HUBSPOT, Side.HUBSPOT),
        (T1, None, Side.SALESFORCE, Side.SALESFORCE),
    ],
)
def test_newest_and_ties(direction, source_time, destination_time, tie, winner_is):
    decision = decide(
        Rule.TWO_WAY, direction, "mine", "old", "theirs", Conflict.NEWEST, tie,
        source_time, destination_time,
    )  # fmt: skip
    expected = {
        "source": direction.source,
        "destination": direction.destination,
    }.get(winner_is, winner_is)
    assert decision.conflict.winner is expected
    assert decision.conflict.decided_by.startswith("conflict=newest")
    assert ("tie" in decision.conflict.decided_by) == (
        source_time == destination_time or None in (source_time, destination_time)
    )


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", RULES)
def test_same_edit_on_both_sides_is_in_sync(rule, direction):
    decision = decide(rule, direction, "same", "old", "same")
    if rule is Rule.NONE:
        assert decision.reason is Reason.RULE_NONE
    else:
        assert decision.reason is Reason.IN_SYNC
        assert decision.outcome is Outcome.LEAVE
        assert decision.agreed


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_destination_not_read(direction):
    """Unknown D: writing rules assume it unchanged; prefer_dst cannot know, so it leaves."""
    sent = decide(Rule.TWO_WAY, direction, "new", "old", MISSING)
    assert sent.outcome is Outcome.SEND
    dst_pref = (
        Rule.PREFER_SALESFORCE
        if direction.destination is Side.SALESFORCE
        else (Rule.PREFER_HUBSPOT)
    )
    assert decide(dst_pref, direction, "new", "old", MISSING).reason is Reason.DESTINATION_UNKNOWN


def test_absent_source_field_leaves_it():
    decision = decide(Rule.TWO_WAY, Direction.SF_TO_HS, MISSING, "old", "x")
    assert decision.reason is Reason.ABSENT


def test_normalised_comparison_makes_echoes_free():
    """HubSpot returns what Salesforce sent in its own format: no change, no conflict."""
    for s, b in [
        ("10", 10.0),
        ("true", True),
        ("2024-01-01T10:00:00.000+0000", "2024-01-01T10:00:00Z"),
        (["b", "a"], ["a", "b"]),
        ("", None),
    ]:
        decision = decide(Rule.TWO_WAY, Direction.HS_TO_SF, s, b, "something else")
        assert decision.reason is Reason.UNCHANGED
