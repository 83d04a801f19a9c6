"""Deterministic fake records for a portal: Faker pools drawn by ``random.Random(seed)``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from faker import Faker

from crm_sandbox.core.ids import salesforce_id
from crm_sandbox.hubspot.activity_properties import (
    CALL_DIRECTIONS,
    CALL_STATUSES,
    MEETING_OUTCOMES,
    TASK_PRIORITIES,
    TASK_STATUSES,
    TASK_TYPES,
)
from crm_sandbox.hubspot.defaults import _DEALSTAGES, _INDUSTRIES, _LIFECYCLE
from crm_sandbox.hubspot.standard_types import ACTIVITY_TYPE_IDS, BY_ID

if TYPE_CHECKING:
    from crm_sandbox.hubspot.associations import Associations
    from crm_sandbox.hubspot.catalog import Catalog
    from crm_sandbox.hubspot.records import Records

_POOL = 200
_ORDER = ("companies", "contacts", "deals", "project")
# Seeded records of a type are each associated (default type) with one record of this one.
_PARENT = {
    "0-1": "0-2",
    "0-3": "0-2",
    "0-136": "0-1",  # a lead always has a contact
    **{t: "0-1" for t in ACTIVITY_TYPE_IDS},
}


class Seeder:
    def __init__(self, catalog: Catalog, records: Records, associations: Associations) -> None:
        self.catalog = catalog
        self.records = records
        self.associations = associations

    def seed(self, counts: dict[str, int], seed: int) -> dict[str, int]:
        fake = Faker()
        fake.seed_instance(seed)
        rng = random.Random(seed)
        pools = {
            "first": [fake.first_name() for _ in range(_POOL)],
            "last": [fake.last_name() for _ in range(_POOL)],
            "company": [fake.company() for _ in range(_POOL)],
            "domain": [fake.domain_name() for _ in range(_POOL)],
            "city": [fake.city() for _ in range(_POOL)],
            "phone": [fake.phone_number() for _ in range(_POOL)],
            "words": [fake.catch_phrase() for _ in range(_POOL)],
            "text": [fake.sentence(nb_words=12) for _ in range(_POOL)],
        }
        resolved = {}
        for key in counts:
            resolved[self.catalog.resolve(key).object_type_id] = (key, int(counts[key]))
        made: dict[str, int] = {}
        order = sorted(
            resolved,
            key=lambda t: (
                _ORDER.index(self.catalog.store.object_types[t].name)
                if self.catalog.store.object_types[t].name in _ORDER
                else 99
            ),
        )
        for type_id in order:
            key, count = resolved[type_id]
            ot = self.catalog.store.object_types[type_id]
            start = self.records.count_live(type_id)
            parent_type = _PARENT.get(type_id)
            parents = self._ids(parent_type) if parent_type else []
            with self.records.store.db.transaction() as conn:
                for i in range(count):
                    if type_id in ACTIVITY_TYPE_IDS:
                        values = _activity_values(type_id, start + i, rng, pools)
                    elif type_id == "0-136":
                        values = {"hs_lead_name": f"{pick_name(rng, pools)} {start + i}"}
                    else:
                        values = self._values(ot.name, start + i, rng, pools, seed)
                    clean = self.records.validate(ot, values, creating=True)
                    record = self.records.insert(conn, ot, clean)
                    if parents and parent_type:
                        target = self.catalog.store.object_types[parent_type]
                        t = self.associations.types.default(type_id, parent_type)
                        self.associations.link(
                            conn, ot, record.id, target, rng.choice(parents), [t]
                        )
            made[key] = count
        return made

    def _ids(self, type_id: str) -> list[int]:
        with self.records.store.db.reading() as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM records WHERE object_type_id = ? AND archived = 0 LIMIT 5000",
                    (type_id,),
                )
            ]

    def _values(
        self, name: str, n: int, rng: random.Random, pools: dict[str, list[str]], seed: int
    ) -> dict[str, Any]:
        pick = rng.choice
        if name == "companies":
            return {
                "name": f"{pick(pools['company'])} {n}",
                "domain": pick(pools["domain"]),
                "industry": pick(_INDUSTRIES),
                "city": pick(pools["city"]),
                "phone": pick(pools["phone"]),
                "numberofemployees": rng.randint(1, 5000),
                "annualrevenue": rng.randint(10, 50_000) * 1000,
                "lifecyclestage": pick(_LIFECYCLE),
            }
        if name == "contacts":
            first, last = pick(pools["first"]), pick(pools["last"])
            return {
                "email": f"{first}.{last}.{n}@{pick(pools['domain'])}".lower(),
                "firstname": first,
                "lastname": last,
                "company": pick(pools["company"]),
                "phone": pick(pools["phone"]),
                "city": pick(pools["city"]),
                "lifecyclestage": pick(_LIFECYCLE),
            }
        if name == "deals":
            close = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 364))
            return {
                "dealname": f"{pick(pools['words'])} #{n}",
                "amount": rng.randint(1, 2000) * 50,
                "dealstage": pick(_DEALSTAGES),
                "pipeline": "default",
                "closedate": int(close.timestamp() * 1000),
            }
        if name == "project":
            start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 700))
            kickoff = start + timedelta(hours=rng.randint(8, 18), minutes=rng.choice((0, 30)))
            tags = sorted(
                rng.sample(
                    ["analytics", "integration", "migration", "mobile", "security", "web", "ai"],
                    rng.randint(0, 3),
                )
            )
            first, last = pick(pools["first"]), pick(pools["last"])
            return {
                "project_name": f"{pick(pools['words'])} {n}",
                "description": pick(pools["text"]),
                "status": pick(["draft", "planned", "in_progress", "on_hold", "done", "cancelled"]),
                "tags": ";".join(tags),
                "budget": rng.randint(1, 5000) * 100,
                "completion": rng.randint(0, 100),
                "priority": str(rng.randint(1, 5)),
                "is_active": rng.random() < 0.8,
                "start_date": start.date().isoformat(),
                "kickoff": kickoff.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "contact_email": f"{first}.{last}@{pick(pools['domain'])}".lower(),
                "phone": pick(pools["phone"]),
                "website": f"https://{pick(pools['domain'])}",
                "salesforce_id": salesforce_id("a0B", seed * 10_000_000 + n + 1),
            }
        return {}


def pick_name(rng: random.Random, pools: dict[str, list[str]]) -> str:
    return f"{rng.choice(pools['first'])} {rng.choice(pools['last'])}"


def _activity_values(
    type_id: str, n: int, rng: random.Random, pools: dict[str, list[str]]
) -> dict[str, Any]:
    """An activity: its timestamp within 2026, its title or body, and its enumerations."""
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 525_000))
    values: dict[str, Any] = {
        "hs_timestamp": when.strftime("%Y-%m-%dT%H:%M:00.000Z"),
        BY_ID[type_id].primary: f"{rng.choice(pools['words'])} {n}",
    }
    pick = rng.choice
    if type_id == "0-27":
        values.update(
            hs_task_body=pick(pools["text"]),
            hs_task_status=pick(TASK_STATUSES)[0],
            hs_task_priority=pick(TASK_PRIORITIES)[0],
            hs_task_type=pick(TASK_TYPES)[0],
        )
    elif type_id == "0-48":
        values.update(
            hs_call_body=pick(pools["text"]),
            hs_call_direction=pick(CALL_DIRECTIONS)[0],
            hs_call_status=pick(CALL_STATUSES)[0],
            hs_call_duration=rng.randint(10, 3600) * 1000,
        )
    elif type_id == "0-47":
        end = when + timedelta(minutes=pick((15, 30, 60)))
        values.update(
            hs_meeting_body=pick(pools["text"]),
            hs_meeting_start_time=values["hs_timestamp"],
            hs_meeting_end_time=end.strftime("%Y-%m-%dT%H:%M:00.000Z"),
            hs_meeting_outcome=pick(MEETING_OUTCOMES)[0],
        )
    elif type_id == "0-49":
        values.update(hs_email_text=pick(pools["text"]), hs_email_direction="EMAIL")
    return values
