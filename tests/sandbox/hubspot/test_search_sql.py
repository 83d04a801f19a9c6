"""The SQL search engine against a plain Python reference, on random records and requests.

The service runs in-process (no HTTP): records are written through the same model calls
the routes use — creates, updates that move indexed keys, archives — with the sandbox
clock frozen and stepped by 0-2 ms, so modification times tie often. Each request is
answered by ``Search.run`` and by :func:`reference`, which knows nothing of the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.hubspot import counts
from crm_sandbox.hubspot.errors import HubSpotError
from crm_sandbox.hubspot.service import HubSpotService

RESULT_CAP = 10_000
KINDS = {
    "project_name": "string",
    "status": "enumeration",
    "tags": "enumeration",
    "budget": "number",
    "start_date": "date",
    "kickoff": "datetime",
    "is_active": "bool",
    "salesforce_id": "string",
    "hs_lastmodifieddate": "datetime",
    "hs_createdate": "datetime",
    "hs_object_id": "number",
}
MULTI = {"tags"}
SEARCHABLE = ["project_name", "salesforce_id", "contact_email"]
WORDS = ["Alpha", "beta", "GAMMA", "delta", "Ab", "abc-d", "x1"]
STATUSES = ["draft", "planned", "done"]
TAGS = ["analytics", "web", "ai"]
OPS = ["EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY"]
OPS += ["NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubSpotService]:
    sandbox = assemble(
        DataDir(Path(tmp_path_factory.mktemp("hs-search"))), service_classes=[HubSpotService]
    )
    svc = sandbox.services[0]
    assert isinstance(svc, HubSpotService)
    with pytest.MonkeyPatch.context() as patch:
        # marks every 3 keys, so range counts go through marks with a few dozen records
        patch.setattr(counts, "STEP", 3)
        yield svc
    sandbox.close()


# -- the reference ------------------------------------------------------------------------
def ref_key(kind: str, raw: Any) -> Any:
    text = str(raw).strip()
    if kind == "number":
        try:
            return Decimal(text)
        except InvalidOperation:
            return None
    if kind in ("date", "datetime"):
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    return text.lower()


def matches(props: dict[str, str], f: dict[str, Any]) -> bool:
    name, op = f["propertyName"], f["operator"]
    kind, raw = KINDS[name], props.get(name)
    if op == "HAS_PROPERTY":
        return raw is not None
    if op == "NOT_HAS_PROPERTY":
        return raw is None
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(f["value"]).lower()
        tokens = re.split(r"[^0-9a-z]+", (raw or "").lower())
        hit = raw is not None and any(
            t.startswith(pattern[:-1]) if pattern.endswith("*") else t == pattern
            for t in tokens
            if t
        )
        return hit != (op == "NOT_CONTAINS_TOKEN")
    parts = [ref_key(kind, p) for p in raw.split(";")] if raw is not None else []
    if name not in MULTI:
        parts = parts[:1] if raw is None else [ref_key(kind, raw)]
    if op in ("EQ", "NEQ", "IN", "NOT_IN"):
        wanted = (
            {ref_key(kind, f["value"])}
            if op in ("EQ", "NEQ")
            else {ref_key(kind, v) for v in f["values"]}
        )
        wanted.discard(None)
        return bool(set(parts) & wanted) == (op in ("EQ", "IN"))
    if not parts:
        return False
    value, low = parts[0], ref_key(kind, f["value"])
    if low is None:
        return False
    if op == "BETWEEN":
        high = ref_key(kind, f["highValue"])
        return high is not None and low <= value <= high
    return {
        "LT": value < low,
        "LTE": value <= low,
        "GT": value > low,
        "GTE": value >= low,
    }[op]


def query_hit(record_id: int, props: dict[str, str], query: str) -> bool:
    hay = [props.get(n, "").lower() for n in SEARCHABLE] + [str(record_id)]
    return all(any(w in h for h in hay) for w in query.lower().split())


def reference(records: dict[int, dict[str, str]], body: dict[str, Any]) -> dict[str, Any]:
    groups = [g["filters"] for g in body.get("filterGroups", [])]
    found = [
        rid
        for rid, props in sorted(records.items())
        if (not groups or any(all(matches(props, f) for f in g) for g in groups))
        and query_hit(rid, props, body.get("query", ""))
    ]
    sorts = body.get("sorts") or []
    if sorts:
        sort = sorts[0]
        name = sort if isinstance(sort, str) else sort["propertyName"]
        descending = name.startswith("-") or (
            isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
        )
        name = name.lstrip("-")
        present = [r for r in found if records[r].get(name) is not None]
        absent = [r for r in found if records[r].get(name) is None]
        # a stable sort (reverse=True too) keeps ties in id order in both directions
        present.sort(key=lambda r: ref_key(KINDS[name], records[r][name]), reverse=descending)
        found = present + absent
    offset, limit = int(body.get("after") or 0), body.get("limit", 10)
    end = min(offset + limit, RESULT_CAP, len(found))
    return {
        "total": len(found),
        "ids": found[offset:end],
        "next": end if end < min(len(found), RESULT_CAP) else None,
    }


# -- the data ---------------------------------------------------------------------------------
def _iso(day: int, minute: int) -> str:
    moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=minute)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


values = st.fixed_dictionaries(
    {},
    optional={
        "project_name": st.builds(
            lambda a, b: f"{a} {b}", st.sampled_from(WORDS), st.sampled_from(WORDS)
        ),
        "status": st.sampled_from(STATUSES),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=3).map(";".join),
        "budget": st.integers(-5, 5).map(lambda n: str(n * 50)),
        "start_date": st.integers(0, 6).map(lambda d: _iso(d, 0)[:10]),
        "kickoff": st.builds(_iso, st.integers(0, 3), st.sampled_from([0, 30, 90])),
        "is_active": st.booleans(),
    },
)
writes = st.lists(
    st.tuples(
        st.sampled_from(["create", "create", "update", "archive"]), values, st.integers(0, 2)
    ),
    min_size=1,
    max_size=30,
)


def _filter_value(name: str, draw: Any, records: dict[int, dict[str, str]]) -> Any:
    seen = [p[name] for p in records.values() if p.get(name) is not None]
    if name in MULTI:
        seen = [part for v in seen for part in v.split(";")] + TAGS
    if seen and draw(st.booleans()):
        value = draw(st.sampled_from(seen))
        kind = KINDS[name]
        if kind == "datetime" and draw(st.booleans()):
            return str(ref_key(kind, value))  # epoch milliseconds, as the taps send
        if kind in ("string", "enumeration") and draw(st.booleans()):
            return value.upper()
        return value
    fallback = {
        "string": st.sampled_from(WORDS),
        "enumeration": st.sampled_from(STATUSES + TAGS),
        "number": st.integers(-300, 300).map(str),
        "date": st.integers(0, 6).map(lambda d: _iso(d, 0)[:10]),
        "datetime": st.builds(_iso, st.integers(0, 3), st.integers(0, 120)),
        "bool": st.sampled_from(["true", "FALSE"]),
    }
    return draw(fallback[KINDS[name]])


INDEXED = ["hs_lastmodifieddate", "hs_createdate", "salesforce_id"]
RANGES = ["EQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "HAS_PROPERTY"]


def _keyset_request(draw: Any, records: dict[int, dict[str, str]]) -> dict[str, Any]:
    """The taps' shape: ranges of one indexed property, sorted by it."""
    name = draw(st.sampled_from(INDEXED))
    filters = []
    for _ in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(RANGES))
        f: dict[str, Any] = {"propertyName": name, "operator": op}
        if op != "HAS_PROPERTY":
            f["value"] = _filter_value(name, draw, records)
        if op == "BETWEEN":
            f["highValue"] = _filter_value(name, draw, records)
        filters.append(f)
    direction = draw(st.sampled_from(["ASCENDING", "DESCENDING"]))
    return {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": name, "direction": direction}],
        "limit": draw(st.integers(1, 12)),
        "after": str(draw(st.integers(0, 20))),
    }


def _request(draw: Any, records: dict[int, dict[str, str]]) -> dict[str, Any]:
    if draw(st.integers(0, 2)) == 0:
        return _keyset_request(draw, records)
    body: dict[str, Any] = {}
    groups = []
    for _ in range(draw(st.integers(0, 3))):
        group = []
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(sorted(KINDS)))
            op = draw(st.sampled_from(OPS))
            f: dict[str, Any] = {"propertyName": name, "operator": op}
            if op in ("IN", "NOT_IN"):
                f["values"] = [
                    _filter_value(name, draw, records) for _ in range(draw(st.integers(1, 3)))
                ]
            elif op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
                word = draw(st.sampled_from(["alpha", "ab", "x1", "web", "d", "ga"]))
                f["value"] = word + draw(st.sampled_from(["", "*"]))
            elif op not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
                f["value"] = _filter_value(name, draw, records)
                if op == "BETWEEN":
                    f["highValue"] = _filter_value(name, draw, records)
            group.append(f)
        groups.append({"filters": group})
    if groups:
        body["filterGroups"] = groups
    sort = draw(st.sampled_from([None, *sorted(KINDS)]))
    if sort is not None:
        descending = draw(st.booleans())
        if draw(st.booleans()):
            body["sorts"] = [("-" if descending else "") + sort]
        else:
            direction = "DESCENDING" if descending else "ASCENDING"
            body["sorts"] = [{"propertyName": sort, "direction": direction}]
    if draw(st.integers(0, 5)) == 0:
        body["query"] = draw(st.sampled_from(["alpha", "GAMMA be", "ab", "10"]))
    body["limit"] = draw(st.integers(1, 12))
    if draw(st.booleans()):
        body["after"] = str(draw(st.integers(0, 40)))
    return body


def check(
    service: HubSpotService, ot: Any, records: dict[int, dict[str, str]], body: dict[str, Any]
) -> None:
    page = service.search.run(ot, body)
    got = {"total": page.total, "ids": [r.id for r in page.records], "next": page.next_after}
    assert got == reference(records, body), body


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=writes, data=st.data())
def test_sql_search_equals_the_reference(service: HubSpotService, plan, data) -> None:
    service.reset()
    clock = service.ctx.clock
    clock.freeze(datetime(2026, 3, 1, tzinfo=UTC))
    ot = service.catalog.resolve("project")
    records: dict[int, dict[str, str]] = {}
    try:
        for n, (action, props, step) in enumerate(plan):
            if data.draw(st.integers(0, 3)) == 0:
                # searched between writes too: counts kept across writes must stay exact
                check(service, ot, records, _request(data.draw, records))
            clock.advance(timedelta(milliseconds=step))
            if action == "create" or not records:
                made = service.records.create(
                    ot, {"project_name": "p", **props, "salesforce_id": f"a0B{n:04d}Xy"}
                )
                records[made.id] = made.props
            elif action == "refused":
                # a batch whose second record is refused after it was written (its
                # association's target does not exist): rolled back to its savepoint
                inputs = [
                    {"properties": {"project_name": "p", **props, "salesforce_id": f"b{n}"}},
                    {
                        "properties": {"project_name": "q", "salesforce_id": f"c{n}"},
                        "associations": [
                            {
                                "to": {"id": "999999999"},
                                "types": [
                                    {
                                        "associationCategory": "HUBSPOT_DEFINED",
                                        "associationTypeId": 1,
                                    }
                                ],
                            }
                        ],
                    },
                ]
                done, errors = service.records.batch_create(
                    ot, inputs, on_created=service.associations.on_create
                )
                assert len(done) == 1 and len(errors) == 1
                with service.store.db.reading() as conn:
                    kept = service.records.get(conn, ot, done[0]["id"])
                assert kept is not None
                records[kept.id] = kept.props
            elif action == "update":
                rid = sorted(records)[n % len(records)]
                clear = {k: None for k in ("status", "kickoff") if k not in props}
                made = service.records.update(ot, str(rid), None, {**props, **clear})
                records[rid] = made.props
            else:
                rid = sorted(records)[n % len(records)]
                service.records.archive(ot, [rid])
                del records[rid]
        for _ in range(6):
            check(service, ot, records, _request(data.draw, records))
    finally:
        clock.reset()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
body_parts = st.fixed_dictionaries(
    {},
    optional={
        "filterGroups": json_values
        | st.lists(
            st.fixed_dictionaries(
                {
                    "filters": st.lists(
                        st.dictionaries(
                            st.sampled_from(
                                ["propertyName", "operator", "value", "values", "highValue"]
                            ),
                            json_values | st.sampled_from(["budget", "EQ", "IN", "kickoff"]),
                        ),
                        max_size=2,
                    )
                }
            ),
            max_size=2,
        ),
        "sorts": json_values | st.lists(json_values | st.sampled_from(["budget", "-kickoff"])),
        "limit": json_values,
        "after": json_values,
        "query": json_values,
        "properties": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=body_parts)
def test_any_body_is_answered_or_refused_never_crashes(service: HubSpotService, body) -> None:
    ot = service.catalog.resolve("project")
    try:
        page = service.search.run(ot, body)
    except HubSpotError as exc:
        assert exc.status_code == 400 and exc.category == "VALIDATION_ERROR"
    else:
        assert page.total >= len(page.records)


def test_counts_after_a_batch_record_rolled_back(service: HubSpotService) -> None:
    """A record written, then refused (its association fails), leaves the counts exact."""
    service.reset()
    ot = service.catalog.resolve("project")
    for n in range(20):
        service.records.create(ot, {"project_name": f"p{n}", "salesforce_id": f"s{n:02d}"})
    everything = {"limit": 1}
    by_id = {
        "filterGroups": [
            {"filters": [{"propertyName": "salesforce_id", "operator": "GTE", "value": "s00"}]}
        ],
        "limit": 1,
    }
    # both totals are now cached: the live count, and marks over salesforce_id
    assert service.search.run(ot, everything).total == 20
    assert service.search.run(ot, by_id).total == 20
    bad = {"to": {"id": "999999999"}, "types": [{"associationTypeId": 1}]}
    done, errors = service.records.batch_create(
        ot,
        [
            {"properties": {"project_name": "kept", "salesforce_id": "s90"}},
            {"properties": {"project_name": "gone", "salesforce_id": "s91"}, "associations": [bad]},
        ],
        on_created=service.associations.on_create,
    )
    assert len(done) == 1 and len(errors) == 1
    assert service.search.run(ot, everything).total == 21
    assert service.search.run(ot, by_id).total == 21


def test_search_after_a_merge(service: HubSpotService) -> None:
    """A merge writes records outside the batch paths: the index and counts follow it."""
    service.reset()
    ot = service.catalog.resolve("project")
    clock = service.ctx.clock
    clock.freeze(datetime(2026, 3, 1, tzinfo=UTC))
    made = []
    for n in range(8):  # one millisecond apart: create dates order the records
        clock.advance(timedelta(milliseconds=1))
        made.append(service.records.create(ot, {"project_name": f"p{n}", "salesforce_id": f"m{n}"}))
    dated = {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_createdate", "operator": "GTE", "value": "0"}]}
        ],
        "sorts": [{"propertyName": "hs_createdate", "direction": "ASCENDING"}],
        "limit": 100,
    }
    assert service.search.run(ot, {"limit": 1}).total == 8
    assert service.search.run(ot, dated).total == 8
    survivor = service.merges.merge(ot, str(made[0].id), str(made[1].id))
    everything = service.search.run(ot, {"limit": 100})
    by_date = service.search.run(ot, dated)
    assert everything.total == by_date.total == 7
    assert {r.id for r in by_date.records} == {r.id for r in everything.records}
    assert by_date.records[0].id == survivor.id  # it keeps the earlier create date
    gone = {"propertyName": "salesforce_id", "operator": "IN", "values": ["m0", "m1"]}
    hits = service.search.run(ot, {"filterGroups": [{"filters": [gone]}]})
    assert [r.id for r in hits.records] == [survivor.id]
    clock.reset()
