"""The one vocabulary: what each rule writes and favours, as DESIGN §3's table says."""

from __future__ import annotations

import pytest

from crm_sync import reconcile, spec
from crm_sync.vocabulary import Direction, RecordError, Rule, Side

SF, HS = Direction.SF_TO_HS, Direction.HS_TO_SF

# rule -> (writes sf_to_hs, writes hs_to_sf, favoured side)
TABLE = {
    Rule.TWO_WAY: (True, True, None),
    Rule.PREFER_SALESFORCE: (True, True, Side.SALESFORCE),
    Rule.ALWAYS_SALESFORCE: (True, False, Side.SALESFORCE),
    Rule.PREFER_HUBSPOT: (True, True, Side.HUBSPOT),
    Rule.ALWAYS_HUBSPOT: (False, True, Side.HUBSPOT),
    Rule.NONE: (False, False, None),
}


@pytest.mark.parametrize("rule", list(Rule))
def test_rule_directions_and_owner(rule: Rule) -> None:
    to_hs, to_sf, owner = TABLE[rule]
    assert rule.writes(SF) is to_hs
    assert rule.writes(HS) is to_sf
    assert rule.owner is owner
    assert rule.one_way is (Direction.from_side(owner) if rule.is_always and owner else None)


def test_spec_and_reconciler_share_the_same_words() -> None:
    for name in ("Rule", "Side", "Direction", "Conflict", "DeleteRule"):
        assert getattr(spec, name) is getattr(reconcile, name)


def test_direction_sides() -> None:
    assert SF.source is Side.SALESFORCE and SF.destination is Side.HUBSPOT
    assert SF.reverse is HS and Direction.towards(Side.SALESFORCE) is HS
    assert Direction.from_side(Side.HUBSPOT) is HS


def test_record_error_joins_and_round_trips() -> None:
    one = RecordError("DUPLICATE_VALUE", "duplicate", ("Email__c",))
    two = RecordError("REQUIRED_FIELD_MISSING", "missing", ("Name",))
    joined = RecordError.joined([one, two])
    assert joined.code == "DUPLICATE_VALUE"
    assert joined.fields == ("Email__c", "Name")
    assert "REQUIRED_FIELD_MISSING: missing [Name]" in joined.message
    assert RecordError.from_dict(one.to_dict()) == one
    assert str(one) == "DUPLICATE_VALUE: duplicate [Email__c]"
    assert RecordError.joined([]).code == "UNKNOWN_ERROR"
