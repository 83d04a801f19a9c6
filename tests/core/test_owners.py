"""crm_sync.owners: Users and owners joined by email, and both tables read from the sandbox."""

from __future__ import annotations

from typing import Any

from crm_sync.hubspot import HubSpotClient, HubSpotSettings
from crm_sync.owners import OwnerDirectory, load_owner_directory
from crm_sync.salesforce import SalesforceClient, SalesforceSettings
from tests.e2e.two_way_helpers import Salesforce

USERS = [
    {"Id": "005000000000002AAA", "Email": "Ada@Example.com", "IsActive": True},
    {"Id": "005000000000001AAA", "Email": "ada@example.com", "IsActive": False},
    {"Id": "005000000000003AAA", "Email": "gone@example.com", "IsActive": False},
    {"Id": "005000000000004AAA", "Email": "sf-only@example.com", "IsActive": True},
    {"Id": "005000000000005AAA", "Email": None, "IsActive": True},
]
OWNERS = [
    {"id": "101", "email": "ADA@example.com ", "archived": False, "userId": 9001},
    {"id": "102", "email": "gone@example.com", "archived": True, "userId": None},
    {"id": "103", "email": "hs-only@example.com", "archived": False, "userId": 9003},
]


def directory() -> OwnerDirectory:
    return OwnerDirectory.build(USERS, OWNERS)


def test_a_user_finds_the_active_owner_with_the_same_email_in_any_case() -> None:
    d = directory()
    assert d.owner_for_user("005000000000002AAA") == "101"
    # An inactive User still has its person: records it owns go to that person's owner.
    assert d.owner_for_user("005000000000001AAA") == "101"
    # The 15-character form of an Id is the same User.
    assert d.owner_for_user("005000000000002") == "101"


def test_an_owner_finds_the_active_user_never_an_inactive_one() -> None:
    d = directory()
    assert d.user_for_owner("101") == "005000000000002AAA"  # the active one of two Users
    assert d.user_for_owner(" 101 ") == "005000000000002AAA"


def test_no_counterpart_is_none() -> None:
    d = directory()
    assert d.owner_for_user("005000000000003AAA") is None  # its owner is archived
    assert d.owner_for_user("005000000000004AAA") is None  # no owner with that email
    assert d.owner_for_user("005000000000005AAA") is None  # a User without an email
    assert d.owner_for_user("005999999999999AAA") is None  # an unknown User
    assert d.user_for_owner("102") is None  # archived owners are not read as targets
    assert d.user_for_owner("103") is None  # no User with that email
    assert d.user_for_owner("9001") is None  # a userId is not an owner id


def sandbox_clients(env: dict[str, str]) -> tuple[SalesforceClient, HubSpotClient]:
    sf = SalesforceClient(
        SalesforceSettings(
            instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
            access_token=env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
            api_version=env["CRM_SANDBOX_SF_API_VERSION"],
            ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
        )
    )
    hs = HubSpotClient(
        HubSpotSettings(
            base_url=env["CRM_SANDBOX_HS_BASE_URL"],
            access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
            ca_bundle=env["CRM_SANDBOX_CA_BUNDLE"],
        )
    )
    return sf, hs


def new_user(org: Salesforce, first: str, last: str, email: str) -> str:
    """A User of the sandbox org (the portal mirrors it as an owner, as HubSpot's
    Salesforce integration does)."""
    nick = f"{first}{last}".lower()
    return org.create(
        "User",
        {
            "Username": f"{nick}@crm-sync.test",
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Alias": nick[:8],
            "CommunityNickname": nick,
            "TimeZoneSidKey": "America/Los_Angeles",
            "LocaleSidKey": "en_US",
            "EmailEncodingKey": "UTF-8",
            "LanguageLocaleKey": "en_US",
        },
    )


def test_both_tables_are_read_from_the_apis_once_owners_paged(clean_sandbox: Any) -> None:
    env = clean_sandbox.env
    org = Salesforce(env)
    ada = new_user(org, "Ada", "Lovelace", "Ada.Lovelace@Example.com")
    grace = new_user(org, "Grace", "Hopper", "grace@example.com")
    org.update("User", grace, {"IsActive": False})
    sf, hs = sandbox_clients(env)
    owners = list(hs.owners(page_size=1))  # one owner a page: the `after` cursor is followed
    assert len(owners) >= 2  # ada and the integration user
    assert hs.counter.routes["GET /crm/v3/owners"] == len(owners)
    d = load_owner_directory(sf, hs)
    by_email = {o["email"]: o["id"] for o in owners}
    assert d.owner_for_user(ada) == by_email["ada.lovelace@example.com"]
    assert d.user_for_owner(by_email["ada.lovelace@example.com"]) == ada
    assert d.owner_for_user(grace) is None  # inactive User: its owner is archived
    assert "grace@example.com" not in by_email
    assert sf.counter.total == 1
