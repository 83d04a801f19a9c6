"""Describe / properties data shaped like the live APIs, for Project__c <-> project."""

from __future__ import annotations

from typing import Any


def sf(name: str, type_: str, **kw: Any) -> dict[str, Any]:
    field = {
        "name": name,
        "type": type_,
        "length": kw.pop("length", 0),
        "nillable": True,
        "createable": True,
        "updateable": True,
        "calculated": False,
        "externalId": False,
        "unique": False,
        "defaultedOnCreate": False,
        "referenceTo": [],
        "relationshipName": None,
        "picklistValues": [],
    }
    field.update(kw)
    return field


def picklist(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "label": v, "active": True} for v in values]


def hs(name: str, type_: str, field_type: str, **kw: Any) -> dict[str, Any]:
    prop = {
        "name": name,
        "label": name,
        "type": type_,
        "fieldType": field_type,
        "options": [],
        "hasUniqueValue": False,
        "calculated": False,
        "modificationMetadata": {"readOnlyValue": False, "archivable": True},
    }
    prop.update(kw)
    return prop


def options(*values: str) -> list[dict[str, Any]]:
    return [
        {"value": v, "label": v, "hidden": False, "displayOrder": i} for i, v in enumerate(values)
    ]


def owner_property() -> dict[str, Any]:
    """``hubspot_owner_id`` as the properties API serves it: options are the owners."""
    return hs("hubspot_owner_id", "enumeration", "select", externalOptions=True,
              referencedObjectType="OWNER")  # fmt: skip


STATUSES = ("Draft", "Planned", "In Progress", "On Hold", "Done", "Cancelled")
TAGS = ("Analytics", "Integration", "Migration", "Mobile", "Security", "Web", "AI")


def project_describe() -> dict[str, Any]:
    return {
        "name": "Project__c",
        "fields": [
            sf("Id", "id", length=18, createable=False, updateable=False, nillable=False),
            sf("Name", "string", length=80),
            sf("Description__c", "textarea", length=32768),
            sf("Status__c", "picklist", length=255, picklistValues=picklist(*STATUSES)),
            sf("Tags__c", "multipicklist", length=4099, picklistValues=picklist(*TAGS)),
            sf("Budget__c", "currency", precision=16, scale=2),
            sf("Completion__c", "percent", precision=5, scale=2),
            sf("Priority__c", "double", precision=3, scale=0),
            sf("Is_Active__c", "boolean", nillable=False, defaultedOnCreate=True),
            sf("Start_Date__c", "date"),
            sf("Kickoff__c", "datetime"),
            sf("Contact_Email__c", "email", length=80),
            sf("Phone__c", "phone", length=40),
            sf("Website__c", "url", length=255),
            sf("Account__c", "reference", length=18, referenceTo=["Account"],
               relationshipName="Account__r"),
            sf("HubSpot_Id__c", "string", length=64, externalId=True, unique=True),
            sf("OwnerId", "reference", length=18, nillable=False, defaultedOnCreate=True,
               referenceTo=["User"], relationshipName="Owner"),
            sf("Score__c", "double", precision=18, scale=0, calculated=True, createable=False,
               updateable=False),
            sf("SystemModstamp", "datetime", createable=False, updateable=False, nillable=False),
        ],
    }  # fmt: skip


def project_schema() -> dict[str, Any]:
    return {
        "name": "project",
        "requiredProperties": ["project_name"],
        "properties": [
            hs("project_name", "string", "text"),
            hs("description", "string", "textarea"),
            hs("budget", "number", "number"),
            hs("completion", "number", "number"),
            hs("priority", "number", "number"),
            hs("is_active", "bool", "booleancheckbox"),
            hs("start_date", "date", "date"),
            hs("kickoff", "datetime", "date"),
            hs("contact_email", "string", "text"),
            hs("website", "string", "text"),
            hs("phone", "string", "phonenumber"),
            hs("status", "enumeration", "select",
               options=options("draft", "planned", "in_progress", "on_hold", "done", "cancelled")),
            hs("tags", "enumeration", "checkbox",
               options=options("analytics", "integration", "migration", "mobile", "security",
                               "web", "ai")),
            hs("salesforce_id", "string", "text", hasUniqueValue=True),
            owner_property(),
            hs("hs_object_id", "number", "number", calculated=True,
               modificationMetadata={"readOnlyValue": True}),
        ],
    }  # fmt: skip


def account_describe() -> dict[str, Any]:
    return {
        "name": "Account",
        "fields": [
            sf("Id", "id", length=18, createable=False, updateable=False, nillable=False),
            sf("Name", "string", length=255, nillable=False),
            sf("HubSpot_Id__c", "string", length=64, externalId=True, unique=True),
            sf(
                "OwnerId",
                "reference",
                length=18,
                nillable=False,
                defaultedOnCreate=True,
                referenceTo=["User"],
                relationshipName="Owner",
            ),
        ],
    }


def companies_schema() -> dict[str, Any]:
    return {
        "properties": [
            hs("name", "string", "text"),
            hs("salesforce_id", "string", "text", hasUniqueValue=True),
            owner_property(),
        ]
    }
