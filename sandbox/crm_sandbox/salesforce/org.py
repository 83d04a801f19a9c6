"""The default org: standard objects the sync touches plus the custom object Project__c.

Field metadata follows Salesforce's describe of a Developer Edition org (API v62.0):
lengths, precisions, nillability, system fields that are neither createable nor
updateable, idLookup on Id / Name-like keys / external ids, and real key prefixes.
"""

from __future__ import annotations

from dataclasses import replace

from crm_sandbox.salesforce.schema import FieldDef, ObjectDef, RollUp, SchemaRegistry

# --- field builders ----------------------------------------------------------------


def _id() -> FieldDef:
    return FieldDef(
        "Id", "id", "Record ID", length=18, nillable=False, createable=False,
        updateable=False, id_lookup=True, defaulted_on_create=True,
    )  # fmt: skip


def _user_ref(name: str, label: str, rel: str, *, system: bool) -> FieldDef:
    return FieldDef(
        name, "reference", label, length=18, nillable=False, createable=not system,
        updateable=not system, defaulted_on_create=True, reference_to=("User",),
        relationship_name=rel,
    )  # fmt: skip


def _system_fields(
    *, owner: bool = True, owner_refs: tuple[str, ...] = ("User",)
) -> list[FieldDef]:
    """IsDeleted, audit fields and (when the object has one) OwnerId."""
    fields = [
        FieldDef(
            "IsDeleted", "boolean", "Deleted", nillable=False, createable=False,
            updateable=False, defaulted_on_create=True, default_value=False,
        ),
        FieldDef(
            "CreatedDate", "datetime", "Created Date", nillable=False, createable=False,
            updateable=False, defaulted_on_create=True,
        ),
        _user_ref("CreatedById", "Created By ID", "CreatedBy", system=True),
        FieldDef(
            "LastModifiedDate", "datetime", "Last Modified Date", nillable=False,
            createable=False, updateable=False, defaulted_on_create=True,
        ),
        _user_ref("LastModifiedById", "Last Modified By ID", "LastModifiedBy", system=True),
        FieldDef(
            "SystemModstamp", "datetime", "System Modstamp", nillable=False, createable=False,
            updateable=False, defaulted_on_create=True,
        ),
    ]  # fmt: skip
    if owner:
        fields.insert(
            0,
            replace(
                _user_ref("OwnerId", "Owner ID", "Owner", system=False), reference_to=owner_refs
            ),
        )
    return fields


def text(name: str, label: str, length: int, **kw: object) -> FieldDef:
    return FieldDef(name, "string", label, length=length, **kw)  # type: ignore[arg-type]


def area(name: str, label: str, length: int, **kw: object) -> FieldDef:
    kw.setdefault("extra_type_info", "plaintextarea")
    if length > 255:  # long text areas can be neither filtered, sorted nor grouped
        kw.update(filterable=False, sortable=False, groupable=False)
    return FieldDef(name, "textarea", label, length=length, **kw)  # type: ignore[arg-type]


def pick(
    name: str, label: str, values: tuple[str, ...], default: str | None = None, **kw: object
) -> FieldDef:
    kw["defaulted_on_create"] = bool(kw.get("defaulted_on_create")) or default is not None
    return FieldDef(
        name, "picklist", label, length=255, picklist_values=values,
        default_picklist_value=default, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def ref(name: str, label: str, target: str, rel: str, **kw: object) -> FieldDef:
    """A lookup; ``reference_to=(...)`` with several objects makes it polymorphic."""
    targets = kw.pop("reference_to", (target,))
    return FieldDef(
        name,
        "reference",
        label,
        length=18,
        reference_to=targets,  # type: ignore[arg-type]
        relationship_name=rel,
        **kw,  # type: ignore[arg-type]
    )


def check(name: str, label: str, default: bool = False, **kw: object) -> FieldDef:
    return FieldDef(
        name, "boolean", label, nillable=False, defaulted_on_create=True,
        default_value=default, groupable=True, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def money(name: str, label: str, precision: int = 18, scale: int = 2, **kw: object) -> FieldDef:
    return FieldDef(
        name, "currency", label, precision=precision, scale=scale, groupable=False, **kw
    )  # type: ignore[arg-type]


def phone(name: str, label: str) -> FieldDef:
    return FieldDef(name, "phone", label, length=40)


def url(name: str, label: str, length: int = 255) -> FieldDef:
    return FieldDef(name, "url", label, length=length)


def date(name: str, label: str, **kw: object) -> FieldDef:
    return FieldDef(name, "date", label, **kw)  # type: ignore[arg-type]


def readonly(fdef: FieldDef) -> FieldDef:
    return replace(fdef, createable=False, updateable=False)


def calculated(fdef: FieldDef, **how: object) -> FieldDef:
    """A formula (``formula`` + ``formula_sql``) or roll-up summary (``rollup``) field."""
    return replace(
        fdef,
        createable=False,
        updateable=False,
        calculated=True,
        **how,  # type: ignore[arg-type]
    )


def _obj(
    name: str, label: str, plural: str, prefix: str, fields: list[FieldDef], **kw: object
) -> ObjectDef:
    custom = name.endswith("__c")
    return ObjectDef(
        name,
        label,
        plural,
        prefix,
        custom,
        {f.name: f for f in fields},
        **kw,  # type: ignore[arg-type]
    )


def _address(prefix: str, label: str) -> list[FieldDef]:
    """The component fields of a standard address (the compound field is not served)."""
    return [
        area(f"{prefix}Street", f"{label} Street", 255),
        text(f"{prefix}City", f"{label} City", 40),
        text(f"{prefix}State", f"{label} State/Province", 80),
        text(f"{prefix}PostalCode", f"{label} Zip/Postal Code", 20),
        text(f"{prefix}Country", f"{label} Country", 80),
    ]


# --- picklists -----------------------------------------------------------------------

INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government",
    "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
    "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities", "Other",
)  # fmt: skip
ACCOUNT_TYPES = (
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Vendor", "Other",
)  # fmt: skip
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
LEAD_STATUSES = (
    "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted",
)  # fmt: skip
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_PRIORITIES = ("High", "Normal", "Low")
# "None" is added by the org's admin so HubSpot's tasks without a priority (NONE) keep none;
# seeded tasks use the three standard values.
TASK_PRIORITY_PICKLIST = (*TASK_PRIORITIES, "None")
# "LinkedIn" is added by the org's admin so HubSpot's LinkedIn tasks have a Salesforce type.
TASK_TYPES = ("Call", "Email", "LinkedIn", "Meeting", "Other")
TASK_SUBJECTS = ("Call", "Send Letter", "Send Quote", "Other")
# Objects of this org a task's WhatId may point at (activities enabled on Project__c).
TASK_WHAT = ("Account", "Campaign", "Case", "Opportunity", "Product2", "Project__c")
PROJECT_STATUSES = ("Draft", "Planned", "In Progress", "On Hold", "Done", "Cancelled")
PROJECT_TAGS = ("Analytics", "Integration", "Migration", "Mobile", "Security", "Web", "AI")


def _hubspot_id() -> FieldDef:
    """``HubSpot_Id__c``: the external id an admin adds for the integration, holding the
    HubSpot record id (the reverse leg upserts by it)."""
    return FieldDef("HubSpot_Id__c", "string", "HubSpot Id", length=64, custom=True,
                    external_id=True, id_lookup=True, unique=True)  # fmt: skip


def _account() -> ObjectDef:
    return _obj("Account", "Account", "Accounts", "001", [
        _id(),
        *_system_fields()[1:2],
        readonly(ref("MasterRecordId", "Master Record ID", "Account", "MasterRecord")),
        text("Name", "Account Name", 255, nillable=False, name_field=True),
        pick("Type", "Account Type", ACCOUNT_TYPES),
        ref("ParentId", "Parent Account ID", "Account", "Parent"),
        *_address("Billing", "Billing"),
        *_address("Shipping", "Shipping"),
        phone("Phone", "Account Phone"),
        phone("Fax", "Account Fax"),
        text("AccountNumber", "Account Number", 40),
        url("Website", "Website"),
        pick("Industry", "Industry", INDUSTRIES),
        money("AnnualRevenue", "Annual Revenue", 18, 0),
        FieldDef("NumberOfEmployees", "int", "Employees", digits=8),
        pick("Rating", "Account Rating", ("Hot", "Warm", "Cold")),
        text("Sic", "SIC Code", 20),
        area("Description", "Account Description", 32000),
        # The integration's external id holding the HubSpot company id (an admin adds it).
        _hubspot_id(),
        # Roll-up summaries over the account's projects (a real org needs a master-detail
        # relationship for these; the sandbox rolls up over the Account__c lookup).
        calculated(money("Total_Project_Budget__c", "Total Project Budget", 18, 2,
                         custom=True),
                   rollup=RollUp("Project__c", "Account__c", "SUM", "Budget__c")),
        calculated(FieldDef("Number_Of_Projects__c", "double", "Number of Projects",
                            precision=18, scale=0, custom=True),
                   rollup=RollUp("Project__c", "Account__c", "COUNT")),
        *_field_list_after_deleted(),
        readonly(date("LastActivityDate", "Last Activity")),
    ])  # fmt: skip


def _field_list_after_deleted() -> list[FieldDef]:
    """OwnerId and the audit fields, in the order describe lists them after the data fields."""
    fields = _system_fields()
    return [fields[0], *fields[2:]]


def _contact() -> ObjectDef:
    return _obj("Contact", "Contact", "Contacts", "003", [
        _id(),
        *_system_fields()[1:2],
        readonly(ref("MasterRecordId", "Master Record ID", "Contact", "MasterRecord")),
        ref("AccountId", "Account ID", "Account", "Account"),
        text("LastName", "Last Name", 80, nillable=False, compound_field_name="Name"),
        text("FirstName", "First Name", 40, compound_field_name="Name"),
        pick("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
             compound_field_name="Name"),
        readonly(text("Name", "Full Name", 121, name_field=True)),
        *_address("Mailing", "Mailing"),
        phone("Phone", "Business Phone"),
        phone("MobilePhone", "Mobile Phone"),
        FieldDef("Email", "email", "Email", length=80, id_lookup=True),
        text("Title", "Title", 128),
        text("Department", "Department", 80),
        pick("LeadSource", "Lead Source", LEAD_SOURCES),
        date("Birthdate", "Birthdate"),
        area("Description", "Contact Description", 32000),
        check("HasOptedOutOfEmail", "Email Opt Out"),
        check("DoNotCall", "Do Not Call"),
        # The integration's external id holding the HubSpot contact id (an admin adds it).
        _hubspot_id(),
        *_field_list_after_deleted(),
        readonly(date("LastActivityDate", "Last Activity")),
    ])  # fmt: skip


def _lead() -> ObjectDef:
    return _obj("Lead", "Lead", "Leads", "00Q", [
        _id(),
        *_system_fields()[1:2],
        readonly(ref("MasterRecordId", "Master Record ID", "Lead", "MasterRecord")),
        text("LastName", "Last Name", 80, nillable=False, compound_field_name="Name"),
        text("FirstName", "First Name", 40, compound_field_name="Name"),
        pick("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
             compound_field_name="Name"),
        readonly(text("Name", "Full Name", 121, name_field=True)),
        text("Title", "Title", 128),
        text("Company", "Company", 255, nillable=False),
        area("Street", "Street", 255),
        text("City", "City", 40),
        text("State", "State/Province", 80),
        text("PostalCode", "Zip/Postal Code", 20),
        text("Country", "Country", 80),
        phone("Phone", "Phone"),
        phone("MobilePhone", "Mobile Phone"),
        FieldDef("Email", "email", "Email", length=80, id_lookup=True),
        url("Website", "Website"),
        area("Description", "Description", 32000),
        pick("LeadSource", "Lead Source", LEAD_SOURCES),
        pick("Status", "Status", LEAD_STATUSES, "Open - Not Contacted", nillable=False),
        pick("Industry", "Industry", INDUSTRIES),
        pick("Rating", "Rating", ("Hot", "Warm", "Cold")),
        money("AnnualRevenue", "Annual Revenue", 18, 0),
        FieldDef("NumberOfEmployees", "int", "Employees", digits=8),
        check("HasOptedOutOfEmail", "Email Opt Out"),
        readonly(check("IsConverted", "Converted")),
        readonly(date("ConvertedDate", "Converted Date")),
        readonly(ref("ConvertedAccountId", "Converted Account ID", "Account", "ConvertedAccount")),
        readonly(ref("ConvertedContactId", "Converted Contact ID", "Contact", "ConvertedContact")),
        check("DoNotCall", "Do Not Call"),
        *_system_fields(owner_refs=("Group", "User"))[:1],
        *_system_fields(owner=False)[1:],
        readonly(date("LastActivityDate", "Last Activity")),
    ])  # fmt: skip


def _task() -> ObjectDef:
    """An activity: polymorphic WhoId (a person) and WhatId (the thing it is about)."""
    return _obj("Task", "Task", "Tasks", "00T", [
        _id(),
        *_system_fields()[1:2],
        ref("WhoId", "Name ID", "Contact", "Who", reference_to=("Contact", "Lead")),
        ref("WhatId", "Related To ID", "Account", "What", reference_to=TASK_WHAT),
        FieldDef("Subject", "combobox", "Subject", length=255, picklist_values=TASK_SUBJECTS,
                 name_field=True),
        date("ActivityDate", "Due Date Only"),
        pick("Status", "Status", TASK_STATUSES, "Not Started", nillable=False),
        pick("Priority", "Priority", TASK_PRIORITY_PICKLIST, "Normal", nillable=False),
        readonly(check("IsHighPriority", "High Priority")),
        pick("Type", "Type", TASK_TYPES),
        area("Description", "Description", 32000),
        readonly(check("IsClosed", "Closed")),
        # The integration's external id holding the HubSpot task id (an admin adds it).
        _hubspot_id(),
        readonly(FieldDef("CompletedDateTime", "datetime", "Completed Date/Time")),
        *_system_fields(owner_refs=("Group", "User"))[:1],
        *_system_fields(owner=False)[1:],
        readonly(check("IsArchived", "Archived")),
    ])  # fmt: skip


def _opportunity() -> ObjectDef:
    return _obj("Opportunity", "Opportunity", "Opportunities", "006", [
        _id(),
        *_system_fields()[1:2],
        ref("AccountId", "Account ID", "Account", "Account"),
        check("IsPrivate", "Private"),
        text("Name", "Name", 120, nillable=False, name_field=True),
        area("Description", "Description", 32000),
        pick("StageName", "Stage", STAGES, nillable=False),
        money("Amount", "Amount"),
        FieldDef("Probability", "percent", "Probability (%)", precision=3, scale=0,
                 defaulted_on_create=True),
        date("CloseDate", "Close Date", nillable=False),
        pick("Type", "Opportunity Type", (
            "Existing Customer - Upgrade", "Existing Customer - Replacement",
            "Existing Customer - Downgrade", "New Customer")),
        text("NextStep", "Next Step", 255),
        pick("LeadSource", "Lead Source", LEAD_SOURCES),
        readonly(check("IsClosed", "Closed")),
        readonly(check("IsWon", "Won")),
        pick("ForecastCategoryName", "Forecast Category",
             ("Omitted", "Pipeline", "BestCase", "Commit", "Closed"), defaulted_on_create=True),
        ref("CampaignId", "Campaign ID", "Campaign", "Campaign"),
        # The integration's external id (an admin adds it), as on Account: a mapping of
        # Opportunity needs one to upsert by (issue 14, feature 3).
        _hubspot_id(),
        *_field_list_after_deleted(),
        readonly(date("LastActivityDate", "Last Activity")),
    ])  # fmt: skip


def _case() -> ObjectDef:
    return _obj("Case", "Case", "Cases", "500", [
        _id(),
        *_system_fields()[1:2],
        readonly(ref("MasterRecordId", "Master Record ID", "Case", "MasterRecord")),
        FieldDef("CaseNumber", "string", "Case Number", length=30, nillable=False,
                 createable=False, updateable=False, id_lookup=True, defaulted_on_create=True,
                 name_field=True, auto_number=True),
        ref("ContactId", "Contact ID", "Contact", "Contact"),
        ref("AccountId", "Account ID", "Account", "Account"),
        text("SuppliedName", "Name", 80),
        FieldDef("SuppliedEmail", "email", "Email Address", length=80),
        text("SuppliedPhone", "Phone", 40),
        pick("Type", "Case Type", ("Mechanical", "Electrical", "Electronic", "Structural",
                                   "Other")),
        pick("Status", "Status", ("New", "Working", "Escalated", "Closed"), "New"),
        pick("Reason", "Case Reason", ("Installation", "Equipment Complexity", "Performance",
                                       "Breakdown", "Equipment Design", "Feedback", "Other")),
        pick("Origin", "Case Origin", ("Phone", "Email", "Web")),
        text("Subject", "Subject", 255),
        pick("Priority", "Priority", ("High", "Medium", "Low"), "Medium"),
        area("Description", "Description", 32000),
        readonly(check("IsClosed", "Closed")),
        # The integration's external id holding the HubSpot task id (an admin adds it).
        _hubspot_id(),
        readonly(FieldDef("ClosedDate", "datetime", "Closed Date")),
        check("IsEscalated", "Escalated"),
        *_system_fields(owner_refs=("Group", "User"))[:1],
        *_system_fields(owner=False)[1:],
    ])  # fmt: skip


def _campaign() -> ObjectDef:
    return _obj("Campaign", "Campaign", "Campaigns", "701", [
        _id(),
        *_system_fields()[1:2],
        text("Name", "Name", 80, nillable=False, name_field=True),
        ref("ParentId", "Parent Campaign ID", "Campaign", "Parent"),
        pick("Type", "Type", ("Conference", "Webinar", "Trade Show", "Public Relations",
                              "Partners", "Referral Program", "Advertisement", "Banner Ads",
                              "Direct Mail", "Email", "Telemarketing", "Other")),
        pick("Status", "Status", ("Planned", "In Progress", "Completed", "Aborted")),
        date("StartDate", "Start Date"),
        date("EndDate", "End Date"),
        money("ExpectedRevenue", "Expected Revenue in Campaign", 18, 0),
        money("BudgetedCost", "Budgeted Cost in Campaign", 18, 0),
        money("ActualCost", "Actual Cost in Campaign", 18, 0),
        FieldDef("ExpectedResponse", "percent", "Expected Response (%)", precision=10, scale=2),
        FieldDef("NumberSent", "double", "Num Sent in Campaign", precision=18, scale=0),
        check("IsActive", "Active"),
        area("Description", "Description", 32000),
        *_field_list_after_deleted(),
    ])  # fmt: skip


def _campaign_member() -> ObjectDef:
    return _obj("CampaignMember", "Campaign Member", "Campaign Members", "00v", [
        _id(),
        *_system_fields()[1:2],
        ref("CampaignId", "Campaign ID", "Campaign", "Campaign", nillable=False,
            updateable=False),
        ref("ContactId", "Contact ID", "Contact", "Contact", updateable=False),
        pick("Status", "Status", ("Planned", "Sent", "Received", "Responded"), "Sent"),
        readonly(check("HasResponded", "Responded")),
        readonly(date("FirstRespondedDate", "First Responded Date")),
        *_system_fields(owner=False)[1:],
    ])  # fmt: skip


def _product() -> ObjectDef:
    return _obj("Product2", "Product", "Products", "01t", [
        _id(),
        text("Name", "Product Name", 255, nillable=False, name_field=True),
        text("ProductCode", "Product Code", 255),
        area("Description", "Product Description", 4000),
        check("IsActive", "Active"),
        pick("Family", "Product Family", ("None", "Hardware", "Software", "Services")),
        text("ExternalId", "External ID", 255),
        pick("QuantityUnitOfMeasure", "Quantity Unit Of Measure", ("Each",)),
        text("StockKeepingUnit", "Product SKU", 180),
        url("DisplayUrl", "Display URL", 1000),
        readonly(check("IsArchived", "Is Archived")),
        *_system_fields(owner=False),
    ])  # fmt: skip


TIME_ZONES = ("America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR")


def _user() -> ObjectDef:
    # Real User rows have no IsDeleted (users are deactivated); the column is kept for
    # the storage contract's uniformity (every table has it) but User is not deletable.
    return _obj("User", "User", "Users", "005", [
        _id(),
        FieldDef("Username", "string", "Username", length=80, nillable=False, unique=True,
                 id_lookup=True),
        text("LastName", "Last Name", 80, nillable=False, compound_field_name="Name"),
        text("FirstName", "First Name", 40, compound_field_name="Name"),
        readonly(text("Name", "Full Name", 121, name_field=True)),
        text("CompanyName", "Company Name", 80),
        text("Division", "Division", 80),
        text("Department", "Department", 80),
        text("Title", "Title", 80),
        FieldDef("Email", "email", "Email", length=128, nillable=False),
        phone("Phone", "Phone"),
        text("Alias", "Alias", 8, nillable=False),
        text("CommunityNickname", "Nickname", 40, nillable=False, id_lookup=True, unique=True),
        check("IsActive", "Active", default=True),
        pick("TimeZoneSidKey", "Time Zone", TIME_ZONES, nillable=False),
        pick("LocaleSidKey", "Locale", LOCALES, nillable=False),
        pick("EmailEncodingKey", "Email Encoding", ("UTF-8", "ISO-8859-1"), nillable=False),
        pick("LanguageLocaleKey", "Language", ("en_US", "de", "fr"), nillable=False),
        *_system_fields(owner=False),
    ], deletable=False, undeletable=False)  # fmt: skip


EDITIONS = (
    "Base Edition", "Contact Manager Edition", "Developer Edition", "Enterprise Edition",
    "Personal Edition", "Professional Edition", "Team Edition", "Unlimited Edition",
)  # fmt: skip


def _organization() -> ObjectDef:
    """The org's one configuration record (``SELECT IsSandbox FROM Organization``, which
    simple-salesforce's ``is_sandbox()`` sends). Fields and their Update property follow
    Salesforce's Object Reference; it cannot be created or deleted, and only the
    company-profile fields can be updated."""
    ro = readonly
    fields = [
        _id(),
        text("Name", "Name", 80, nillable=False, name_field=True),
        text("Division", "Division", 80),
        area("Street", "Street", 255),
        text("City", "City", 40),
        text("State", "State/Province", 80),
        text("PostalCode", "Zip/Postal Code", 20),
        ro(text("Country", "Country", 80)),
        phone("Phone", "Phone"),
        phone("Fax", "Fax"),
        text("PrimaryContact", "Primary Contact", 80),
        pick("DefaultLocaleSidKey", "Locale", LOCALES, nillable=False),
        pick("TimeZoneSidKey", "Time Zone", TIME_ZONES, nillable=False),
        pick("LanguageLocaleKey", "Language", ("en_US", "de", "fr"), nillable=False),
        check("ReceivesInfoEmails", "Info Emails"),
        check("ReceivesAdminInfoEmails", "Info Emails Admin"),
        ro(FieldDef("FiscalYearStartMonth", "int", "Fiscal Year Starts In", digits=9)),
        ro(check("UsesStartDateAsFiscalYearName", "Fiscal Year Name by Start")),
        ro(pick("OrganizationType", "Edition", EDITIONS)),
        ro(text("NamespacePrefix", "Namespace Prefix", 15)),
        ro(text("InstanceName", "Instance Name", 5)),
        ro(check("IsSandbox", "Is Sandbox")),
        ro(FieldDef("ComplianceBccEmail", "email", "Compliance BCC Email", length=80)),
        ro(FieldDef("TrialExpirationDate", "datetime", "Trial Expiration Date")),
        ro(check("IsReadOnly", "Is Read Only")),
        # IsDeleted is not an Organization field in Salesforce; kept, as on User, for the
        # storage contract's uniformity (every table has it).
        *_system_fields(owner=False),
    ]  # fmt: skip
    # No field is createable on an object that is not; replicateable and triggerable
    # false: (unverified) for Organization.
    return _obj(
        "Organization", "Organization", "Organizations", "00D",
        [replace(f, createable=False) for f in fields],
        createable=False, deletable=False, undeletable=False, searchable=False,
        replicateable=False, triggerable=False,
    )  # fmt: skip


def organization_row(org_id: str) -> dict[str, object]:
    """The sandbox org's Organization record: a Developer Edition production org (not a
    Salesforce sandbox), as ``crm-sandbox env`` describes it."""
    return {
        "Id": org_id,
        "Name": "crm-sync sandbox",
        "Country": "US",
        "DefaultLocaleSidKey": "en_US",
        "TimeZoneSidKey": "America/Los_Angeles",
        "LanguageLocaleKey": "en_US",
        "ReceivesInfoEmails": 0,
        "ReceivesAdminInfoEmails": 0,
        "FiscalYearStartMonth": 1,
        "UsesStartDateAsFiscalYearName": 0,
        "OrganizationType": "Developer Edition",
        "InstanceName": "USA1",  # (unverified) real ones look like NA224 or USA846S
        "IsSandbox": 0,
        "IsReadOnly": 0,
    }


def _project() -> ObjectDef:
    """The custom object the sync is built around (one field of each common type)."""
    c = {"custom": True}
    return _obj("Project__c", "Project", "Projects", "a0X", [
        _id(),
        *_system_fields()[:2],
        # Custom-object Name: nillable in describe; the API fills it with the Id if omitted.
        text("Name", "Project Name", 80, name_field=True),
        *_system_fields(owner=False)[1:],
        area("Description__c", "Description", 32768, **c),
        pick("Status__c", "Status", PROJECT_STATUSES, "Draft", restricted_picklist=True, **c),
        FieldDef("Tags__c", "multipicklist", "Tags", length=4099, picklist_values=PROJECT_TAGS,
                 sortable=False, groupable=False, custom=True),
        money("Budget__c", "Budget", 16, 2, **c),
        FieldDef("Completion__c", "percent", "Completion", precision=5, scale=2, custom=True),
        # A formula: percent fields are fractions in formulas (45% is 0.45) and stored
        # here as 45.0; blank fields count as blanks, so a missing input gives null.
        calculated(money("Budget_Remaining__c", "Budget Remaining", 18, 2, custom=True),
                   formula="Budget__c * (1 - Completion__c)",
                   formula_sql='{t}."Budget__c" * (1 - {t}."Completion__c" / 100.0)'),
        FieldDef("Priority__c", "double", "Priority", precision=3, scale=0, custom=True),
        check("Is_Active__c", "Is Active", **c),
        date("Start_Date__c", "Start Date", **c),
        FieldDef("Kickoff__c", "datetime", "Kickoff", custom=True),
        FieldDef("Contact_Email__c", "email", "Contact Email", length=80, custom=True),
        FieldDef("Phone__c", "phone", "Phone", length=40, custom=True),
        FieldDef("Website__c", "url", "Website", length=255, custom=True),
        ref("Account__c", "Account", "Account", "Account__r", **c),
        ref("Primary_Contact__c", "Primary Contact", "Contact", "Primary_Contact__r", **c),
        _hubspot_id(),
    ])  # fmt: skip


def default_objects() -> list[ObjectDef]:
    """Every object of a freshly provisioned sandbox org, in describe-global order."""
    return [
        _account(),
        _campaign(),
        _campaign_member(),
        _case(),
        _contact(),
        _lead(),
        _opportunity(),
        _organization(),
        _product(),
        _project(),
        _task(),
        _user(),
    ]


def default_schema() -> SchemaRegistry:
    return SchemaRegistry(default_objects())
