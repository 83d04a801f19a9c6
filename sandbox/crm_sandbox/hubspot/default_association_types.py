"""HubSpot-defined association types between standard objects, with HubSpot's type ids.

Ids from the "Association type id values" tables of HubSpot's v4 associations guide, as
two client libraries transcribe them (a Go HubSpot client's ``AssociationTypeID``
constants, agreeing with each other); 279/280, 3/4 and 214 are also in recorded traffic.
Each row is one pair: ``(from, to, typeId, inverse typeId, label)``; the inverse row is
made from it. The unlabelled type of a pair is its default.
"""

from __future__ import annotations

_C, _CO, _D, _T = "0-1", "0-2", "0-3", "0-5"
_ACTIVITY_IDS = {
    # activity type: (to contact, to company, to deal, to ticket); the reverse ids are one less
    "0-48": (194, 182, 206, 220),  # calls
    "0-49": (198, 186, 210, 224),  # emails
    "0-47": (200, 188, 212, 226),  # meetings
    "0-46": (202, 190, 214, 228),  # notes
    "0-27": (204, 192, 216, 230),  # tasks
}

PAIRS: list[tuple[str, str, int, int, str | None]] = [
    (_C, _CO, 279, 280, None),
    (_C, _CO, 1, 2, "Primary"),
    (_D, _C, 3, 4, None),
    (_D, _CO, 341, 342, None),
    (_D, _CO, 5, 6, "Primary"),
    (_C, _T, 15, 16, None),
    (_T, _CO, 339, 340, None),
    (_T, _CO, 26, 25, "Primary"),
    (_D, _T, 27, 28, None),
    (_C, _C, 449, 449, None),
    (_CO, _CO, 450, 450, None),
    (_D, _D, 451, 451, None),
    (_T, _T, 452, 452, None),
    # Company hierarchy: 13 is parent -> child, 14 child -> parent (HubSpot changelog
    # 2018-09-11 "Parent company to child company, ID = 13 / Child company to parent
    # company, ID = 14"; the v4 guide's company table: "14 Child to parent company, 13
    # Parent to child company"). Which of the two `/labels` strings goes with which id is
    # (unverified): two third-party clients read it opposite ways.
    (_CO, _CO, 13, 14, "Parent Company"),
    # Communications (SMS, WhatsApp, LinkedIn messages).
    ("0-18", _C, 81, 82, None),
    ("0-18", _T, 83, 84, None),
    ("0-18", _D, 85, 86, None),
    ("0-18", _CO, 87, 88, None),
    # Postal mail.
    ("0-116", _C, 453, 454, None),
    ("0-116", _T, 455, 456, None),
    ("0-116", _D, 457, 458, None),
    ("0-116", _CO, 459, 460, None),
    # Commerce.
    (_D, "0-8", 19, 20, None),
    (_D, "0-14", 63, 64, None),
    ("0-14", "0-8", 67, 68, None),
    ("0-14", _C, 69, 70, None),
    ("0-14", _CO, 71, 72, None),
    # Leads: 578 (primary contact), 608, 610, 596, 646 are HubSpot's lead->object ids; the
    # object->lead ids are one less by HubSpot's odd/even pairing (unverified).
    ("0-136", _C, 608, 607, None),
    ("0-136", _C, 578, 577, "Primary"),
    ("0-136", _CO, 610, 609, None),
    ("0-136", "0-48", 596, 595, None),
    ("0-136", "0-49", 598, 597, None),
    ("0-136", "0-47", 600, 599, None),
    ("0-136", "0-18", 602, 601, None),
    ("0-136", "0-27", 646, 645, None),
]
for _activity, _ids in _ACTIVITY_IDS.items():
    for _target, _type_id in zip((_C, _CO, _D, _T), _ids, strict=True):
        PAIRS.append((_activity, _target, _type_id, _type_id - 1, None))

# The v3 name of a labelled type whose label is not "Primary" (parent/child companies).
V3_LABEL_NAMES: dict[int, str] = {13: "parent_to_child_company", 14: "child_to_parent_company"}
# Child -> parent carries the inverse label.
INVERSE_LABELS: dict[int, str] = {14: "Child Company"}


def hubspot_defined_types() -> list[tuple[str, str, int, str | None, int]]:
    """Every HubSpot-defined type as ``(from, to, typeId, label, inverse typeId)``."""
    out: list[tuple[str, str, int, str | None, int]] = []
    for src, dst, forward, backward, label in PAIRS:
        out.append((src, dst, forward, label, backward))
        if forward != backward:
            out.append((dst, src, backward, INVERSE_LABELS.get(backward, label), forward))
    return out
