"""Record owners: Salesforce Users and HubSpot owners matched by email (issue 14, feature 4).

A Salesforce ``OwnerId`` holds a User id (``005…``); HubSpot's ``hubspot_owner_id`` holds
an owner's ``id`` (not its ``userId``, which HubSpot refuses there: owners API guide).
The same person is found on the other side by email, compared case-insensitively, as
HubSpot's own Salesforce integration matches them.

:class:`OwnerDirectory` is both lookup tables of one run, loaded once
(:func:`load_owner_directory`: one SOQL query of the Users, one paged owners list), so
its memory is bounded by the number of people, not of records. A value is only ever
translated to an *active* counterpart: Salesforce refuses an inactive User as owner
(``INACTIVE_OWNER_OR_USER``) and HubSpot an archived owner id. Among several Users with
one email (a sandbox org's copies, say) the active one with the smallest Id wins, so a
run is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm_sync.hubspot import HubSpotClient
    from crm_sync.salesforce import SalesforceClient

#: The Users query (IsActive: only active Users may own records).
USERS_SOQL = "SELECT Id, Email, IsActive FROM User ORDER BY Id"
#: Issue code of a record whose owner has no counterpart (the field is left out).
OWNER_UNMATCHED = "owner_unmatched"


def _email(value: Any) -> str | None:
    text = str(value).strip().casefold() if value is not None else ""
    return text or None


@dataclass(frozen=True)
class OwnerDirectory:
    """Salesforce User ids and HubSpot owner ids of one run, joined by email."""

    user_email: Mapping[str, str] = field(default_factory=dict)
    """Every User with an email: Id -> email (inactive Users too, to follow them)."""
    active_user: Mapping[str, str] = field(default_factory=dict)
    """email -> the active User's Id."""
    owner_email: Mapping[str, str] = field(default_factory=dict)
    """Every active owner: owner id -> email."""
    active_owner: Mapping[str, str] = field(default_factory=dict)
    """email -> the active owner's id."""

    @classmethod
    def build(
        cls, users: Iterable[Mapping[str, Any]], owners: Iterable[Mapping[str, Any]]
    ) -> OwnerDirectory:
        """From Salesforce User rows (``Id``, ``Email``, ``IsActive``) and HubSpot owners
        (``id``, ``email``, ``archived``) as the APIs return them."""
        user_email: dict[str, str] = {}
        active_user: dict[str, str] = {}
        for row in sorted(users, key=lambda r: str(r.get("Id"))):
            email = _email(row.get("Email"))
            if email is None or not row.get("Id"):
                continue
            user_email[str(row["Id"])] = email
            if row.get("IsActive") and email not in active_user:
                active_user[email] = str(row["Id"])
        owner_email: dict[str, str] = {}
        active_owner: dict[str, str] = {}
        for owner in owners:
            email = _email(owner.get("email"))
            if email is None or owner.get("archived") or owner.get("id") in (None, ""):
                continue
            owner_id = str(owner["id"])
            owner_email[owner_id] = email
            active_owner.setdefault(email, owner_id)
        return cls(user_email, active_user, owner_email, active_owner)

    def owner_for_user(self, user_id: str) -> str | None:
        """The active HubSpot owner id of a Salesforce User id, or None."""
        email = self.user_email.get(user_id) or self.user_email.get(_long_id(user_id))
        return self.active_owner.get(email) if email else None

    def user_for_owner(self, owner_id: str) -> str | None:
        """The active Salesforce User id of a HubSpot owner id, or None."""
        email = self.owner_email.get(str(owner_id).strip())
        return self.active_user.get(email) if email else None

    def __len__(self) -> int:
        return len(self.user_email) + len(self.owner_email)


def _long_id(record_id: str) -> str:
    """The 18-character form of a 15-character Salesforce id (the API's own suffix rule)."""
    if len(record_id) != 15:
        return record_id
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for start in range(0, 15, 5):
        chunk = record_id[start : start + 5]
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += alphabet[bits]
    return record_id + suffix


def load_owner_directory(salesforce: SalesforceClient, hubspot: HubSpotClient) -> OwnerDirectory:
    """Both tables, read once: every User (one query, paged) and every active owner."""
    return OwnerDirectory.build(salesforce.query(USERS_SOQL), hubspot.owners())


__all__ = ["OWNER_UNMATCHED", "USERS_SOQL", "OwnerDirectory", "load_owner_directory"]
