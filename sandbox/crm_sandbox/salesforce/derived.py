"""Fields Salesforce computes on save: compound names, auto numbers, stage-driven flags."""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.schema import ObjectDef

AUDIT_FIELDS = ("LastModifiedDate", "SystemModstamp", "LastModifiedById")
"""What every update stamps (``SalesforceStore._audit``, a dict literal for speed)."""
DERIVING_OBJECTS = frozenset({"Contact", "Lead", "User", "Opportunity", "Case", "Task",
                              "CampaignMember"})  # fmt: skip
"""The objects whose rows :func:`derive` may change (it reads and writes fields the
update did not name)."""

# Opportunity stage → (probability %, forecast category, closed, won), as a new org ships.
STAGE_INFO: dict[str, tuple[float, str, bool, bool]] = {
    "Prospecting": (10, "Pipeline", False, False),
    "Qualification": (10, "Pipeline", False, False),
    "Needs Analysis": (20, "Pipeline", False, False),
    "Value Proposition": (50, "Pipeline", False, False),
    "Id. Decision Makers": (60, "Pipeline", False, False),
    "Perception Analysis": (70, "Pipeline", False, False),
    "Proposal/Price Quote": (75, "Pipeline", False, False),
    "Negotiation/Review": (90, "Pipeline", False, False),
    "Closed Won": (100, "Closed", True, True),
    "Closed Lost": (0, "Omitted", True, False),
}


def derive(obj: ObjectDef, row: dict[str, Any], changed: set[str], now: str) -> None:
    """Fill computed fields of ``row`` (the full stored row) after ``changed`` were set."""
    name = obj.name
    if name in ("Contact", "Lead", "User") and changed & {"FirstName", "LastName"}:
        row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
    elif name == "Opportunity" and "StageName" in changed:
        probability, forecast, closed, won = STAGE_INFO.get(
            row.get("StageName") or "", (None, "Pipeline", False, False)
        )
        if "Probability" not in changed and probability is not None:
            row["Probability"] = probability
        row["ForecastCategoryName"] = forecast
        row["IsClosed"], row["IsWon"] = int(closed), int(won)
    elif name == "Case" and "Status" in changed:
        closed = row.get("Status") == "Closed"
        if closed and not row.get("IsClosed"):
            row["ClosedDate"] = now
        elif not closed:
            row["ClosedDate"] = None
        row["IsClosed"] = int(closed)
    elif name == "Task" and changed & {"Status", "Priority"}:
        closed = row.get("Status") == "Completed"  # the closed status of a new org
        if closed and not row.get("IsClosed"):
            row["CompletedDateTime"] = now
        elif not closed:
            row["CompletedDateTime"] = None
        row["IsClosed"] = int(closed)
        row["IsHighPriority"] = int(row.get("Priority") == "High")
    elif name == "CampaignMember" and "Status" in changed:
        responded = row.get("Status") == "Responded"
        row["HasResponded"] = int(responded)
        if responded and not row.get("FirstRespondedDate"):
            row["FirstRespondedDate"] = now[:10]
