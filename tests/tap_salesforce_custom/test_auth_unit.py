"""OAuth flows, direct sessions and secrets handling (fake org)."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tap_salesforce_custom.tap import TapSalesforceCustom

from crm_sync.salesforce import SalesforceAuthError, SalesforceClient, login_flow
from tests.tap_salesforce_custom.conftest import run_tap
from tests.tap_salesforce_custom.fake_salesforce import INSTANCE, LOGIN, FakeOrg


def _base(config):
    return {k: v for k, v in config.items() if k not in ("client_secret",)}


def test_client_credentials(fake: FakeOrg, config) -> None:
    client = SalesforceClient.from_config(config)
    assert client.get_json("sobjects")["sobjects"]
    assert fake.logins[0] == {
        "grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"
    }  # fmt: skip
    assert client.instance_url == INSTANCE


def test_refresh_token_flow(fake: FakeOrg, config) -> None:
    cfg = {**config, "refresh_token": "5Aep-rt"}
    SalesforceClient.from_config(cfg).get_json("sobjects")
    assert fake.logins[0]["grant_type"] == "refresh_token"
    assert fake.logins[0]["refresh_token"] == "5Aep-rt"


def test_password_flow_appends_security_token(fake: FakeOrg, config) -> None:
    cfg = {**config, "username": "u@x", "password": "pw", "security_token": "TOK"}
    SalesforceClient.from_config(cfg).get_json("sobjects")
    assert fake.logins[0]["grant_type"] == "password"
    assert fake.logins[0]["password"] == "pwTOK"


def test_jwt_bearer_flow_signs_an_assertion(fake: FakeOrg, config) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cfg = {**_base(config), "username": "u@x", "private_key": pem}
    assert login_flow(cfg) == "jwt"
    SalesforceClient.from_config(cfg).get_json("sobjects")
    form = fake.logins[0]
    assert form["grant_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    claims = jwt.decode(form["assertion"], key.public_key(), algorithms=["RS256"], audience=LOGIN)
    assert claims["iss"] == "cid" and claims["sub"] == "u@x"


def test_direct_access_token_then_relogin_when_rejected(fake: FakeOrg, config) -> None:
    cfg = {**config, "access_token": fake.token, "instance_url": INSTANCE}
    client = SalesforceClient.from_config(cfg)
    client.get_json("sobjects")
    assert fake.logins == []  # the direct session was used as is
    fake.token = "00DTOKEN!rotated"
    client.get_json("sobjects")
    assert len(fake.logins) == 1


def test_direct_access_token_alone_fails_clearly_when_rejected(fake: FakeOrg, config) -> None:
    cfg = {"access_token": "00Dstale", "instance_url": INSTANCE, "login_url": LOGIN}
    with pytest.raises(SalesforceAuthError, match="no other credentials"):
        SalesforceClient.from_config(cfg).get_json("sobjects")


def test_login_refusal_names_the_flow(fake: FakeOrg, config) -> None:
    with pytest.raises(SalesforceAuthError, match=r"client_credentials.*invalid_client_id"):
        SalesforceClient.from_config({**config, "client_id": "nope"}).get_json("sobjects")


def test_incomplete_explicit_flow_is_a_clear_error(config) -> None:
    with pytest.raises(SalesforceAuthError, match="refresh_token"):
        login_flow({**config, "auth_flow": "refresh_token"})


def test_secrets_are_marked_secret_and_never_logged(fake: FakeOrg, config, caplog) -> None:
    props = TapSalesforceCustom.config_jsonschema["properties"]
    for name in ("client_secret", "refresh_token", "password", "security_token",
                 "private_key", "access_token"):  # fmt: skip
        assert props[name].get("secret") is True, name
    fake.add("Project__c", 3)
    caplog.set_level("DEBUG")
    run_tap({**config, "security_token": "SEKRIT-TOKEN", "password": "SEKRIT-PW"})
    assert "SEKRIT" not in caplog.text and "csecret" not in caplog.text
    assert fake.token not in caplog.text
