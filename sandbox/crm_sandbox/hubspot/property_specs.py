"""Building blocks of HubSpot-defined property definitions (plain dicts of Property fields).

Used by the modules that list each standard object's default properties
(:mod:`defaults`, :mod:`activity_properties`, :mod:`object_properties`).
"""

from __future__ import annotations

from typing import Any

READ_ONLY: dict[str, Any] = {
    "read_only_value": True,
    "read_only_definition": True,
    "form_field": False,
}


def spec(
    name: str,
    label: str,
    kind: str = "string",
    field_type: str = "text",
    group: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One property definition; ``extra`` holds further :class:`Property` fields."""
    return {
        "name": name,
        "label": label,
        "type": kind,
        "field_type": field_type,
        "group_name": group,
        **extra,
    }


def options(values: list[str]) -> list[dict[str, Any]]:
    """Options whose labels are the values in title case (``IN_PROGRESS`` -> In Progress)."""
    return [
        {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
        for i, v in enumerate(values)
    ]


def labelled(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Options from ``(value, label)`` pairs, in order."""
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False}
        for i, (value, label) in enumerate(pairs)
    ]


def owner(label: str, group: str) -> dict[str, Any]:
    """``hubspot_owner_id``: an enumeration whose options are the portal's owners.

    HubSpot serves it with ``externalOptions: true`` and no inline options; a value must
    be the ``id`` of an existing owner.
    """
    return spec(
        "hubspot_owner_id",
        label,
        "enumeration",
        "select",
        group,
        external_options=True,
        referenced_object_type="OWNER",
        description=(
            "The owner of the record. This can be any HubSpot user or Salesforce integration user."
        ),
    )


def system(group: str, contacts: bool, standard: bool) -> list[dict[str, Any]]:
    """Server-maintained properties every object has."""
    props = [
        spec("hs_object_id", "Record ID", "number", "number", group, **READ_ONLY),
        spec("hs_createdate", "Object create date/time", "datetime", "date", group, **READ_ONLY),
        spec(
            "hs_lastmodifieddate",
            "Object last modified date/time",
            "datetime",
            "date",
            group,
            **READ_ONLY,
        ),
        spec("hs_object_source", "Record source", "string", "text", group, **READ_ONLY),
        spec("hs_object_source_id", "Record source detail 1", "string", "text", group, **READ_ONLY),
        spec(
            "hs_merged_object_ids",
            "Merged record IDs",
            "enumeration",
            "checkbox",
            group,
            **READ_ONLY,
        ),
    ]
    if standard:
        props.append(spec("createdate", "Create Date", "datetime", "date", group, **READ_ONLY))
    if contacts:
        props.append(
            spec("lastmodifieddate", "Last Modified Date", "datetime", "date", group, **READ_ONLY)
        )
    return props


def salesforce_id(group: str) -> dict[str, Any]:
    """``salesforce_id``: the unique property a portal's admin adds for the Salesforce
    integration (the upsert key holding the Salesforce record id)."""
    return spec(
        "salesforce_id",
        "Salesforce ID",
        "string",
        "text",
        group,
        has_unique_value=True,
        hubspot_defined=False,
    )
