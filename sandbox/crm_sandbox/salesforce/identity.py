"""The identity service's document: who the session's user is, in the org.

``GET {login}/id/{orgId}/{userId}`` is the ``id`` of every token reply and the
``identity`` of the version index; jsforce's ``conn.identity()`` reads ``user_id``,
``organization_id`` and ``id`` from it. Field names follow Salesforce's "Identity URLs"
documentation; values come from the org's User row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.values import wire_datetime

if TYPE_CHECKING:
    from crm_sandbox.core.datadir import Credentials
    from crm_sandbox.salesforce.store import SalesforceStore

# url key -> path under the instance; "{version}" stays literal unless ?version= is given
_URLS = {
    "enterprise": "/services/Soap/c/{version}/{org}",
    "metadata": "/services/Soap/m/{version}/{org}",
    "partner": "/services/Soap/u/{version}/{org}",
    "rest": "/services/data/v{version}/",
    "sobjects": "/services/data/v{version}/sobjects/",
    "search": "/services/data/v{version}/search/",
    "query": "/services/data/v{version}/query/",
    "recent": "/services/data/v{version}/recent/",
    "tooling_soap": "/services/Soap/T/{version}/{org}",
    "tooling_rest": "/services/data/v{version}/tooling/",
    "profile": "/{user}",
    "feeds": "/services/data/v{version}/chatter/feeds",
    "groups": "/services/data/v{version}/chatter/groups",
    "users": "/services/data/v{version}/chatter/users",
    "feed_items": "/services/data/v{version}/chatter/feed-items",
    "feed_elements": "/services/data/v{version}/chatter/feed-elements",
}


def identity_document(
    store: SalesforceStore, creds: Credentials, base: str, version: str | None
) -> dict[str, Any]:
    """The JSON identity of the org's integration user, URLs rooted at ``base``."""
    user_obj = store.schema.object("User")
    user = (store.fetch_row(user_obj, creds.sf_user_id) if user_obj else None) or {}
    org, user_id = creds.sf_org_id, creds.sf_user_id
    urls = {
        key: base + path.replace("{org}", org[:15]).replace("{user}", user_id[:15])
        for key, path in _URLS.items()
    }
    if version:
        urls = {key: url.replace("{version}", version) for key, url in urls.items()}
    urls["custom_domain"] = base
    photo = f"{base}/profilephoto/005/"
    modified = user.get("LastModifiedDate")
    return {
        "id": f"{base}/id/{org}/{user_id}",
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org,
        "username": user.get("Username") or creds.sf_username,
        "nick_name": user.get("CommunityNickname"),
        "display_name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "first_name": user.get("FirstName"),
        "last_name": user.get("LastName"),
        "timezone": user.get("TimeZoneSidKey"),
        "photos": {"picture": photo + "F", "thumbnail": photo + "T"},
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": None,
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": urls,
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": user.get("LanguageLocaleKey"),
        "locale": user.get("LocaleSidKey"),
        "utcOffset": -28800000,
        "last_modified_date": wire_datetime(modified) if modified else None,
        "is_app_installed": True,
    }
