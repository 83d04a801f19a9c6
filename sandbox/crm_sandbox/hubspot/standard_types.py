"""HubSpot's standard object types: ids, names, aliases, display and read defaults, scopes.

Object type ids from HubSpot's "Using the object APIs" guide (table of object type ids):
contacts 0-1, companies 0-2, deals 0-3, tickets 0-5, products 0-7, line items 0-8,
quotes 0-14, communications 0-18, tasks 0-27, notes 0-46, meetings 0-47, calls 0-48,
emails 0-49, goals 0-74 (``goal_targets``), postal mail 0-116, leads 0-136, feedback
submissions 0-19 (read-only in HubSpot's API; the sandbox also accepts writes, so tests
can make some).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.hubspot.activity_properties import activity_properties
from crm_sandbox.hubspot.defaults import standard_properties
from crm_sandbox.hubspot.object_properties import object_properties

_SYSTEM_READ = ["createdate", "hs_lastmodifieddate", "hs_object_id"]
_ACTIVITY_READ = ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"]


@dataclass(frozen=True)
class StandardType:
    type_id: str
    name: str
    """The plural API name (``line_items``); what v3 ``associations`` keys use."""
    singular: str
    """Singular API name, as in v3 association type names (``line_item_to_deal``)."""
    labels: tuple[str, str]
    upper: str
    """How error messages and schema ``associatedObjects`` name it (``LINE_ITEM``)."""
    primary: str
    searchable: list[str]
    read_defaults: list[str]
    """Returned by reads that name no ``properties`` (unverified beyond the 4 CRM objects)."""
    scope: str
    """Scope family: ``crm.objects.{scope}.read`` etc.; see :mod:`scopes`."""
    aliases: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)

    @property
    def activity(self) -> bool:
        return self.type_id in ACTIVITY_TYPE_IDS

    def properties(self) -> list[dict[str, Any]]:
        if self.type_id in ("0-1", "0-2", "0-3", "0-5"):
            return standard_properties(self.type_id)
        if self.activity:
            return activity_properties(self.type_id)
        return object_properties(self.type_id)


ACTIVITY_TYPE_IDS = frozenset({"0-18", "0-27", "0-46", "0-47", "0-48", "0-49", "0-116"})


def _activity(
    type_id: str, name: str, singular: str, labels: tuple[str, str], primary: str
) -> StandardType:
    # The activity guides mark hs_timestamp "Required"; engagements need contacts scopes
    # (the tasks guide lists crm.objects.contacts.read/write).
    return StandardType(
        type_id,
        name,
        singular,
        labels,
        singular.upper(),
        primary,
        [primary, "hs_object_id"],
        _ACTIVITY_READ,
        "contacts",
        [singular],
        ["hs_timestamp"],
    )


STANDARD_TYPES: list[StandardType] = [
    StandardType(
        "0-1",
        "contacts",
        "contact",
        ("Contact", "Contacts"),
        "CONTACT",
        "email",
        ["email", "firstname", "lastname", "phone", "company", "hs_object_id"],
        ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
        "contacts",
        ["contact"],
    ),
    StandardType(
        "0-2",
        "companies",
        "company",
        ("Company", "Companies"),
        "COMPANY",
        "name",
        ["name", "domain", "phone", "website", "hs_object_id"],
        ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
        "companies",
        ["company"],
    ),
    StandardType(
        "0-3",
        "deals",
        "deal",
        ("Deal", "Deals"),
        "DEAL",
        "dealname",
        ["dealname", "hs_object_id"],
        [
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ],
        "deals",
        ["deal"],
    ),
    StandardType(
        "0-5",
        "tickets",
        "ticket",
        ("Ticket", "Tickets"),
        "TICKET",
        "subject",
        ["subject", "content", "hs_object_id"],
        [
            "content",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
            "hs_pipeline",
            "hs_pipeline_stage",
            "hs_ticket_priority",
            "subject",
        ],
        "tickets",
        ["ticket"],
    ),
    StandardType(
        "0-7",
        "products",
        "product",
        ("Product", "Products"),
        "PRODUCT",
        "name",
        ["name", "hs_sku", "hs_object_id"],
        ["createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"],
        "products",
        ["product"],
    ),
    StandardType(
        "0-8",
        "line_items",
        "line_item",
        ("Line item", "Line items"),
        "LINE_ITEM",
        "name",
        ["name", "hs_sku", "hs_object_id"],
        [*_SYSTEM_READ, "name", "price", "quantity"],
        "line_items",
        ["line_item", "lineitem", "lineitems"],
    ),
    StandardType(
        "0-14",
        "quotes",
        "quote",
        ("Quote", "Quotes"),
        "QUOTE",
        "hs_title",
        ["hs_title", "hs_object_id"],
        [*_SYSTEM_READ, "hs_expiration_date", "hs_title"],
        "quotes",
        ["quote"],
    ),
    _activity(
        "0-18",
        "communications",
        "communication",
        ("Communication", "Communications"),
        "hs_communication_body",
    ),
    _activity("0-27", "tasks", "task", ("Task", "Tasks"), "hs_task_subject"),
    _activity("0-46", "notes", "note", ("Note", "Notes"), "hs_note_body"),
    _activity("0-47", "meetings", "meeting", ("Meeting", "Meetings"), "hs_meeting_title"),
    _activity("0-48", "calls", "call", ("Call", "Calls"), "hs_call_title"),
    _activity("0-49", "emails", "email", ("Email", "Emails"), "hs_email_subject"),
    _activity(
        "0-116", "postal_mail", "postal_mail", ("Postal mail", "Postal mail"), "hs_postal_mail_body"
    ),
    StandardType(
        "0-74",
        "goal_targets",
        "goal_target",
        ("Goal", "Goals"),
        "GOAL_TARGET",
        "hs_goal_name",
        ["hs_goal_name", "hs_object_id"],
        [*_SYSTEM_READ, "hs_goal_name"],
        "goals",
        ["goal_target", "goals", "goal"],
    ),
    StandardType(
        "0-19",
        "feedback_submissions",
        "feedback_submission",
        ("Feedback submission", "Feedback submissions"),
        "FEEDBACK_SUBMISSION",
        "hs_submission_name",
        ["hs_submission_name", "hs_object_id"],
        [*_SYSTEM_READ, "hs_submission_name"],
        "feedback_submissions",
        ["feedback_submission"],
    ),
    StandardType(
        "0-136",
        "leads",
        "lead",
        ("Lead", "Leads"),
        "LEAD",
        "hs_lead_name",
        ["hs_lead_name", "hs_object_id"],
        [*_SYSTEM_READ, "hs_lead_name"],
        "leads",
        ["lead"],
        ["hs_lead_name"],  # the leads guide: a lead must have a name (and a contact)
    ),
]

BY_ID: dict[str, StandardType] = {t.type_id: t for t in STANDARD_TYPES}

# The names schema ``associatedObjects`` use for standard objects.
ASSOCIATED_OBJECT_NAMES: dict[str, str] = {t.upper: t.type_id for t in STANDARD_TYPES}


def singular_name(type_id: str, fallback: str) -> str:
    """The singular API name of a standard type; ``fallback`` (a custom object's name)."""
    found = BY_ID.get(type_id)
    return found.singular if found else fallback
