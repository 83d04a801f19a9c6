"""What a freshly provisioned portal has: the default properties of contacts, companies,
deals and tickets, the portal's limits, and the custom object ``project``.

The other standard objects' properties live in :mod:`activity_properties` and
:mod:`object_properties`; the object types themselves in :mod:`standard_types`.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.hubspot.pipelines import DEAL_STAGES, TICKET_STAGES, stage_options
from crm_sandbox.hubspot.property_specs import labelled, owner, salesforce_id
from crm_sandbox.hubspot.property_specs import options as _opts
from crm_sandbox.hubspot.property_specs import spec as _p
from crm_sandbox.hubspot.property_specs import system as _system

# Limits chosen for the sandbox. HubSpot's Products & Services Catalog sets both per
# subscription; these are the Enterprise figures it lists (custom object definitions per
# account; custom properties per object) — (unverified) beyond the catalog's wording.
MAX_CUSTOM_OBJECTS = 10
MAX_CUSTOM_PROPERTIES_PER_OBJECT = 1000
MAX_UNIQUE_PROPERTIES_PER_OBJECT = 10  # documented in the properties API guide

_LIFECYCLE = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
_DEALSTAGES = [stage_id for stage_id, _, _ in DEAL_STAGES]
_INDUSTRIES = [
    "ACCOUNTING",
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "MARKETING_AND_ADVERTISING",
    "RETAIL",
    "TELECOMMUNICATIONS",
]


# HubSpot's default options of the company property ``type``, plus the ones this portal's
# admin added to mirror Salesforce's Account types.
_COMPANY_TYPES = [
    "PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER",
    "CUSTOMER_DIRECT", "CUSTOMER_CHANNEL", "INSTALLATION_PARTNER",
]  # fmt: skip


def standard_properties(object_type_id: str) -> list[dict[str, Any]]:
    """Default properties of contacts, companies, deals, tickets (a subset of HubSpot's)."""
    if object_type_id == "0-1":
        g = "contactinformation"
        return [
            _p("email", "Email", "string", "text", g),
            _p("firstname", "First Name", "string", "text", g),
            _p("lastname", "Last Name", "string", "text", g),
            _p("company", "Company Name", "string", "text", g),
            _p("phone", "Phone Number", "string", "phonenumber", g),
            _p("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
            # Emails of contacts merged into this one (";"-separated); read-only.
            _p(
                "hs_additional_emails",
                "Additional email addresses",
                "enumeration",
                "checkbox",
                g,
                read_only_value=True,
            ),
            _p("jobtitle", "Job Title", "string", "text", g),
            _p("website", "Website URL", "string", "text", g),
            _p("address", "Street Address", "string", "text", g),
            _p("city", "City", "string", "text", g),
            _p("state", "State/Region", "string", "text", g),
            _p("zip", "Postal Code", "string", "text", g),
            _p("country", "Country/Region", "string", "text", g),
            _p(
                "lifecyclestage",
                "Lifecycle Stage",
                "enumeration",
                "radio",
                g,
                options=_opts(_LIFECYCLE),
            ),
            _p(
                "hs_email_optout",
                "Unsubscribed from all email",
                "bool",
                "booleancheckbox",
                g,
                options=[{"label": "True", "value": "true"}, {"label": "False", "value": "false"}],
            ),
            owner("Contact owner", g),
            salesforce_id(g),  # as on companies: the contact mapping's upsert key
            *_system(g, contacts=True, standard=True),
        ]
    if object_type_id == "0-2":
        g = "companyinformation"
        return [
            _p("name", "Company name", "string", "text", g),
            _p("domain", "Company Domain Name", "string", "text", g),
            _p("industry", "Industry", "enumeration", "select", g, options=_opts(_INDUSTRIES)),
            _p("phone", "Phone Number", "string", "phonenumber", g),
            _p("address", "Street Address", "string", "text", g),
            _p("city", "City", "string", "text", g),
            _p("state", "State/Region", "string", "text", g),
            _p("zip", "Postal Code", "string", "text", g),
            _p("country", "Country/Region", "string", "text", g),
            _p("type", "Type", "enumeration", "select", g, options=_opts(_COMPANY_TYPES)),
            salesforce_id(g),
            _p("website", "Website URL", "string", "text", g),
            _p("numberofemployees", "Number of Employees", "number", "number", g),
            _p("annualrevenue", "Annual Revenue", "number", "number", g),
            _p("description", "Description", "string", "textarea", g),
            _p(
                "lifecyclestage",
                "Lifecycle Stage",
                "enumeration",
                "radio",
                g,
                options=_opts(_LIFECYCLE),
            ),
            owner("Company owner", g),
            *_system(g, contacts=False, standard=True),
        ]
    if object_type_id == "0-3":
        g = "dealinformation"
        return [
            _p("dealname", "Deal Name", "string", "text", g),
            _p("amount", "Amount", "number", "number", g),
            _p(
                "dealstage",
                "Deal Stage",
                "enumeration",
                "radio",
                g,
                options=stage_options(DEAL_STAGES),
            ),
            _p(
                "pipeline",
                "Pipeline",
                "enumeration",
                "select",
                g,
                options=labelled([("default", "Sales Pipeline")]),
            ),
            _p("closedate", "Close Date", "datetime", "date", g),
            _p("description", "Deal Description", "string", "textarea", g),
            _p(
                "dealtype",
                "Deal Type",
                "enumeration",
                "radio",
                g,
                options=_opts(["newbusiness", "existingbusiness"]),
            ),
            owner("Deal owner", g),
            *_system(g, contacts=False, standard=True),
        ]
    g = "ticketinformation"
    return [
        _p("subject", "Ticket name", "string", "text", g),
        _p("content", "Ticket description", "string", "textarea", g),
        _p(
            "hs_pipeline",
            "Pipeline",
            "enumeration",
            "select",
            g,
            options=labelled([("0", "Support Pipeline")]),
        ),
        _p(
            "hs_pipeline_stage",
            "Ticket status",
            "enumeration",
            "radio",
            g,
            options=stage_options(TICKET_STAGES),
        ),
        _p(
            "hs_ticket_priority",
            "Priority",
            "enumeration",
            "select",
            g,
            options=_opts(["LOW", "MEDIUM", "HIGH"]),
        ),
        owner("Ticket owner", g),
        *_system(g, contacts=False, standard=True),
    ]


# Mirrors Salesforce's Project__c (the sync's custom object); created on every reset.
PROJECT_SCHEMA: dict[str, Any] = {
    "name": "project",
    "description": "Projects mirrored from Salesforce Project__c",
    "labels": {"singular": "Project", "plural": "Projects"},
    "primaryDisplayProperty": "project_name",
    "secondaryDisplayProperties": ["status"],
    "searchableProperties": ["project_name", "salesforce_id", "contact_email"],
    "requiredProperties": ["project_name"],
    "associatedObjects": ["CONTACT", "COMPANY"],
    "properties": [
        {"name": "project_name", "label": "Project name", "type": "string", "fieldType": "text"},
        {"name": "description", "label": "Description", "type": "string", "fieldType": "textarea"},
        {
            "name": "status",
            "label": "Status",
            "type": "enumeration",
            "fieldType": "select",
            "options": [
                {"label": label, "value": value}
                for label, value in (
                    ("Draft", "draft"),
                    ("Planned", "planned"),
                    ("In progress", "in_progress"),
                    ("On hold", "on_hold"),
                    ("Done", "done"),
                    ("Cancelled", "cancelled"),
                )
            ],
        },
        {
            "name": "tags",
            "label": "Tags",
            "type": "enumeration",
            "fieldType": "checkbox",
            "options": [
                {"label": label, "value": label.lower()}
                for label in (
                    "Analytics",
                    "Integration",
                    "Migration",
                    "Mobile",
                    "Security",
                    "Web",
                    "AI",
                )
            ],
        },
        {"name": "budget", "label": "Budget", "type": "number", "fieldType": "number"},
        {"name": "completion", "label": "Completion (%)", "type": "number", "fieldType": "number"},
        {"name": "priority", "label": "Priority", "type": "number", "fieldType": "number"},
        {
            "name": "is_active",
            "label": "Active",
            "type": "bool",
            "fieldType": "booleancheckbox",
            "options": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}],
        },
        {"name": "start_date", "label": "Start date", "type": "date", "fieldType": "date"},
        {"name": "kickoff", "label": "Kickoff", "type": "datetime", "fieldType": "date"},
        {"name": "contact_email", "label": "Contact email", "type": "string", "fieldType": "text"},
        {"name": "phone", "label": "Phone", "type": "string", "fieldType": "phonenumber"},
        {"name": "website", "label": "Website", "type": "string", "fieldType": "text"},
        {
            "name": "salesforce_id",
            "label": "Salesforce ID",
            "type": "string",
            "fieldType": "text",
            "hasUniqueValue": True,
        },
    ],
}
