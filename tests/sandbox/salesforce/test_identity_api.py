"""The identity URL of the token reply, and the version index advertising only what answers."""

from __future__ import annotations

import pytest
import requests

from crm_sandbox.core.process import RunningSandbox

pytestmark = pytest.mark.xdist_group("sf_query")


def _session(env: dict[str, str]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    return session


def _password_login(env: dict[str, str], session: requests.Session) -> dict[str, str]:
    reply = session.post(
        f"{env['CRM_SANDBOX_SF_LOGIN_URL']}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": env["CRM_SANDBOX_SF_CLIENT_ID"],
            "client_secret": env["CRM_SANDBOX_SF_CLIENT_SECRET"],
            "username": env["CRM_SANDBOX_SF_USERNAME"],
            "password": env["CRM_SANDBOX_SF_PASSWORD"] + env["CRM_SANDBOX_SF_SECURITY_TOKEN"],
        },
    )
    assert reply.status_code == 200
    return reply.json()


def test_identity_url_of_the_token_reply(sandbox: RunningSandbox) -> None:
    env = sandbox.env
    session = _session(env)
    token = _password_login(env, session)
    org_id, user_id = token["id"].rsplit("/", 2)[1:]
    reply = session.get(
        token["id"], params={"format": "json", "version": "62.0"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )  # fmt: skip
    assert reply.status_code == 200
    identity = reply.json()
    assert (identity["id"], identity["user_id"], identity["organization_id"]) == (
        token["id"], user_id, org_id,
    )  # fmt: skip
    assert identity["username"] == env["CRM_SANDBOX_SF_USERNAME"]
    assert identity["active"] is True and identity["user_type"] == "STANDARD"
    assert identity["urls"]["rest"] == f"{token['instance_url']}/services/data/v62.0/"
    assert identity["display_name"] and identity["email"]
    unversioned = session.get(token["id"], params={"oauth_token": token["access_token"]})
    assert unversioned.json()["urls"]["query"].endswith("/services/data/v{version}/query/")
    refused = session.get(token["id"], headers={"Authorization": "Bearer nope"})
    assert (refused.status_code, refused.text) == (403, "Bad_OAuth_Token")
    other = session.get(
        token["id"].replace(user_id, "005000000000000AAA"),
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert other.status_code == 404


def test_version_index_lists_only_resources_that_answer(sandbox: RunningSandbox) -> None:
    env = sandbox.env
    session = _session(env)
    session.headers["Authorization"] = f"Bearer {env['CRM_SANDBOX_SF_ACCESS_TOKEN']}"
    base = env["CRM_SANDBOX_SF_INSTANCE_URL"]
    index = session.get(f"{base}/services/data/v62.0/").json()
    assert {"composite", "search", "parameterizedSearch", "identity"} <= set(index)
    for name, url in index.items():
        reply = session.get(url if url.startswith("https://") else base + url)
        assert reply.status_code != 404, (name, reply.text)
