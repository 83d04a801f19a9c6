"""POST /crm/v3/objects/{objectType}/search through the SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hubspot.crm.objects import (
    ApiException,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from crm_sandbox.hubspot.values import parse_datetime


def _search(hs, ot="project", **body):
    return hs.crm.objects.search_api.do_search(ot, PublicObjectSearchRequest(**body))


def _f(name, op, value=None, **extra):
    out = {"propertyName": name, "operator": op, **extra}
    if value is not None:
        out["value"] = value
    return out


@pytest.fixture
def seeded(portal):
    # these tests search many times a second; the per-second limit has its own test
    portal.set_faults(hs_search_per_second=1000)
    portal.seed(hubspot={"project": 60})
    return portal


def test_filters_sorts_and_properties(hs, seeded):
    everything = _search(
        hs, limit=200, properties=["budget", "status", "tags", "kickoff", "nothing_set"]
    )
    assert everything.total == 60 and len(everything.results) == 60
    rows = [r.properties for r in everything.results]
    assert all(r["nothing_set"] is None for r in rows)

    def count(*filters, groups=None):
        return _search(hs, filter_groups=groups or [{"filters": list(filters)}]).total

    budgets = [int(r["budget"]) for r in rows]
    mid = sorted(budgets)[30]
    assert count(_f("budget", "GTE", str(mid))) == sum(b >= mid for b in budgets)
    assert count(_f("budget", "LT", str(mid))) == sum(b < mid for b in budgets)
    assert count(_f("budget", "BETWEEN", "10000", highValue="200000")) == sum(
        10000 <= b <= 200000 for b in budgets
    )
    assert count(_f("status", "EQ", "done")) == sum(r["status"] == "done" for r in rows)
    assert count(_f("status", "NEQ", "done")) == sum(r["status"] != "done" for r in rows)
    assert count(_f("status", "IN", values=["done", "draft"])) == sum(
        r["status"] in ("done", "draft") for r in rows
    )
    assert count(_f("status", "NOT_IN", values=["done"])) == sum(
        r["status"] != "done" for r in rows
    )
    assert count(_f("tags", "HAS_PROPERTY")) == sum(bool(r["tags"]) for r in rows)
    assert count(_f("tags", "NOT_HAS_PROPERTY")) == sum(not r["tags"] for r in rows)
    assert count(_f("tags", "EQ", "security")) == sum("security" in (r["tags"] or "") for r in rows)
    # OR of groups, AND within a group
    either = count(
        groups=[
            {"filters": [_f("status", "EQ", "done")]},
            {"filters": [_f("status", "EQ", "draft")]},
        ]
    )
    assert either == count(_f("status", "IN", values=["done", "draft"]))
    # datetimes filter by epoch milliseconds
    kicks = sorted(int(parse_datetime(r["kickoff"]).timestamp() * 1000) for r in rows)
    assert count(_f("kickoff", "GT", str(kicks[9]))) == 50
    ordered = _search(
        hs,
        sorts=[{"propertyName": "budget", "direction": "DESCENDING"}],
        properties=["budget"],
        limit=5,
    )
    assert [int(r.properties["budget"]) for r in ordered.results] == sorted(budgets)[::-1][:5]


def test_tokens_and_query(hs, seeded):
    first = _search(hs, limit=1, properties=["project_name"]).results[0]
    word = first.properties["project_name"].split()[0]
    hits = _search(
        hs,
        filter_groups=[{"filters": [_f("project_name", "CONTAINS_TOKEN", word.lower())]}],
        limit=100,
        properties=["project_name"],
    )
    assert first.id in {r.id for r in hits.results}
    assert all(word.lower() in r.properties["project_name"].lower() for r in hits.results)
    misses = _search(
        hs, filter_groups=[{"filters": [_f("project_name", "NOT_CONTAINS_TOKEN", word.lower())]}]
    )
    assert hits.total + misses.total == 60
    assert first.id in {r.id for r in _search(hs, query=word, limit=100).results}


def test_paging_by_numeric_offset(hs, seeded):
    ids, after = [], None
    while True:
        page = _search(
            hs,
            limit=25,
            after=after,
            sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        )
        ids += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
        assert after == str(len(ids))
    assert len(ids) == 60 == len(set(ids))
    assert _search(hs).results.__len__() == 10  # default limit


def _error(hs, **body):
    with pytest.raises(ApiException) as info:
        _search(hs, **body)
    return info.value.status, json.loads(info.value.body)


def test_limits_of_the_request(hs, seeded):
    status, body = _error(hs, limit=201)
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    group = {"filters": [_f("budget", "GT", "1")]}
    assert _error(hs, filter_groups=[group] * 6)[0] == 400
    assert _error(hs, filter_groups=[{"filters": [_f("budget", "GT", "1")] * 11}])[0] == 400
    assert _error(hs, filter_groups=[{"filters": [_f("budget", "GT", "1")] * 9}] * 3)[0] == 400
    # 5 groups x 5 filters = 25 is allowed
    assert _search(hs, filter_groups=[{"filters": [_f("budget", "GT", "1")] * 5}] * 5).total == 60


def test_search_past_10000_results(hs, seeded):
    status, body = _error(hs, after="10000", limit=10)
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "10000" in body["message"]


def test_search_has_its_own_per_second_limit_and_no_headers(hs, portal, raw):
    portal.set_faults(hs_search_per_second=2)
    replies = [raw("POST", "/crm/v3/objects/project/search", json={}) for _ in range(4)]
    statuses = [r.status_code for r in replies]
    assert statuses[:2] == [200, 200] and 429 in statuses
    limited = next(r for r in replies if r.status_code == 429).json()
    assert limited["policyName"] == "SECONDLY" and limited["errorType"] == "RATE_LIMIT"
    assert "x-hubspot-ratelimit-max" not in replies[0].headers
    assert "x-hubspot-correlation-id" in replies[0].headers


def test_sorts_given_as_property_names(raw, seeded):
    """@hubspot/api-client's TypeScript types send ``"sorts": ["name"]``: ascending by name."""
    path = "/crm/v3/objects/project/search"
    body = {"properties": ["budget"], "limit": 200}
    up = raw("POST", path, json={**body, "sorts": ["budget"]})
    down = raw("POST", path, json={**body, "sorts": ["-budget"]})
    assert up.status_code == down.status_code == 200
    ups = [int(r["properties"]["budget"]) for r in up.json()["results"]]
    downs = [int(r["properties"]["budget"]) for r in down.json()["results"]]
    assert len(ups) == 60 and ups == sorted(ups) and downs == sorted(ups, reverse=True)


def test_malformed_bodies_get_a_validation_error_not_a_500(raw, seeded):
    path = "/crm/v3/objects/project/search"
    for body in (
        {"sorts": [7]},
        {"sorts": "budget"},
        {"filterGroups": [["budget"]]},
        {"filterGroups": [{"filters": ["budget"]}]},
        {"filterGroups": {"filters": []}},
        {"limit": "ten"},
        {"sorts": [{"propertyName": "budget", "direction": "UP"}]},
    ):
        reply = raw("POST", path, json=body)
        assert reply.status_code == 400, body
        assert reply.json()["category"] == "VALIDATION_ERROR"


def test_a_datetime_before_year_1000_is_stored_read_and_searched(hs, portal):
    """Written with an offset (the full parse-and-format path), served with a four-digit
    year, and found by an epoch-millisecond filter (a three-digit year had no search key)."""
    portal.set_faults(hs_search_per_second=1000)
    api = hs.crm.objects.basic_api
    made = api.create(
        "project",
        SimplePublicObjectInputForCreate(
            properties={
                "project_name": "Antikythera",
                "salesforce_id": "a0B000000000999AAA",
                "kickoff": "0999-03-02T10:00:00+02:00",
            }
        ),
    )
    got = api.get_by_id("project", made.id, properties=["kickoff"])
    assert got.properties["kickoff"] == "0999-03-02T08:00:00.000Z"
    year_1000 = int(datetime(1000, 1, 1, tzinfo=UTC).timestamp() * 1000)
    found = _search(hs, filter_groups=[{"filters": [_f("kickoff", "LT", str(year_1000))]}])
    assert [r.id for r in found.results] == [made.id]
