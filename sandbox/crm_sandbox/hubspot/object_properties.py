"""Default properties of the standard objects that are neither the four CRM objects
(:mod:`defaults`) nor activities (:mod:`activity_properties`): products, line items,
quotes, goals (``goal_targets``), leads and feedback submissions.

Names and types follow HubSpot's products, line items, quotes, goals, leads and feedback
submissions API guides; option lists and labels no source gave are marked (unverified).
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.hubspot.property_specs import READ_ONLY, labelled, owner, spec, system

BILLING_FREQUENCIES = [
    ("weekly", "Weekly"),
    ("biweekly", "Biweekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("per_six_months", "Every six months"),
    ("annually", "Annually"),
    ("per_two_years", "Every two years"),
    ("per_three_years", "Every three years"),
]  # (unverified) beyond monthly/quarterly/annually
PRODUCT_TYPES = [
    ("inventory", "Inventory"),
    ("non_inventory", "Non-inventory"),
    ("service", "Service"),
]
QUOTE_STATUSES = [
    ("DRAFT", "Draft"),
    ("APPROVAL_NOT_NEEDED", "Approval not needed"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("APPROVED", "Approved"),
    ("REJECTED", "Rejected"),
]
LEAD_TYPES = [
    ("NEW_BUSINESS", "New Business"),
    ("UPSELL", "Upsell"),
    ("RE_ATTEMPTING", "Re-attempting"),
]
LEAD_LABELS = [("COLD", "Cold"), ("WARM", "Warm"), ("HOT", "Hot")]
LEAD_STAGES = [
    ("new-stage-id", "New"),
    ("attempting-stage-id", "Attempting"),
    ("connected-stage-id", "Connected"),
    ("qualified-stage-id", "Qualified"),
    ("unqualified-stage-id", "Disqualified"),
]  # (unverified) stage ids of the default leads pipeline


SURVEY_TYPES = [("NPS", "NPS"), ("CES", "CES"), ("CSAT", "CSAT"), ("CUSTOM", "Custom")]
SENTIMENTS = [("POSITIVE", "Positive"), ("NEUTRAL", "Neutral"), ("NEGATIVE", "Negative")]


def _select(name: str, label: str, group: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return spec(name, label, "enumeration", "select", group, options=labelled(pairs))


def _pricing(group: str) -> list[dict[str, Any]]:
    return [
        spec("price", "Unit price", "number", "number", group),
        spec("hs_sku", "SKU", "string", "text", group),
        spec("description", "Description", "string", "textarea", group),
        spec("hs_cost_of_goods_sold", "Unit cost", "number", "number", group),
        _select("recurringbillingfrequency", "Billing frequency", group, BILLING_FREQUENCIES),
        spec("hs_recurring_billing_period", "Term", "string", "text", group),
    ]


def object_properties(type_id: str) -> list[dict[str, Any]]:
    """The default properties of one of these object types."""
    if type_id == "0-7":
        g = "productinformation"
        return [
            spec("name", "Name", "string", "text", g),
            *_pricing(g),
            _select("hs_product_type", "Product type", g, PRODUCT_TYPES),
            spec("hs_url", "URL", "string", "text", g),
            spec("hs_folder_id", "Folder", "number", "number", g),
            *system(g, contacts=False, standard=True),
        ]
    if type_id == "0-8":
        g = "lineiteminformation"
        return [
            spec("name", "Name", "string", "text", g),
            spec("hs_product_id", "Product ID", "number", "number", g),
            spec("quantity", "Quantity", "number", "number", g),
            *_pricing(g),
            spec("discount", "Unit discount", "number", "number", g),
            spec("hs_discount_percentage", "Discount Percentage", "number", "number", g),
            spec("amount", "Net price", "number", "number", g, **READ_ONLY),
            spec("hs_line_item_currency_code", "Currency", "string", "text", g),
            *system(g, contacts=False, standard=True),
        ]
    if type_id == "0-14":
        g = "quoteinformation"
        return [
            spec("hs_title", "Quote name", "string", "text", g),
            spec("hs_expiration_date", "Expiration date", "datetime", "date", g),
            _select("hs_status", "Quote approval status", g, QUOTE_STATUSES),
            spec("hs_language", "Language", "string", "text", g),
            spec("hs_currency", "Currency", "string", "text", g),
            spec("hs_quote_amount", "Quote amount", "number", "number", g, **READ_ONLY),
            spec("hs_sender_firstname", "Sender first name", "string", "text", g),
            spec("hs_sender_lastname", "Sender last name", "string", "text", g),
            spec("hs_sender_email", "Sender email", "string", "text", g),
            owner("Quote owner", g),
            *system(g, contacts=False, standard=True),
        ]
    if type_id == "0-74":
        g = "goal_target_information"
        return [
            spec("hs_goal_name", "Goal name", "string", "text", g),
            spec("hs_target_amount", "Target", "number", "number", g),
            spec("hs_start_datetime", "Start date", "datetime", "date", g),
            spec("hs_end_datetime", "End date", "datetime", "date", g),
            spec("hs_created_by_user_id", "Created by user ID", "number", "number", g),
            *system(g, contacts=False, standard=True),
        ]
    if type_id == "0-136":
        g = "lead_information"
        return [
            spec("hs_lead_name", "Lead name", "string", "text", g),
            _select("hs_lead_type", "Lead type", g, LEAD_TYPES),
            _select("hs_lead_label", "Lead label", g, LEAD_LABELS),
            _select("hs_pipeline", "Pipeline", g, [("lead-pipeline-id", "Leads pipeline")]),
            _select("hs_pipeline_stage", "Lead stage", g, LEAD_STAGES),
            owner("Lead owner", g),
            *system(g, contacts=False, standard=True),
        ]
    if type_id == "0-19":
        g = "feedback_submission_information"
        return [
            spec("hs_submission_name", "Submission name", "string", "text", g),
            _select("hs_survey_type", "Survey type", g, SURVEY_TYPES),
            spec("hs_survey_id", "Survey ID", "number", "number", g),
            spec("hs_survey_channel", "Survey channel", "string", "text", g),
            spec("hs_value", "Rating", "number", "number", g),
            spec("hs_content", "Response", "string", "textarea", g),
            _select("hs_sentiment", "Sentiment", g, SENTIMENTS),
            *system(g, contacts=False, standard=True),
        ]
    raise KeyError(type_id)
