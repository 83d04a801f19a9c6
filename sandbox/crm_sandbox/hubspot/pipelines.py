"""The portal's default pipelines of deals, tickets and leads (read-only).

A new portal has one deal pipeline (``default``, "Sales Pipeline") and one ticket
pipeline (``0``, "Support Pipeline"); their stage ids are the option values of
``dealstage`` and ``hs_pipeline_stage``. Stage labels and deal probabilities are
HubSpot's defaults as its pipelines guide shows them; the lead pipeline's ids are
(unverified). Served as ``/crm/v3/pipelines/{objectType}`` and the legacy
``/crm-pipelines/v1/pipelines/{deals|tickets}`` (MeltanoLabs' tap-hubspot reads the
latter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crm_sandbox.hubspot.object_properties import LEAD_STAGES


def _deal(stage_id: str, label: str, probability: str) -> tuple[str, str, dict[str, str]]:
    closed = probability in ("1.0", "0.0")
    return stage_id, label, {"isClosed": str(closed).lower(), "probability": probability}


# (stage id, label, metadata)
DEAL_STAGES: list[tuple[str, str, dict[str, str]]] = [
    _deal("appointmentscheduled", "Appointment Scheduled", "0.2"),
    _deal("qualifiedtobuy", "Qualified To Buy", "0.4"),
    _deal("presentationscheduled", "Presentation Scheduled", "0.6"),
    _deal("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    _deal("contractsent", "Contract Sent", "0.9"),
    _deal("closedwon", "Closed Won", "1.0"),
    _deal("closedlost", "Closed Lost", "0.0"),
]
TICKET_STAGES: list[tuple[str, str, dict[str, str]]] = [
    ("1", "New", {"ticketState": "OPEN", "isClosed": "false"}),
    ("2", "Waiting on contact", {"ticketState": "OPEN", "isClosed": "false"}),
    ("3", "Waiting on us", {"ticketState": "OPEN", "isClosed": "false"}),
    ("4", "Closed", {"ticketState": "CLOSED", "isClosed": "true"}),
]
_LEAD_CLOSED = ("qualified-stage-id", "unqualified-stage-id")
LEAD_PIPELINE_STAGES: list[tuple[str, str, dict[str, str]]] = [
    (value, label, {"isClosed": str(value in _LEAD_CLOSED).lower()}) for value, label in LEAD_STAGES
]
# When the portal was made: pipelines carry fixed stamps, as a real portal's do.
_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pipeline:
    object_type_id: str
    id: str
    label: str
    stages: list[tuple[str, str, dict[str, str]]]

    def wire(self) -> dict[str, Any]:
        """``Pipeline`` of the v3 pipelines API."""
        stamp = _CREATED.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {
            "label": self.label,
            "displayOrder": 0,
            "id": self.id,
            "stages": [
                {
                    "label": label,
                    "displayOrder": i,
                    "metadata": metadata,
                    "id": stage_id,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": False,
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                }
                for i, (stage_id, label, metadata) in enumerate(self.stages)
            ],
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }

    def wire_v1(self) -> dict[str, Any]:
        """A pipeline of the legacy ``/crm-pipelines/v1`` API (epoch-millisecond stamps)."""
        ms = int(_CREATED.timestamp() * 1000)
        stages = []
        for i, (stage_id, label, metadata) in enumerate(self.stages):
            meta: dict[str, Any] = dict(metadata)
            if "probability" in meta:
                meta["probability"] = float(meta["probability"])
            stages.append(
                {
                    "stageId": stage_id,
                    "createdAt": ms,
                    "updatedAt": ms,
                    "label": label,
                    "displayOrder": i,
                    "active": True,
                    "metadata": meta,
                }
            )
        return {
            "pipelineId": self.id,
            "createdAt": ms,
            "updatedAt": ms,
            "objectType": "DEAL" if self.object_type_id == "0-3" else "TICKET",
            "label": self.label,
            "displayOrder": 0,
            "active": True,
            "default": True,
            "stages": stages,
        }


PIPELINES: dict[str, list[Pipeline]] = {
    "0-3": [Pipeline("0-3", "default", "Sales Pipeline", DEAL_STAGES)],
    "0-5": [Pipeline("0-5", "0", "Support Pipeline", TICKET_STAGES)],
    "0-136": [Pipeline("0-136", "lead-pipeline-id", "Leads pipeline", LEAD_PIPELINE_STAGES)],
}


def stage_options(stages: list[tuple[str, str, dict[str, str]]]) -> list[dict[str, Any]]:
    """The stages as enumeration options (what ``dealstage`` and the like offer)."""
    return [
        {"label": label, "value": stage_id, "displayOrder": i, "hidden": False}
        for i, (stage_id, label, _) in enumerate(stages)
    ]
