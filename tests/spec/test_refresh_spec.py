"""The ``refresh:`` setting (issue 14, feature 1): schema, offline and live checks."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_sync.spec import load_dir, mapping_schema, validate_live
from crm_sync.spec.refresh import DURATION_PATTERN, parse_duration
from tests.spec.live_fixtures import (
    account_describe,
    companies_schema,
    hs,
    project_describe,
    project_schema,
)
from tests.spec.test_live import ACCOUNT, HEAD

PROJECT = (
    HEAD
    + """\
fields:
  - {salesforce: Name, hubspot: project_name, rule: two_way}
  - {salesforce: Budget__c, hubspot: budget, rule: prefer_salesforce}
  - {salesforce: Score__c, hubspot: score, rule: always_salesforce}
  - {salesforce: Phone__c, hubspot: phone, rule: none}
"""
)


def load(tmp_path: Path, refresh: str, fields: str = PROJECT) -> Any:
    (tmp_path / "project.yml").write_text(textwrap.dedent(fields) + textwrap.dedent(refresh))
    (tmp_path / "account.yml").write_text(ACCOUNT)
    return load_dir(tmp_path)


def codes(issues: list[Any]) -> list[tuple[str, str | None, int | None]]:
    return sorted((i.code, i.field, i.line) for i in issues if i.is_error)


def live(specs: Any) -> list[Any]:
    schema = project_schema()
    schema["properties"].append(hs("score", "number", "number"))
    return validate_live(
        specs.mappings,
        {"Project__c": project_describe(), "Account": account_describe()},
        {"project": schema, "companies": companies_schema()},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("1d", timedelta(days=1)),
     ("2w", timedelta(weeks=2))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_the_schema_and_the_parser_share_one_duration_grammar() -> None:
    every = mapping_schema()["properties"]["refresh"]["properties"]["every"]
    assert every["pattern"] == DURATION_PATTERN


@pytest.mark.parametrize("text", ["1 day", "0d", "1.5h", "d", "1y", ""])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_named_calculated_fields_load_and_pass(tmp_path: Path) -> None:
    specs = load(tmp_path, "refresh: {fields: [Score__c], every: 1d}\n")
    assert codes(specs.issues) == []
    refresh = specs.get("project").refresh
    assert (refresh.fields, refresh.every) == (("Score__c",), timedelta(days=1))
    assert codes(live(specs)) == []


def test_formulas_means_every_mapped_calculated_field(tmp_path: Path) -> None:
    specs = load(tmp_path, "refresh: {fields: formulas, every: 12h}\n")
    refresh = specs.get("project").refresh
    assert refresh.fields is None
    calculated = {"score__c"}
    mapped = ["Name", "Budget__c", "Score__c"]
    assert refresh.resolve(mapped, lambda n: n.casefold() in calculated) == ("Score__c",)
    assert codes(live(specs)) == []


def test_schema_refuses_a_bad_cadence_and_unknown_keys(tmp_path: Path) -> None:
    specs = load(tmp_path, "refresh: {fields: formulas, every: 1 day}\n")
    assert [(i.code, i.line) for i in specs.errors] == [("schema", 9)]
    assert "refresh/every" in specs.errors[0].message
    specs = load(tmp_path, "refresh: {fields: formulas, every: 1d, at: '02:00'}\n")
    assert [i.code for i in specs.errors] == ["schema"]
    specs = load(tmp_path, "refresh: {fields: [], every: 1d}\n")
    assert [i.code for i in specs.errors] == ["schema"]
    specs = load(tmp_path, "refresh: {every: 1d}\n")
    assert [i.code for i in specs.errors] == ["schema"]


def test_refreshed_fields_must_be_mapped_to_hubspot(tmp_path: Path) -> None:
    specs = load(
        tmp_path,
        """\
        refresh:
          fields: [Score__c, Completion__c, Phone__c, score__c]
          every: 1d
        """,
    )
    assert codes(specs.issues) == [
        ("refresh_field_not_mapped", "Completion__c", 10),  # not mapped at all
        ("refresh_field_not_mapped", "Phone__c", 10),  # rule none: never sent to HubSpot
        ("refresh_field_twice", "score__c", 10),
    ]
    assert specs.get("project") is None


def test_refreshed_fields_must_be_calculated_live(tmp_path: Path) -> None:
    specs = load(tmp_path, "refresh: {fields: [Budget__c, Score__c], every: 1d}\n")
    assert codes(specs.issues) == []
    issues = live(specs)
    assert codes(issues) == [("refresh_not_calculated", "Budget__c", 9)]
    assert "not a calculated field" in next(i.message for i in issues if i.is_error)


def test_formulas_without_a_mapped_calculated_field_is_an_error(tmp_path: Path) -> None:
    without_score = PROJECT.replace(
        "  - {salesforce: Score__c, hubspot: score, rule: always_salesforce}\n", ""
    )
    specs = load(tmp_path, "refresh: {fields: formulas, every: 1d}\n", without_score)
    assert codes(live(specs)) == [("refresh_nothing_calculated", None, 8)]
