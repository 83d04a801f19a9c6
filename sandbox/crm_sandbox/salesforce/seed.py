"""Deterministic fake records for the org.

Faker is slow per call, so it builds small value pools once per seed; rows are
combinations drawn with ``random.Random(seed)``. Rows go straight to SQLite in chunks
(``executemany``), so a million ``Project__c`` rows take seconds, not minutes.
Lookups point at live parents when the org has any.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from faker import Faker

from crm_sandbox.salesforce.derived import STAGE_INFO
from crm_sandbox.salesforce.org import (
    ACCOUNT_TYPES,
    INDUSTRIES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    PROJECT_STATUSES,
    PROJECT_TAGS,
    STAGES,
    TASK_PRIORITIES,
    TASK_STATUSES,
    TASK_SUBJECTS,
    TASK_TYPES,
)
from crm_sandbox.salesforce.values import format_datetime

if TYPE_CHECKING:
    from crm_sandbox.salesforce.store import SalesforceStore

CHUNK = 20_000
# Parents before children, so lookups find something to point at.
SEED_ORDER = (
    "User",
    "Account",
    "Contact",
    "Lead",
    "Campaign",
    "Product2",
    "Opportunity",
    "Case",
    "CampaignMember",
    "Project__c",
    "Task",
)


@dataclass
class Pools:
    """Faker-made values, drawn once per seed."""

    companies: list[str]
    first_names: list[str]
    last_names: list[str]
    cities: list[str]
    states: list[str]
    countries: list[str]
    streets: list[str]
    postcodes: list[str]
    words: list[str]
    sentences: list[str]
    domains: list[str]
    phones: list[str]
    jobs: list[str]

    @classmethod
    def build(cls, seed: int, size: int = 400) -> Pools:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        return cls(
            companies=[fake.company() for _ in range(size)],
            first_names=[fake.first_name() for _ in range(size)],
            last_names=[fake.last_name() for _ in range(size)],
            cities=[fake.city() for _ in range(size // 2)],
            states=[fake.state_abbr() for _ in range(50)],
            countries=["United States", "Canada", "United Kingdom", "Germany", "France"],
            streets=[fake.street_address() for _ in range(size)],
            postcodes=[fake.postcode() for _ in range(size // 2)],
            words=[w.capitalize() for w in fake.words(size, unique=True)],
            sentences=[fake.sentence(nb_words=12) for _ in range(size)],
            domains=[fake.domain_name() for _ in range(size)],
            phones=[fake.numerify("(###) ###-####") for _ in range(size)],
            jobs=[fake.job()[:80] for _ in range(size // 2)],
        )


class Seeder:
    """Generates ``count`` rows per object for one seed."""

    def __init__(self, store: SalesforceStore, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.pools = Pools.build(seed)
        self.now = store.clock.now()
        self.user_id = store.user_id
        today = self.now.date()
        self._dates = [(today + timedelta(days=d)).isoformat() for d in range(-365, 181)]

    def seed(self, counts: dict[str, int]) -> dict[str, int]:
        made: dict[str, int] = {}
        unknown = [n for n in counts if self.store.schema.object(n) is None]
        if unknown:
            raise ValueError(f"unknown Salesforce object(s) to seed: {', '.join(unknown)}")
        ordered = sorted(
            counts,
            key=lambda n: (SEED_ORDER.index(n) if n in SEED_ORDER else len(SEED_ORDER), n),
        )
        for name in ordered:
            obj = self.store.object(name)
            count = counts[name]
            generator = self._generator(obj.name)
            stamps = self._stamps(count)
            for start in range(0, count, CHUNK):
                size = min(CHUNK, count - start)
                rows = [{**generator(), **next(stamps)} for _ in range(size)]
                self.store.insert_rows(obj, rows, rollups=False)
            self.store.refresh_rollups(obj)
            made[obj.name] = count
        return made

    def _stamps(self, count: int) -> Iterator[dict[str, Any]]:
        """Audit timestamps from the sandbox clock, in insert order.

        While the clock runs: distinct, ending now, one millisecond apart. While it is
        frozen: the frozen instant for every row, as every other write gets.
        """
        frozen = self.store.clock.frozen
        first = self.now - timedelta(milliseconds=count)
        for i in range(count):
            moment = self.now if frozen else first + timedelta(milliseconds=i + 1)
            stamp = format_datetime(moment)
            yield {
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "CreatedById": self.user_id,
                "LastModifiedById": self.user_id,
                "IsDeleted": 0,
            }

    def _parents(self, name: str) -> list[str]:
        obj = self.store.object(name)
        with self.store.db.reading() as conn:
            rows = conn.execute(
                f'SELECT "Id" FROM "{obj.table}" WHERE "IsDeleted" = 0 ORDER BY "_rowid"'
            ).fetchall()
        return [r[0] for r in rows]

    def _generator(self, name: str) -> Callable[[], dict[str, Any]]:
        factory = getattr(self, f"_gen_{name.replace('__c', '').lower()}", None)
        if factory is None:
            raise ValueError(f"seeding {name} is not supported")
        return factory()

    # ---- per object --------------------------------------------------------------------

    def _pick(self, values: list[str] | tuple[str, ...]) -> str:
        # random() * n is several times faster than randrange(n) and as deterministic
        return values[int(self.rng.random() * len(values))]

    def _maybe(self, values: list[str], share: float = 0.5) -> str | None:
        return self._pick(values) if values and self.rng.random() < share else None

    def _date(self) -> str:
        """A date within a year back and half a year ahead."""
        return self._pick(self._dates)

    def _gen_user(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng

        def make() -> dict[str, Any]:
            first, last = self._pick(p.first_names), self._pick(p.last_names)
            tag = f"{rng.getrandbits(40):010x}"
            return {
                "Username": f"{first}.{last}.{tag}@crm-sync.sandbox".lower(),
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Email": f"{first}.{last}@{self._pick(p.domains)}".lower(),
                "Alias": (first[:1] + last[:4]).lower(),
                "CommunityNickname": f"{first}{tag}"[:40],
                "Title": self._pick(p.jobs),
                "IsActive": 1,
                "TimeZoneSidKey": "America/Los_Angeles",
                "LocaleSidKey": "en_US",
                "EmailEncodingKey": "UTF-8",
                "LanguageLocaleKey": "en_US",
            }

        return make

    def _owners(self) -> list[str]:
        return self._parents("User") or [self.user_id]

    def _gen_account(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng
        owners = self._owners()

        def make() -> dict[str, Any]:
            company = self._pick(p.companies)
            return {
                "Name": company,
                "Type": self._pick(ACCOUNT_TYPES),
                "Industry": self._pick(INDUSTRIES),
                "BillingStreet": self._pick(p.streets),
                "BillingCity": self._pick(p.cities),
                "BillingState": self._pick(p.states),
                "BillingPostalCode": self._pick(p.postcodes),
                "BillingCountry": self._pick(p.countries),
                "Phone": self._pick(p.phones),
                "Website": f"https://www.{self._pick(p.domains)}",
                "AnnualRevenue": float(rng.randrange(100, 500_000) * 1000),
                "NumberOfEmployees": rng.randrange(1, 50_000),
                "Rating": self._pick(("Hot", "Warm", "Cold")),
                "Description": self._maybe(p.sentences),
                "OwnerId": self._pick(owners),
            }

        return make

    def _gen_contact(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng
        accounts, owners = self._parents("Account"), self._owners()

        def make() -> dict[str, Any]:
            first, last = self._pick(p.first_names), self._pick(p.last_names)
            return {
                "AccountId": self._maybe(accounts, 0.9),
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Salutation": self._pick(("Mr.", "Ms.", "Mrs.", "Dr.")),
                "Email": f"{first}.{last}{rng.randrange(10_000)}@{self._pick(p.domains)}".lower(),
                "Phone": self._pick(p.phones),
                "Title": self._pick(p.jobs),
                "LeadSource": self._pick(LEAD_SOURCES),
                "MailingCity": self._pick(p.cities),
                "MailingCountry": self._pick(p.countries),
                "HasOptedOutOfEmail": int(rng.random() < 0.1),
                "DoNotCall": 0,
                "OwnerId": self._pick(owners),
            }

        return make

    def _gen_campaign(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng

        def make() -> dict[str, Any]:
            return {
                "Name": f"{self._pick(p.words)} {self._pick(('Webinar', 'Summit', 'Launch'))}",
                "Type": self._pick(("Conference", "Webinar", "Email", "Advertisement")),
                "Status": self._pick(("Planned", "In Progress", "Completed")),
                "StartDate": self._date(),
                "BudgetedCost": float(rng.randrange(1, 500) * 100),
                "IsActive": int(rng.random() < 0.7),
                "OwnerId": self.user_id,
            }

        return make

    def _gen_product2(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng

        def make() -> dict[str, Any]:
            return {
                "Name": f"{self._pick(p.words)} {self._pick(('Pro', 'Suite', 'Kit', 'Plus'))}",
                "ProductCode": f"PRD-{rng.randrange(100_000):05d}",
                "Family": self._pick(("Hardware", "Software", "Services")),
                "IsActive": 1,
                "Description": self._maybe(p.sentences),
            }

        return make

    def _gen_opportunity(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng
        accounts, owners = self._parents("Account"), self._owners()

        def make() -> dict[str, Any]:
            stage = self._pick(STAGES)
            probability, forecast, closed, won = STAGE_INFO[stage]
            return {
                "AccountId": self._maybe(accounts, 0.95),
                "Name": f"{self._pick(p.companies)} - {self._pick(p.words)}",
                "StageName": stage,
                "Amount": float(rng.randrange(1, 1000) * 500),
                "Probability": float(probability),
                "CloseDate": self._date(),
                "ForecastCategoryName": forecast,
                "IsClosed": int(closed),
                "IsWon": int(won),
                "IsPrivate": 0,
                "LeadSource": self._pick(LEAD_SOURCES),
                "OwnerId": self._pick(owners),
            }

        return make

    def _gen_case(self) -> Callable[[], dict[str, Any]]:
        p = self.pools
        accounts, contacts = self._parents("Account"), self._parents("Contact")
        counter = iter(range(1, 1 << 62))
        base = self._case_base()

        def make() -> dict[str, Any]:
            status = self._pick(("New", "Working", "Escalated", "Closed"))
            return {
                "CaseNumber": f"{base + next(counter):08d}",
                "AccountId": self._maybe(accounts, 0.8),
                "ContactId": self._maybe(contacts, 0.8),
                "Subject": self._pick(p.sentences)[:255],
                "Status": status,
                "IsClosed": int(status == "Closed"),
                "Origin": self._pick(("Phone", "Email", "Web")),
                "Priority": self._pick(("High", "Medium", "Low")),
                "IsEscalated": int(status == "Escalated"),
                "OwnerId": self.user_id,
            }

        return make

    def _case_base(self) -> int:
        obj = self.store.object("Case")
        with self.store.db.reading() as conn:
            top = conn.execute(f'SELECT MAX("_rowid") FROM "{obj.table}"').fetchone()[0]
        return top or 0

    def _gen_campaignmember(self) -> Callable[[], dict[str, Any]]:
        campaigns, contacts = self._parents("Campaign"), self._parents("Contact")
        if not campaigns:
            raise ValueError("seeding CampaignMember needs Campaign records (seed Campaign too)")

        def make() -> dict[str, Any]:
            status = self._pick(("Planned", "Sent", "Responded"))
            return {
                "CampaignId": self._pick(campaigns),
                "ContactId": self._maybe(contacts, 1.0),
                "Status": status,
                "HasResponded": int(status == "Responded"),
            }

        return make

    def _gen_project(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng
        accounts, contacts, owners = (
            self._parents("Account"),
            self._parents("Contact"),
            self._owners(),
        )
        kickoff_base = self.now.replace(hour=9, minute=0, second=0, microsecond=0)
        kickoffs = [format_datetime(kickoff_base + timedelta(days=d)) for d in range(-200, 101)]

        def make() -> dict[str, Any]:
            first, last = self._pick(p.first_names), self._pick(p.last_names)
            tags = sorted(rng.sample(PROJECT_TAGS, rng.randrange(0, 3)), key=PROJECT_TAGS.index)
            return {
                "Name": f"{self._pick(p.words)} {self._pick(p.words)} Project",
                "Description__c": self._maybe(p.sentences, 0.7),
                "Status__c": self._pick(PROJECT_STATUSES),
                "Tags__c": ";".join(tags) or None,
                "Budget__c": round(rng.randrange(100_000, 500_000_000) / 100, 2),
                "Completion__c": float(rng.randrange(0, 101)),
                "Priority__c": float(rng.randrange(1, 6)),
                "Is_Active__c": int(rng.random() < 0.8),
                "Start_Date__c": self._date(),
                "Kickoff__c": self._pick(kickoffs),
                "Contact_Email__c": f"{first}.{last}@{self._pick(p.domains)}".lower(),
                "Phone__c": self._pick(p.phones),
                "Website__c": f"https://{self._pick(p.domains)}",
                "Account__c": self._maybe(accounts, 0.8),
                "Primary_Contact__c": self._maybe(contacts, 0.6),
                "OwnerId": self._pick(owners),
            }

        return make

    def _gen_lead(self) -> Callable[[], dict[str, Any]]:
        p, rng = self.pools, self.rng
        owners = self._owners()

        def make() -> dict[str, Any]:
            first, last = self._pick(p.first_names), self._pick(p.last_names)
            status = self._pick(LEAD_STATUSES[:2] + LEAD_STATUSES[3:])  # none converted
            return {
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Company": self._pick(p.companies),
                "Title": self._pick(p.jobs),
                "Email": f"{first}.{last}{rng.randrange(10_000)}@{self._pick(p.domains)}".lower(),
                "Phone": self._pick(p.phones),
                "City": self._pick(p.cities),
                "Country": self._pick(p.countries),
                "LeadSource": self._pick(LEAD_SOURCES),
                "Status": status,
                "Industry": self._pick(INDUSTRIES),
                "Rating": self._pick(("Hot", "Warm", "Cold")),
                "HasOptedOutOfEmail": int(rng.random() < 0.1),
                "DoNotCall": 0,
                "IsConverted": 0,
                "OwnerId": self._pick(owners),
            }

        return make

    def _contacts_with_accounts(self) -> list[tuple[str, str | None]]:
        obj = self.store.object("Contact")
        with self.store.db.reading() as conn:
            rows = conn.execute(
                f'SELECT "Id", "AccountId" FROM "{obj.table}" WHERE "IsDeleted" = 0 '
                'ORDER BY "_rowid"'
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def _gen_task(self) -> Callable[[], dict[str, Any]]:
        """Tasks about the org's records: a contact (and often its account) or a lead,
        a project or an opportunity; a few stand alone."""
        p, rng = self.pools, self.rng
        contacts, leads = self._contacts_with_accounts(), self._parents("Lead")
        accounts, projects = self._parents("Account"), self._parents("Project__c")
        opportunities, owners = self._parents("Opportunity"), self._owners()
        completed = format_datetime(self.now)

        def make() -> dict[str, Any]:
            who = what = None
            roll = rng.random()
            if contacts and roll < 0.6:
                who, account = contacts[int(rng.random() * len(contacts))]
                what = account if rng.random() < 0.5 else None
            elif leads and roll < 0.8:
                who = self._pick(leads)  # a lead's task has no WhatId in Salesforce
            if (what is None and who is None) or (what is None and rng.random() < 0.4):
                what = self._maybe(projects, 0.6) or self._maybe(opportunities, 0.5)
                what = what or self._maybe(accounts, 0.7)
            if who is not None and who.startswith("00Q"):
                what = None
            status, priority = self._pick(TASK_STATUSES), self._pick(TASK_PRIORITIES)
            return {
                "WhoId": who,
                "WhatId": what,
                "Subject": self._pick(TASK_SUBJECTS),
                "ActivityDate": self._date(),
                "Status": status,
                "Priority": priority,
                "IsHighPriority": int(priority == "High"),
                "IsClosed": int(status == "Completed"),
                "CompletedDateTime": completed if status == "Completed" else None,
                "Type": self._pick(TASK_TYPES),
                "Description": self._maybe(p.sentences, 0.6),
                "IsArchived": 0,
                "OwnerId": self._pick(owners),
            }

        return make


def seed_org(store: SalesforceStore, counts: dict[str, int], seed: int) -> dict[str, int]:
    """Add ``counts[object]`` deterministic fake records; return what was made."""
    return Seeder(store, seed).seed(counts)
