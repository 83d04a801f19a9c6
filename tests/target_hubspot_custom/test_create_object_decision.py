"""Who decides that a mapped stream's missing HubSpot object is created: the spec.

map-crm hands a mapping's ``hubspot.create_object`` to the target in ``x-crm-mapping``;
the target's older ``create_object_schema`` setting answers only where the spec does not
say, with a deprecation WARNING (plain streams keep it as their switch).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from target_hubspot_custom.schema import DestinationSchemaError

from tests.target_hubspot_custom.test_target_sandbox import (
    MAPPING,
    record,
    run_target,
    schema_message,
)

OBJECT = "sf_widget"


def messages(create_object: bool | None) -> list[dict[str, Any]]:
    schema = schema_message()
    mapping = copy.deepcopy(MAPPING)
    mapping["hubspot"] = {"object": OBJECT, "id_property": "salesforce_id"}
    if create_object is not None:
        mapping["hubspot"]["create_object"] = create_object
    schema["schema"]["x-crm-mapping"] = mapping
    return [schema, record(1), record(2)]


def config_of(clean_sandbox: Any, tmp_path: Any, **extra: Any) -> dict[str, Any]:
    env = clean_sandbox.env
    return {
        "access_token": env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        "base_url": env["CRM_SANDBOX_HS_BASE_URL"],
        "ca_bundle": env["CRM_SANDBOX_CA_BUNDLE"],
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "plan_path": str(tmp_path / "plan.json"),
        **extra,
    }


def created(clean_sandbox: Any) -> int:
    return clean_sandbox.stats()["hubspot"]["calls"].get("POST /crm/v3/schemas", 0)


def deprecations(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]


def test_the_spec_creates_the_object_without_the_setting(clean_sandbox, tmp_path, caplog):
    with caplog.at_level("WARNING"):
        run_target(config_of(clean_sandbox, tmp_path), messages(True))
    assert created(clean_sandbox) == 1
    assert deprecations(caplog) == []


def test_the_old_setting_answers_for_a_silent_spec_with_a_warning(clean_sandbox, tmp_path, caplog):
    with caplog.at_level("WARNING"):
        run_target(config_of(clean_sandbox, tmp_path, create_object_schema=True), messages(None))
    assert created(clean_sandbox) == 1
    [warning] = deprecations(caplog)
    assert "create_object_schema setting is deprecated" in warning


def test_a_spec_that_says_no_wins_over_the_setting(clean_sandbox, tmp_path):
    with pytest.raises(DestinationSchemaError, match="create_object: true"):
        run_target(config_of(clean_sandbox, tmp_path, create_object_schema=True), messages(False))
    assert created(clean_sandbox) == 0
