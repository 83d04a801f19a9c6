"""What a freshly provisioned portal has: standard objects, their default properties,
HubSpot-defined association types, and the custom object ``project``.
"""

from __future__ import annotations

from typing import Any

# Limits chosen for the sandbox. HubSpot's Products & Services Catalog sets both per
# subscription; these are the Enterprise figures it lists (custom object definitions per
# account; custom properties per object) — (unverified) beyond the catalog's wording.
MAX_CUSTOM_OBJECTS = 10
MAX_CUSTOM_PROPERTIES_PER_OBJECT = 1000
MAX_UNIQUE_PROPERTIES_PER_OBJECT = 10  # documented in the properties API guide

# (object type id, name, singular, plural, aliases, upper name, primary display property)
STANDARD_OBJECTS: list[tuple[str, str, str, str, list[str], str, str]] = [
    ("0-1", "contacts", "Contact", "Contacts", ["contact"], "CONTACT", "email"),
    ("0-2", "companies", "Company", "Companies", ["company"], "COMPANY", "name"),
    ("0-3", "deals", "Deal", "Deals", ["deal"], "DEAL", "dealname"),
    ("0-5", "tickets", "Ticket", "Tickets", ["ticket"], "TICKET", "subject"),
]

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
_DEALSTAGES = [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
]
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


def _opts(values: list[str]) -> list[dict[str, Any]]:
    return [
        {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
        for i, v in enumerate(values)
    ]


def _p(
    name: str,
    label: str,
    kind: str = "string",
    field_type: str = "text",
    group: str = "",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": kind,
        "field_type": field_type,
        "group_name": group,
        **extra,
    }


def _system(prefix_group: str, contacts: bool, standard: bool) -> list[dict[str, Any]]:
    ro = {"read_only_value": True, "read_only_definition": True, "form_field": False}
    props = [
        _p("hs_object_id", "Record ID", "number", "number", prefix_group, **ro),
        _p("hs_createdate", "Object create date/time", "datetime", "date", prefix_group, **ro),
        _p(
            "hs_lastmodifieddate",
            "Object last modified date/time",
            "datetime",
            "date",
            prefix_group,
            **ro,
        ),
        _p("hs_object_source", "Record source", "string", "text", prefix_group, **ro),
        _p("hs_object_source_id", "Record source detail 1", "string", "text", prefix_group, **ro),
        _p(
            "hs_merged_object_ids",
            "Merged record IDs",
            "enumeration",
            "checkbox",
            prefix_group,
            **ro,
        ),
    ]
    if standard:
        props.append(_p("createdate", "Create Date", "datetime", "date", prefix_group, **ro))
    if contacts:
        props.append(
            _p("lastmodifieddate", "Last Modified Date", "datetime", "date", prefix_group, **ro)
        )
    return props


def standard_properties(object_type_id: str) -> list[dict[str, Any]]:
    """Default properties of a standard object (a representative subset of HubSpot's)."""
    if object_type_id == "0-1":
        g = "contactinformation"
        return [
            _p("email", "Email", "string", "text", g),
            _p("firstname", "First Name", "string", "text", g),
            _p("lastname", "Last Name", "string", "text", g),
            _p("company", "Company Name", "string", "text", g),
            _p("phone", "Phone Number", "string", "phonenumber", g),
            _p("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
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
            # Added by the portal's admin for the Salesforce integration: the upsert key.
            _p(
                "salesforce_id",
                "Salesforce ID",
                "string",
                "text",
                g,
                has_unique_value=True,
                hubspot_defined=False,
            ),
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
            *_system(g, contacts=False, standard=True),
        ]
    if object_type_id == "0-3":
        g = "dealinformation"
        return [
            _p("dealname", "Deal Name", "string", "text", g),
            _p("amount", "Amount", "number", "number", g),
            _p("dealstage", "Deal Stage", "enumeration", "radio", g, options=_opts(_DEALSTAGES)),
            _p("pipeline", "Pipeline", "enumeration", "select", g, options=_opts(["default"])),
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
            *_system(g, contacts=False, standard=True),
        ]
    g = "ticketinformation"
    return [
        _p("subject", "Ticket name", "string", "text", g),
        _p("content", "Ticket description", "string", "textarea", g),
        _p("hs_pipeline", "Pipeline", "enumeration", "select", g, options=_opts(["0"])),
        _p(
            "hs_pipeline_stage",
            "Ticket status",
            "enumeration",
            "radio",
            g,
            options=_opts(["1", "2", "3", "4"]),
        ),
        _p(
            "hs_ticket_priority",
            "Priority",
            "enumeration",
            "select",
            g,
            options=_opts(["LOW", "MEDIUM", "HIGH"]),
        ),
        *_system(g, contacts=False, standard=True),
    ]


STANDARD_DEFAULT_PROPS: dict[str, list[str]] = {
    "0-1": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "0-2": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "0-3": [
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
    "0-5": [
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_priority",
        "subject",
    ],
}

STANDARD_SEARCHABLE: dict[str, list[str]] = {
    "0-1": ["email", "firstname", "lastname", "phone", "company", "hs_object_id"],
    "0-2": ["name", "domain", "phone", "website", "hs_object_id"],
    "0-3": ["dealname", "hs_object_id"],
    "0-5": ["subject", "content", "hs_object_id"],
}

# HubSpot-defined association types: (from, to, typeId, label); the unlabelled one of
# each pair is the default. Ids from HubSpot's v4 associations guide ("Association type
# id values"); 279/280 and 3/4 also seen in recorded traffic.
HUBSPOT_DEFINED_TYPES: list[tuple[str, str, int, str | None]] = [
    ("0-1", "0-2", 279, None),
    ("0-1", "0-2", 1, "Primary"),
    ("0-2", "0-1", 280, None),
    ("0-2", "0-1", 2, "Primary"),
    ("0-3", "0-1", 3, None),
    ("0-1", "0-3", 4, None),
    ("0-3", "0-2", 341, None),
    ("0-3", "0-2", 5, "Primary"),
    ("0-2", "0-3", 342, None),
    ("0-2", "0-3", 6, "Primary"),
    ("0-1", "0-5", 15, None),
    ("0-5", "0-1", 16, None),
    ("0-5", "0-2", 339, None),
    ("0-5", "0-2", 26, "Primary"),
    ("0-2", "0-5", 340, None),
    ("0-2", "0-5", 25, "Primary"),
    ("0-3", "0-5", 27, None),
    ("0-5", "0-3", 28, None),
    ("0-1", "0-1", 449, None),
    ("0-2", "0-2", 450, None),
    # Company hierarchy (HubSpot changelog 2018-09-11; labels unverified).
    ("0-2", "0-2", 13, "Parent Company"),
    ("0-2", "0-2", 14, "Child Company"),
    ("0-3", "0-3", 451, None),
    ("0-5", "0-5", 452, None),
]
INVERSE_TYPES: dict[int, int] = {
    279: 280,
    1: 2,
    3: 4,
    341: 342,
    5: 6,
    15: 16,
    339: 340,
    26: 25,
    27: 28,
    13: 14,
    449: 449,
    450: 450,
    451: 451,
    452: 452,
}
INVERSE_TYPES.update({v: k for k, v in list(INVERSE_TYPES.items())})

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

# The names schema ``associatedObjects`` use for standard objects.
ASSOCIATED_OBJECT_NAMES = {"CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3", "TICKET": "0-5"}
