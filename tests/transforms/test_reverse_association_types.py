"""Reverse leg: a lookup takes only the associations of its rule's own type.

tap-hubspot-custom lists one entry per association type, so a labelled pair comes with
HubSpot's unlabelled type beside it, and a company's companies hold its parent (14,
child to parent) next to its children (13) and the unlabelled pair (450) of each. The
shipped ``account.yml`` maps ``ParentId`` to 14: it must name the parent, never a child;
``project.yml``'s labelled ``Account__c`` takes the labelled company only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from map_crm.mapper import MapCrm

from tests.transforms.test_map_crm import MAPPINGS, run


def _entry(to_id: str, type_id: int, label: str | None, category: str) -> dict[str, Any]:
    return {"id": to_id, "type": "x", "typeId": type_id, "category": category, "label": label}


def _hs(to_id: str, type_id: int, label: str | None = None) -> dict[str, Any]:
    return _entry(to_id, type_id, label, "HUBSPOT_DEFINED")


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    for name in ("account.yml", "project.yml"):
        shutil.copy(MAPPINGS / name, tmp_path / name)
    (tmp_path / "live.json").write_text(json.dumps({"salesforce": {}, "hubspot": {}}))
    return tmp_path


def _lookups(specs: Path, stream: str, associations: dict[str, Any]) -> dict[str, Any]:
    mapper = MapCrm(
        config={
            "mappings_dir": str(specs),
            "direction": "hs_to_sf",
            "live_schemas": str(specs / "live.json"),
            "validate_live": False,
        }
    )
    schema = {
        "type": "SCHEMA",
        "stream": stream,
        "key_properties": ["id"],
        "schema": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "properties": {"type": "object"},
                "associations": {"type": ["object", "null"]},
            },
        },
    }
    record = {
        "id": "500",
        "properties": {"hs_lastmodifieddate": "2024-05-01T10:00:00Z"},
        "associations": associations,
    }
    _, out = run(mapper, schema, {"type": "RECORD", "stream": stream, "record": record})
    return {r["lookup"]: r["source_id"] for r in out["record"]["_crm_associations"]}


def test_parent_id_is_the_parent_never_a_child(specs: Path) -> None:
    # The child (13) comes first, as the tap orders by id.
    results = [
        _hs("101", 13, "Parent Company"),
        _hs("101", 450),
        _hs("900", 14, "Child Company"),
        _hs("900", 450),
    ]
    assert _lookups(specs, "companies", {"companies": {"results": results}}) == {"ParentId": "900"}
    only_children = [_hs("101", 13, "Parent Company"), _hs("101", 450)]
    assert _lookups(specs, "companies", {"companies": {"results": only_children}}) == {
        "ParentId": None
    }


def test_a_plain_association_sets_a_labelled_lookup_when_no_labelled_one_exists(
    specs: Path,
) -> None:
    """A HubSpot user associates a project with its company by the default type."""
    plain = [_entry("55", 9003, None, "USER_DEFINED")]
    assert _lookups(specs, "project", {"companies": {"results": plain}}) == {"Account__c": "55"}


def test_a_labelled_lookup_takes_the_labelled_company(specs: Path) -> None:
    labelled = _entry("77", 9001, "Project's company", "USER_DEFINED")
    results = [_entry("55", 9003, None, "USER_DEFINED"), labelled, {**labelled, "typeId": 9003}]
    results[2]["label"] = None
    looked = _lookups(specs, "project", {"companies": {"results": results}})
    assert looked["Account__c"] == "77"
