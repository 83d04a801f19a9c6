"""Show that both emulated APIs answer the official clients, configured only from env.

``python -m crm_sandbox.smoke`` after ``eval "$(crm-sandbox env)"``: simple-salesforce
(direct mode: instance URL + session id, TLS verified against the sandbox CA) counts and
reads Salesforce records; hubspot-api-client (its ``host`` and ``ssl_ca_cert`` settings)
lists HubSpot objects. Exits non-zero if either API does not answer as expected.
"""

from __future__ import annotations

import os
import sys

import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce


def salesforce_client(env: dict[str, str]) -> Salesforce:
    """simple-salesforce on the sandbox.

    Its login() cannot reach a local host (it always appends ``.salesforce.com``), so it
    runs in direct mode with the session the sandbox issued, as its docs offer.
    """
    session = requests.Session()
    session.verify = env["CRM_SANDBOX_CA_BUNDLE"]
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
    return Salesforce(
        instance_url=env["CRM_SANDBOX_SF_INSTANCE_URL"],
        session_id=env["CRM_SANDBOX_SF_ACCESS_TOKEN"],
        version=env.get("CRM_SANDBOX_SF_API_VERSION", "62.0"),
        session=session,
    )


def hubspot_client(env: dict[str, str]) -> HubSpot:
    """hubspot-api-client on the sandbox: every module's Configuration gets host and CA."""
    return HubSpot(
        access_token=env["CRM_SANDBOX_HS_ACCESS_TOKEN"],
        host=env["CRM_SANDBOX_HS_BASE_URL"],
        ssl_ca_cert=env["CRM_SANDBOX_CA_BUNDLE"],
    )


def main() -> int:
    env = dict(os.environ)
    required = ("CRM_SANDBOX_SF_INSTANCE_URL", "CRM_SANDBOX_HS_BASE_URL")
    missing = [key for key in required if key not in env]
    if missing:
        print(f'set {", ".join(missing)} first: eval "$(crm-sandbox env)"', file=sys.stderr)
        return 2
    sf = salesforce_client(env)
    limits = sf.limits()["DailyApiRequests"]
    print(f"Salesforce  {env['CRM_SANDBOX_SF_INSTANCE_URL']}  API v{sf.sf_version}")
    for obj in ("Account", "Contact", "Project__c"):
        total = sf.query(f"SELECT COUNT() FROM {obj}")["totalSize"]
        print(f"  {obj:<12} {total:>8} records")
    sample = sf.query("SELECT Id, Name, Status__c, Account__r.Name FROM Project__c LIMIT 1")
    if sample["records"]:
        rec = sample["records"][0]
        account = (rec.get("Account__r") or {}).get("Name")
        print(f"  e.g. {rec['Id']}  {rec['Name']!r}  {rec['Status__c']}  account={account!r}")
    print(f"  DailyApiRequests: {limits['Remaining']} of {limits['Max']} left")

    hs = hubspot_client(env)
    portal = env.get("CRM_SANDBOX_HS_PORTAL_ID")
    print(f"HubSpot     {env['CRM_SANDBOX_HS_BASE_URL']}  portal {portal}")
    schemas = hs.crm.schemas.core_api.get_all().results
    print(f"  custom objects: {', '.join(s.name for s in schemas) or '(none)'}")
    for object_type in ("companies", "contacts", *(s.name for s in schemas)):
        page = hs.crm.objects.basic_api.get_page(object_type=object_type, limit=1)
        more = "more" if page.paging else "no more"
        print(f"  {object_type:<12} first page: {len(page.results)} record(s), {more}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
