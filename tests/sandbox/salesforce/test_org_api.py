"""The Salesforce org API end to end: a real sandbox server, driven by simple-salesforce.

simple-salesforce's ``login()`` cannot reach the sandbox (it always appends
``.salesforce.com`` to its login domain), so the client is built in direct mode from what
``crm-sandbox env`` prints, and the OAuth grants are exercised with plain ``requests``
against the token URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.core.process import RunningSandbox

pytestmark = pytest.mark.xdist_group("sf_org")


def http(env: dict[str, str]) -> requests.Session:
    session = requests.Session()
    # REQUESTS_CA_BUNDLE in the environment would override session.verify otherwise.
    session.trust_env = False
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    return session


def client(env: dict[str, str], token: str | None = None) -> Salesforce:
    return client_at(env, env["CRM_SANDBOX_SF_API_VERSION"], token)


def client_at(env: dict[str, str], version: str, token: str | None = None) -> Salesforce:
    return Salesforce(
        instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
        session_id=token or env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        version=version,
        session=http(env),
    )


@pytest.fixture
def org(clean_sandbox: RunningSandbox) -> Iterator[tuple[Salesforce, dict[str, str]]]:
    env = clean_sandbox.env
    yield client(env), env


def post(sf: Salesforce, path: str, body: object, method: str = "POST") -> object:
    return sf.restful(path, method=method, data=json.dumps(body))


def test_versions_and_resources(org) -> None:
    sf, env = org
    versions = http(env).get(env["CRM_SANDBOX_SF_INSTANCE_URL"] + "/services/data/").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    # Late 2026: Winter '27 is the current release; v21.0-v30.0 were retired in Summer '25.
    assert versions[-1] == {
        "label": "Winter '27", "url": "/services/data/v68.0", "version": "68.0"
    }  # fmt: skip
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    resources = sf.restful("")
    assert resources["sobjects"] == "/services/data/v62.0/sobjects"
    assert resources["limits"] == "/services/data/v62.0/limits"


@pytest.mark.parametrize("version", ["63.0", "66.0", "68.0"])
def test_a_client_pinned_to_a_current_version_is_served(org, version: str) -> None:
    """A client pinned to a release newer than Winter '25 (v62.0) is served, as a real org
    of late 2026 serves every version up to Winter '27's v68.0."""
    _, env = org
    sf = client_at(env, version)
    assert sf.query("SELECT COUNT() FROM Account")["done"] is True
    assert sf.restful("")["sobjects"] == f"/services/data/v{version}/sobjects"


@pytest.mark.parametrize("version", ["99.0", "69.0", "62.5"])
def test_a_version_the_org_does_not_list_is_not_found(org, version: str) -> None:
    """A client pinned to a version the org does not serve (newer than its release, or no
    such number) gets the 404 Salesforce answers, not the v62.0 behaviour under another name."""
    _, env = org
    listing = http(env).get(env["CRM_SANDBOX_SF_INSTANCE_URL"] + "/services/data/").json()
    listed = {v["version"] for v in listing}
    assert version not in listed
    sf = client_at(env, version)
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert info.value.content == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]
    assert client_at(env, "59.0").query("SELECT COUNT() FROM Account")["done"] is True


@pytest.mark.parametrize("version", ["19.0", "30.0"])
def test_a_retired_version_is_gone(org, version: str) -> None:
    """Versions 7.0-30.0 are retired: Salesforce documents 410 GONE for them."""
    _, env = org
    with pytest.raises(SalesforceGeneralError) as info:
        client_at(env, version).query("SELECT Id FROM Account LIMIT 1")
    assert info.value.status == 410
    assert info.value.content[0]["errorCode"] == "GONE"


def test_describe_global_and_object(org) -> None:
    sf, _ = org
    glob = sf.describe()
    assert glob["maxBatchSize"] == 200 and glob["encoding"] == "UTF-8"
    entries = {o["name"]: o for o in glob["sobjects"]}
    assert entries["Project__c"]["keyPrefix"] == "a0X" and entries["Project__c"]["custom"]
    assert (
        entries["Account"]["urls"]["describe"] == "/services/data/v62.0/sobjects/Account/describe"
    )
    described = sf.Project__c.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["HubSpot_Id__c"]["externalId"] and fields["HubSpot_Id__c"]["idLookup"]
    assert fields["Kickoff__c"]["soapType"] == "xsd:dateTime"
    assert described["recordTypeInfos"][0]["master"] is True
    assert sf.Project__c.metadata()["objectDescribe"]["labelPlural"] == "Projects"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Nope__c.describe()


def test_crud_through_simple_salesforce(org) -> None:
    sf, _ = org
    account = sf.Account.create({"Name": "Acme"})
    assert account["success"] and account["errors"] == [] and account["id"].startswith("001")
    created = sf.Project__c.create(
        {"Name": "P1", "Account__c": account["id"], "Budget__c": 1234.5, "Is_Active__c": True,
         "Kickoff__c": "2024-05-01T09:30:00.000+0200", "Tags__c": "AI;Web"}
    )  # fmt: skip
    pid = created["id"]
    record = sf.Project__c.get(pid)
    assert record["attributes"] == {
        "type": "Project__c", "url": f"/services/data/v62.0/sobjects/Project__c/{pid}"
    }  # fmt: skip
    assert record["Kickoff__c"] == "2024-05-01T07:30:00.000+0000"
    assert record["Budget__c"] == 1234.5 and record["Is_Active__c"] is True
    assert record["SystemModstamp"].endswith("+0000") and record["IsDeleted"] is False
    some = sf.restful(f"sobjects/Project__c/{pid}", params={"fields": "Name,Budget__c"})
    assert list(some) == ["attributes", "Name", "Budget__c"]
    assert sf.Project__c.update(pid, {"Budget__c": 99, "Tags__c": None}) == 204
    updated = sf.Project__c.get(pid)
    assert (updated["Budget__c"], updated["Tags__c"]) == (99.0, None)
    assert updated["SystemModstamp"] >= record["SystemModstamp"]
    assert sf.Project__c.delete(pid) == 204
    with pytest.raises(SalesforceResourceNotFound) as again:
        sf.Project__c.delete(pid)
    assert again.value.content == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Project__c.get(pid)
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Account.get(salesforce_id("001", 999))
    assert missing.value.content[0]["errorCode"] == "NOT_FOUND"


def test_single_record_errors(org) -> None:
    sf, _ = org
    cases = [
        ("Account", {}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]"),
        ("Account", {"Nope": 1}, "INVALID_FIELD",
         "No such column 'Nope' on sobject of type Account"),
        ("Project__c", {"Status__c": "Bad"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
         "Status: bad value for restricted picklist field: Bad"),
        ("Project__c", {"HubSpot_Id__c": "h" * 65}, "STRING_TOO_LONG", None),
        ("Project__c", {"Is_Active__c": "maybe"}, "JSON_PARSER_ERROR", None),
        ("Project__c", {"Account__c": "xyz"}, "MALFORMED_ID", None),
        ("Project__c", {"Id": salesforce_id("a0X", 5)}, "INVALID_FIELD_FOR_INSERT_UPDATE", None),
    ]  # fmt: skip
    for sobject, body, code, message in cases:
        with pytest.raises(SalesforceMalformedRequest) as err:
            getattr(sf, sobject).create(body)
        assert err.value.status == 400
        assert err.value.content[0]["errorCode"] == code, body
        if message:
            assert err.value.content[0]["message"] == message


def test_upsert_semantics(org) -> None:
    sf, _ = org
    first = sf.Project__c.upsert("HubSpot_Id__c/hs-1", {"Name": "one"}, raw_response=True)
    assert first.status_code == 201 and first.json()["created"] is True
    second = sf.Project__c.upsert("HubSpot_Id__c/hs-1", {"Name": "two"}, raw_response=True)
    assert second.status_code == 200
    assert second.json() == {
        "id": first.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    assert sf.Project__c.get_by_custom_id("HubSpot_Id__c", "hs-1")["Name"] == "two"
    by_id = sf.Project__c.upsert(f"Id/{first.json()['id']}", {"Name": "three"}, raw_response=True)
    assert by_id.status_code == 200
    sf.Contact.create({"LastName": "A", "Email": "same@example.com"})
    sf.Contact.create({"LastName": "B", "Email": "same@example.com"})
    with pytest.raises(SalesforceMoreThanOneRecord) as many:
        sf.Contact.upsert("Email/same@example.com", {"LastName": "C"})
    assert len(many.value.content) == 2 and many.value.content[0].startswith(
        "/services/data/v62.0/sobjects/Contact/003"
    )
    with pytest.raises(SalesforceResourceNotFound) as bad:
        sf.Project__c.upsert("Nope__c/1", {"Name": "x"})
    assert bad.value.content[0]["message"] == (
        "Provided external ID field does not exist or is not accessible: Nope__c"
    )


def test_upsert_with_update_only_never_creates(org) -> None:
    """``?updateOnly=true`` (Salesforce's documented switch, which simple-salesforce users
    append to the record path) updates a match and creates nothing when none matches."""
    sf, _ = org
    with pytest.raises(SalesforceResourceNotFound):
        sf.Project__c.upsert("HubSpot_Id__c/hs-uo?updateOnly=true", {"Name": "never"})
    found = sf.query("SELECT COUNT() FROM Project__c WHERE HubSpot_Id__c = 'hs-uo'")
    assert found["totalSize"] == 0
    made = sf.Project__c.upsert("HubSpot_Id__c/hs-uo", {"Name": "one"}, raw_response=True)
    again = sf.Project__c.upsert(
        "HubSpot_Id__c/hs-uo?updateOnly=true", {"Name": "two"}, raw_response=True
    )
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert sf.Project__c.get_by_custom_id("HubSpot_Id__c", "hs-uo")["Name"] == "two"


def test_collections(org) -> None:
    sf, _ = org
    created = post(sf, "composite/sobjects", {"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, "Name": "A"},
        {"attributes": {"type": "Account"}},
        {"attributes": {"type": "Project__c"}, "Name": "P", "HubSpot_Id__c": "h1"},
    ]})  # fmt: skip
    assert [r["success"] for r in created] == [True, False, True]
    assert created[1] == {"id": None, "success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
        "fields": ["Name"]}]}  # fmt: skip
    rolled = post(sf, "composite/sobjects", {"allOrNone": True, "records": [
        {"attributes": {"type": "Account"}, "Name": "kept?"},
        {"attributes": {"type": "Account"}, "Name": "x" * 256},
    ]})  # fmt: skip
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    account_id, project_id = created[0]["id"], created[2]["id"]
    updated = post(sf, "composite/sobjects", {"records": [
        {"attributes": {"type": "Account"}, "id": account_id, "Name": "A2"},
        {"attributes": {"type": "Account"}, "id": salesforce_id("001", 777), "Name": "ghost"},
    ]}, method="PATCH")  # fmt: skip
    assert updated[0] == {"id": account_id, "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    upserted = post(sf, "composite/sobjects/Project__c/HubSpot_Id__c", {"records": [
        {"attributes": {"type": "Project__c"}, "HubSpot_Id__c": "h1", "Name": "P2"},
        {"attributes": {"type": "Project__c"}, "HubSpot_Id__c": "h2", "Name": "Q"},
    ]}, method="PATCH")  # fmt: skip
    assert [(r["id"] == project_id, r["created"]) for r in upserted] == [
        (True, False),
        (False, True),
    ]
    fetched = sf.restful(
        "composite/sobjects/Project__c",
        params={"ids": f"{project_id},{salesforce_id('a0X', 999)}", "fields": "Id,Name"},
    )
    assert fetched[0]["Name"] == "P2" and fetched[1] is None
    deleted = sf.restful(
        "composite/sobjects", method="DELETE",
        params={"ids": f"{project_id},{project_id},bogus", "allOrNone": "false"},
    )  # fmt: skip
    assert [r["success"] for r in deleted] == [True, False, False]
    assert [r["errors"][0]["statusCode"] for r in deleted[1:]] == [
        "ENTITY_IS_DELETED", "MALFORMED_ID"
    ]  # fmt: skip
    too_many = [{"attributes": {"type": "Account"}, "Name": f"n{i}"} for i in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as err:
        post(sf, "composite/sobjects", {"records": too_many})
    assert err.value.content == [{
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT"}]  # fmt: skip


def test_composite_batch(org) -> None:
    sf, _ = org
    reply = post(sf, "composite/batch", {"batchRequests": [
        {"method": "GET", "url": "v62.0/sobjects/Account/describe"},
        {"method": "POST", "url": "v62.0/sobjects/Account", "richInput": {"Name": "B"}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "richInput": {}},
        {"method": "GET", "url": "v62.0/limits"},
    ]})  # fmt: skip
    assert reply["hasErrors"] is True
    statuses = [r["statusCode"] for r in reply["results"]]
    assert statuses == [200, 201, 400, 200]
    assert reply["results"][0]["result"]["name"] == "Account"
    assert reply["results"][2]["result"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    halted = post(sf, "composite/batch", {"haltOnError": True, "batchRequests": [
        {"method": "GET", "url": "v62.0/sobjects/Nope/describe"},
        {"method": "GET", "url": "v62.0/limits"},
    ]})  # fmt: skip
    assert [r["statusCode"] for r in halted["results"]] == [404, 412]
    with pytest.raises(SalesforceMalformedRequest):
        post(
            sf,
            "composite/batch",
            {"batchRequests": [{"method": "GET", "url": "v62.0/limits"}] * 26},
        )


def test_updated_and_deleted(org, clean_sandbox: RunningSandbox) -> None:
    sf, _ = org
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    clean_sandbox.clock(freeze=start.isoformat())
    try:
        keep = sf.Project__c.create({"Name": "keep"})["id"]
        gone = sf.Project__c.create({"Name": "gone"})["id"]
        clean_sandbox.clock(advance_ms=90_000)
        sf.Project__c.delete(gone)
        clean_sandbox.clock(advance_ms=120_000)
        window = (start - timedelta(minutes=5), start + timedelta(minutes=10))
        changed = sf.Project__c.updated(*window)
        assert changed["ids"] == [keep]
        assert changed["latestDateCovered"] == "2030-01-01T12:03:00.000+0000"
        removed = sf.Project__c.deleted(*window)
        assert removed["deletedRecords"] == [
            {"id": gone, "deletedDate": "2030-01-01T12:01:30.000+0000"}
        ]
        assert removed["earliestDateAvailable"] == "2030-01-01T12:01:00.000+0000"
        with pytest.raises(SalesforceMalformedRequest) as err:
            sf.Project__c.updated(start - timedelta(days=40), start)
        assert err.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    finally:
        # back to wall time (unfreeze alone keeps the 2030 offset)
        clean_sandbox.clock(freeze=datetime.now(UTC).isoformat())
        clean_sandbox.clock(unfreeze=True)


def test_limits_header_and_daily_limit(org, clean_sandbox: RunningSandbox) -> None:
    sf, env = org
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 5_000_000
    assert {"DailyBulkApiBatches", "DataStorageMB", "DailyBulkV2QueryJobs"} <= set(limits)
    raw = http(env).get(
        env["CRM_SANDBOX_SF_INSTANCE_URL"] + "/services/data/v62.0/limits",
        headers={"Authorization": f"OAuth {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"},
    )
    used = int(raw.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])
    assert raw.headers["Sforce-Limit-Info"] == f"api-usage={used}/5000000" and used >= 2
    assert raw.json()["DailyApiRequests"]["Remaining"] == 5_000_000 - used
    assert sf.api_usage["api-usage"].total == 5_000_000
    clean_sandbox.set_faults(sf_daily_max=used + 1)
    try:
        sf.limits()  # the last call within the limit
        with pytest.raises(SalesforceRefusedRequest) as over:
            sf.Account.create({"Name": "too late"})
        assert over.value.content == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
    finally:
        clean_sandbox.set_faults()
    assert sf.Account.create({"Name": "in time"})["success"]


def test_wrong_token_gets_401(org) -> None:
    _, env = org
    with pytest.raises(SalesforceExpiredSession) as err:
        client(env, token="00D000000000000!AQbogus").Account.describe()
    assert err.value.status == 401
    assert err.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_oauth_grants_and_refresh_after_revoke(org) -> None:
    _, env = org
    session = http(env)
    token_url = env["CRM_SANDBOX_SF_LOGIN_URL"] + "/services/oauth2/token"
    cid, secret = env["CRM_SANDBOX_SF_CLIENT_ID"], env["CRM_SANDBOX_SF_CLIENT_SECRET"]
    password = session.post(token_url, data={
        "grant_type": "password", "client_id": cid, "client_secret": secret,
        "username": env["CRM_SANDBOX_SF_USERNAME"],
        "password": env["CRM_SANDBOX_SF_PASSWORD"] + env["CRM_SANDBOX_SF_SECURITY_TOKEN"],
    })  # fmt: skip
    assert password.status_code == 200
    reply = password.json()
    assert reply["instance_url"] == env["CRM_SANDBOX_SF_INSTANCE_URL"]
    assert reply["token_type"] == "Bearer" and reply["issued_at"].isdigit()
    assert {"access_token", "id", "signature"} <= set(reply)
    basic = session.post(token_url, data={"grant_type": "client_credentials"}, auth=(cid, secret))
    in_body = session.post(token_url, data={
        "grant_type": "client_credentials", "client_id": cid, "client_secret": secret})  # fmt: skip
    assert basic.status_code == in_body.status_code == 200
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assertion = jwt.encode(
        {"iss": cid, "sub": env["CRM_SANDBOX_SF_USERNAME"], "aud": env["CRM_SANDBOX_SF_LOGIN_URL"],
         "exp": int(time.time()) + 300}, key, algorithm="RS256",
    )  # fmt: skip
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    jwt_reply = session.post(token_url, data={"grant_type": grant, "assertion": assertion})
    assert jwt_reply.status_code == 200
    bad = session.post(token_url, data={
        "grant_type": "password", "client_id": cid, "client_secret": secret,
        "username": env["CRM_SANDBOX_SF_USERNAME"], "password": "wrong"})  # fmt: skip
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "authentication failure"},
    )
    bad_client = session.post(token_url, data={"grant_type": "refresh_token", "client_id": "x"})
    assert bad_client.json()["error"] == "invalid_client_id"
    # 401 then refresh: a revoked session is refused, the refresh grant mints a new one.
    access = reply["access_token"]
    assert client(env, access).Account.describe()["name"] == "Account"
    revoked = session.post(
        env["CRM_SANDBOX_SF_LOGIN_URL"] + "/services/oauth2/revoke", data={"token": access}
    )
    assert revoked.status_code == 200
    with pytest.raises(SalesforceExpiredSession):
        client(env, access).Account.describe()
    refreshed = session.post(token_url, data={
        "grant_type": "refresh_token", "client_id": cid, "client_secret": secret,
        "refresh_token": env["CRM_SANDBOX_SF_REFRESH_TOKEN"]})  # fmt: skip
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()
    assert client(env, refreshed.json()["access_token"]).Account.describe()["name"] == "Account"
    info = session.get(
        env["CRM_SANDBOX_SF_LOGIN_URL"] + "/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
    ).json()
    assert info["preferred_username"] == env["CRM_SANDBOX_SF_USERNAME"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("http500", 500, "UNKNOWN_EXCEPTION"), ("http503", 503, "SERVER_UNAVAILABLE"),
     ("http429", 429, "REQUEST_LIMIT_EXCEEDED")],
)  # fmt: skip
def test_injected_faults_reach_the_client(org, clean_sandbox, kind, status, code) -> None:
    sf, _ = org
    clean_sandbox.set_faults(**{kind: 1.0, "only": "salesforce"})
    try:
        with pytest.raises(SalesforceGeneralError) as err:
            sf.Account.describe()
    finally:
        clean_sandbox.set_faults()
    assert err.value.status == status and err.value.content[0]["errorCode"] == code


def test_injected_reset_and_refusals(org, clean_sandbox: RunningSandbox) -> None:
    sf, _ = org
    clean_sandbox.set_faults(reset=1.0, only="salesforce")
    try:
        with pytest.raises(requests.exceptions.RequestException):
            sf.Account.describe()
        clean_sandbox.set_faults(refuse=1.0, only="salesforce")
        results = post(sf, "composite/sobjects", {"records": [
            {"attributes": {"type": "Account"}, "Name": "a"}]})  # fmt: skip
    finally:
        clean_sandbox.set_faults()
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"


def test_seeding_through_the_control_api_is_deterministic(org, clean_sandbox) -> None:
    sf, _ = org
    ids = ",".join(salesforce_id("a0X", n) for n in range(1, 41))

    def snapshot() -> list[object]:
        clean_sandbox.reset()
        made = clean_sandbox.seed(seed=5, salesforce={"Account": 5, "Project__c": 40})
        assert made["seeded"]["salesforce"] == {"Account": 5, "Project__c": 40}
        fields = "Name,Status__c,Budget__c,Tags__c,Account__c,Start_Date__c"
        return sf.restful("composite/sobjects/Project__c", params={"ids": ids, "fields": fields})

    first, second = snapshot(), snapshot()
    assert first == second and all(first)
    assert clean_sandbox.stats()["salesforce"]["records"]["Project__c"] == 40
    assert any(r["Account__c"] for r in first)


def test_unknown_paths_and_methods(org) -> None:
    _, env = org
    session = http(env)
    headers = {"Authorization": f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"}
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"] + "/services/data/v62.0"
    missing = session.get(base + "/nothing/here/at/all", headers=headers)
    assert (missing.status_code, missing.json()[0]["errorCode"]) == (404, "NOT_FOUND")
    wrong = session.put(base + "/limits", headers=headers)
    assert (wrong.status_code, wrong.json()[0]["errorCode"]) == (405, "METHOD_NOT_ALLOWED")
