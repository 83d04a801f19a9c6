"""Default properties of HubSpot's activity objects (engagements): calls, emails,
meetings, notes, tasks, communications and postal mail.

Names, types and option values follow HubSpot's per-object API guides ("Properties"
tables of the calls, emails, meetings, notes, tasks, communications and postal mail
guides). Labels and display orders no source gave are marked (unverified).
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.hubspot.property_specs import labelled, owner, salesforce_id, spec, system

# Every activity is placed on a record timeline by hs_timestamp, which the guides mark
# "Required" on create.
_TIMESTAMP_LABEL = {
    "0-27": "Due date",
    "0-47": "Activity date",
    "0-48": "Activity date",
    "0-49": "Activity date",
    "0-46": "Activity date",
    "0-18": "Activity date",
    "0-116": "Activity date",
}  # labels (unverified) except tasks' "Due date"

TASK_STATUSES = [
    ("NOT_STARTED", "Not started"),
    ("IN_PROGRESS", "In progress"),
    ("WAITING", "Waiting"),
    ("COMPLETED", "Completed"),
    ("DEFERRED", "Deferred"),
]
TASK_PRIORITIES = [("NONE", "None"), ("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High")]
# The guide lists EMAIL, CALL and TODO; LINKED_IN and MEETING exist in portals (unverified).
TASK_TYPES = [
    ("CALL", "Call"),
    ("EMAIL", "Email"),
    ("LINKED_IN", "LinkedIn"),
    ("MEETING", "Meeting"),
    ("TODO", "To-do"),
]
CALL_DIRECTIONS = [("INBOUND", "Inbound"), ("OUTBOUND", "Outbound")]
CALL_STATUSES = [
    ("BUSY", "Busy"),
    ("CALLING_CRM_USER", "Calling CRM user"),
    ("CANCELED", "Canceled"),
    ("COMPLETED", "Completed"),
    ("CONNECTING", "Connecting"),
    ("FAILED", "Failed"),
    ("IN_PROGRESS", "In progress"),
    ("NO_ANSWER", "No answer"),
    ("QUEUED", "Queued"),
    ("RINGING", "Ringing"),
]
MEETING_OUTCOMES = [
    ("SCHEDULED", "Scheduled"),
    ("COMPLETED", "Completed"),
    ("RESCHEDULED", "Rescheduled"),
    ("NO_SHOW", "No show"),
    ("CANCELED", "Canceled"),
]
EMAIL_DIRECTIONS = [
    ("EMAIL", "Sent by owner"),
    ("INCOMING_EMAIL", "Reply from contact"),
    ("FORWARDED_EMAIL", "Forwarded"),
]
EMAIL_STATUSES = [
    ("BOUNCED", "Bounced"),
    ("FAILED", "Failed"),
    ("SCHEDULED", "Scheduled"),
    ("SENDING", "Sending"),
    ("SENT", "Sent"),
]
COMMUNICATION_CHANNELS = [
    ("WHATS_APP", "WhatsApp"),
    ("LINKEDIN_MESSAGE", "LinkedIn"),
    ("SMS", "SMS"),
]


def _common(type_id: str, group: str, owner_label: str) -> list[dict[str, Any]]:
    return [
        spec("hs_timestamp", _TIMESTAMP_LABEL[type_id], "datetime", "date", group),
        owner(owner_label, group),
        # ";"-separated file ids; served as a string here (HubSpot: type unverified).
        spec("hs_attachment_ids", "Attachment IDs", "string", "text", group),
        *system(group, contacts=False, standard=True),
    ]


def _select(name: str, label: str, group: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return spec(name, label, "enumeration", "select", group, options=labelled(pairs))


def activity_properties(type_id: str) -> list[dict[str, Any]]:
    """The default properties of one activity object type."""
    if type_id == "0-27":
        g = "task"
        return [
            spec("hs_task_subject", "Task Title", "string", "text", g),
            spec("hs_task_body", "Notes", "string", "html", g),
            _select("hs_task_status", "Task Status", g, TASK_STATUSES),
            _select("hs_task_priority", "Priority", g, TASK_PRIORITIES),
            _select("hs_task_type", "Task Type", g, TASK_TYPES),
            spec("hs_task_reminders", "Reminder", "string", "text", g),
            spec("hs_task_completion_date", "Completed at", "datetime", "date", g),
            # As on companies; whether HubSpot lets an activity property be unique-valued
            # is (unverified).
            salesforce_id(g),
            *_common(type_id, g, "Assigned to"),
        ]
    if type_id == "0-48":
        g = "call"
        return [
            spec("hs_call_title", "Call Title", "string", "text", g),
            spec("hs_call_body", "Call notes", "string", "html", g),
            _select("hs_call_direction", "Call direction", g, CALL_DIRECTIONS),
            spec("hs_call_disposition", "Call outcome", "string", "text", g),
            spec("hs_call_duration", "Call duration (HH:mm:ss)", "number", "number", g),
            spec("hs_call_from_number", "From Number", "string", "text", g),
            spec("hs_call_to_number", "To Number", "string", "text", g),
            spec("hs_call_recording_url", "Recording URL", "string", "text", g),
            _select("hs_call_status", "Call status", g, CALL_STATUSES),
            *_common(type_id, g, "Activity assigned to"),
        ]
    if type_id == "0-47":
        g = "meeting"
        return [
            spec("hs_meeting_title", "Meeting name", "string", "text", g),
            spec("hs_meeting_body", "Meeting description", "string", "html", g),
            spec("hs_internal_meeting_notes", "Internal meeting notes", "string", "html", g),
            spec("hs_meeting_external_url", "External URL", "string", "text", g),
            spec("hs_meeting_location", "Location", "string", "text", g),
            spec("hs_meeting_start_time", "Meeting start time", "datetime", "date", g),
            spec("hs_meeting_end_time", "Meeting end time", "datetime", "date", g),
            _select("hs_meeting_outcome", "Meeting outcome", g, MEETING_OUTCOMES),
            spec("hs_activity_type", "Call and meeting type", "string", "text", g),
            *_common(type_id, g, "Activity assigned to"),
        ]
    if type_id == "0-46":
        g = "note"
        return [
            spec("hs_note_body", "Note body", "string", "html", g),
            *_common(type_id, g, "Activity assigned to"),
        ]
    if type_id == "0-49":
        g = "email"
        return [
            spec("hs_email_subject", "Email subject", "string", "text", g),
            spec("hs_email_text", "Email body", "string", "textarea", g),
            spec("hs_email_html", "Email HTML body", "string", "html", g),
            spec("hs_email_headers", "Email headers", "string", "textarea", g),
            _select("hs_email_direction", "Email direction", g, EMAIL_DIRECTIONS),
            _select("hs_email_status", "Email send status", g, EMAIL_STATUSES),
            *_common(type_id, g, "Activity assigned to"),
        ]
    if type_id == "0-18":
        g = "communication"
        return [
            _select("hs_communication_channel_type", "Channel type", g, COMMUNICATION_CHANNELS),
            _select("hs_communication_logged_from", "Logged from", g, [("CRM", "CRM")]),
            spec("hs_communication_body", "Body", "string", "html", g),
            *_common(type_id, g, "Activity assigned to"),
        ]
    if type_id == "0-116":
        g = "postal_mail"
        return [
            spec("hs_postal_mail_body", "Postal mail body", "string", "html", g),
            *_common(type_id, g, "Activity assigned to"),
        ]
    raise KeyError(type_id)
