"""Owners: /crm/v3/owners through the SDK, mirrored from the Salesforce org's Users (as
HubSpot's Salesforce integration makes them), and hubspot_owner_id limited to owners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.owners.exceptions import NotFoundException

from crm_sandbox.core.process import RunningSandbox
from tests.sandbox.hubspot.conftest import Raw, body_of, make_client


class Org:
    """The sandbox org's REST API, for reading and changing Users."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = f"{env['CRM_SANDBOX_SF_INSTANCE_URL']}/services/data/v62.0"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
        self.session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"

    def active_users(self) -> list[dict[str, str]]:
        reply = self.session.get(
            f"{self.base}/query",
            params={"q": "SELECT Id, Email, FirstName, LastName FROM User WHERE IsActive = true"},
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()["records"]

    def deactivate(self, user_id: str) -> None:
        reply = self.session.patch(
            f"{self.base}/sobjects/User/{user_id}", json={"IsActive": False}, timeout=30
        )
        assert reply.status_code == 204, reply.text


@pytest.fixture
def both(clean_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    clean_sandbox.seed(salesforce={"User": 4})
    yield clean_sandbox


@pytest.fixture
def hs(both: RunningSandbox) -> HubSpot:
    return make_client(both.env)


def all_owners(hs: HubSpot, **kwargs) -> list:
    found, after = [], None
    while True:
        page = hs.crm.owners.owners_api.get_page(limit=2, after=after, **kwargs)
        found += page.results
        if page.paging is None:
            return found
        after = page.paging.next.after


def test_owners_are_the_orgs_active_users(both, hs):
    users = Org(both.env).active_users()
    assert len(users) == 5  # the integration user and four seeded ones
    owners = all_owners(hs)
    assert sorted(o.email for o in owners) == sorted(u["Email"].lower() for u in users)
    by_email = {o.email: o for o in owners}
    for user in users:
        owner = by_email[user["Email"].lower()]
        assert (owner.first_name, owner.last_name) == (user["FirstName"], user["LastName"])
        assert owner.type == "PERSON" and owner.archived is False
        assert owner.user_id == owner.user_id_including_inactive
        assert owner.teams and owner.teams[0].name == "Sales"
    assert "integration@crm-sync.sandbox" in by_email


def test_owner_filters_and_reads(both, hs):
    owners = all_owners(hs)
    api = hs.crm.owners.owners_api
    only = api.get_page(email=owners[1].email).results
    assert [o.id for o in only] == [owners[1].id]
    assert api.get_page(email="nobody@example.com").results == []
    assert api.get_by_id(int(owners[2].id)).email == owners[2].email
    by_user = api.get_by_id(owners[2].user_id, id_property="userId")
    assert by_user.id == owners[2].id
    with pytest.raises(NotFoundException):
        api.get_by_id(1)


def test_a_deactivated_user_is_an_archived_owner(both, hs):
    org = Org(both.env)
    gone = next(u for u in org.active_users() if "crm-sync.sandbox" not in u["Email"])
    org.deactivate(gone["Id"])
    api = hs.crm.owners.owners_api
    assert gone["Email"].lower() not in {o.email for o in all_owners(hs)}
    archived = api.get_page(archived=True).results
    assert [o.email for o in archived] == [gone["Email"].lower()]
    assert archived[0].archived is True
    assert archived[0].user_id is None and archived[0].user_id_including_inactive
    # an archived owner can no longer own records
    with pytest.raises(ContactsApiException) as info:
        hs.crm.contacts.basic_api.create(
            {"properties": {"email": "x@ex.com", "hubspot_owner_id": archived[0].id}}
        )
    assert body_of(info.value)["errors"][0]["code"] == "INVALID_OWNER_ID"


def test_hubspot_owner_id_takes_only_owner_ids(both, hs):
    owner = all_owners(hs)[0]
    made = hs.crm.contacts.basic_api.create(
        {"properties": {"email": "o@ex.com", "hubspot_owner_id": owner.id}}
    )
    read = hs.crm.contacts.basic_api.get_by_id(made.id, properties=["hubspot_owner_id"])
    assert read.properties["hubspot_owner_id"] == owner.id
    with pytest.raises(ContactsApiException) as info:
        hs.crm.contacts.basic_api.update(made.id, {"properties": {"hubspot_owner_id": "12345"}})
    body = body_of(info.value)
    assert info.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "INVALID_OWNER_ID"
    assert body["errors"][0]["context"] == {"propertyName": ["hubspot_owner_id"]}
    # a user id is not an owner id (the owners guide warns of exactly this)
    with pytest.raises(ContactsApiException):
        hs.crm.contacts.basic_api.update(
            made.id, {"properties": {"hubspot_owner_id": str(owner.user_id)}}
        )


def test_settings_users_and_teams_are_the_same_people(both, hs):
    raw = Raw(both.env)
    owners = all_owners(hs)
    users = raw("GET", "/settings/v3/users").json()["results"]
    assert sorted((u["id"], u["email"]) for u in users) == sorted(
        (str(o.user_id), o.email) for o in owners
    )
    (team,) = raw("GET", "/settings/v3/users/teams").json()["results"]
    assert sorted(team["userIds"]) == sorted(u["id"] for u in users)
    assert {u["primaryTeamId"] for u in users} == {team["id"]}
