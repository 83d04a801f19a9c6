"""Full and incremental pulls, ties, the 10,000 cap, deletes, associations, retries, OAuth."""

from __future__ import annotations

import pytest
from singer_sdk.exceptions import ConfigValidationError

from crm_sync.http import QuotaExhausted
from tests.tap_hubspot_custom.conftest import run_tap
from tests.tap_hubspot_custom.fake_hubspot import iso

PROJECT = "2-9"


def _seed(fake, n: int, per_ms: int = 1) -> list[str]:
    ids = []
    for i in range(n):
        if i % per_ms == 0:
            fake.tick()
        ids.append(fake.create(PROJECT, project_name=f"p{i}", budget=str(i)))
    return ids


def test_full_pull_pages_the_list_api_and_bookmarks_the_newest(fake, config) -> None:
    ids = _seed(fake, 250)
    fake.tick(5000)  # the server's clock is well past the newest record
    run = run_tap({**config, "page_size": 100, "search_walk": False})  # the list alone
    assert run.ids() == ids  # id order, each once
    assert run.tap.streams["project"].pull == "full"
    lists = [c for c in fake.calls if c[0] == "GET" and c[1] == "/crm/v3/objects/2-9"]
    assert len(lists) == 3 + 1  # three live pages, one archived page
    state = run.state["bookmarks"]["project"]
    assert state["replication_key_value"] == iso(fake.now - 5000)
    # Every record at that time went out (the pull read them all): nothing to list.
    assert state["boundary_ids"] == [] and state["boundary_complete"] is True


def test_a_refused_search_walk_leaves_the_full_pull_to_the_list(fake, config, caplog) -> None:
    ids = _seed(fake, 250)
    fake.search_refusal = {
        "status": "error",
        "message": "There was a problem with the request.",
        "category": "VALIDATION_ERROR",
        "correlationId": "x",
    }
    run = run_tap({**config, "page_size": 100})
    assert run.ids() == ids  # every record once, all from the list
    searches = [c for c in fake.calls if c[1].endswith("/search")]
    assert len(searches) == 1
    assert "search walk stopped, the list reads on" in caplog.text


def test_full_pull_bookmark_never_passes_the_servers_time_at_start(fake, config) -> None:
    _seed(fake, 3)  # newest record is newer than Date (whole seconds) less one second
    run = run_tap(config)
    value = run.state["bookmarks"]["project"]["replication_key_value"]
    assert value == iso((fake.now // 1000) * 1000 - 1000)
    assert run.state["bookmarks"]["project"]["boundary_ids"] == []


def test_second_run_emits_exactly_the_edits_inserts_and_deletes(fake, config) -> None:
    ids = _seed(fake, 30)
    fake.tick(5000)
    first = run_tap(config)
    fake.tick()
    fake.update(PROJECT, ids[3], project_name="edited")
    fake.archive(PROJECT, ids[4])
    new = fake.create(PROJECT, project_name="new")
    fake.update(PROJECT, ids[5], budget="7")  # same millisecond as the create
    second = run_tap(config, state=first.state)
    assert second.tap.streams["project"].pull == "incremental"
    got = {r["id"]: r for r in second.records["project"]}
    assert set(got) == {ids[3], ids[4], ids[5], new}
    assert got[ids[3]]["project_name"] == "edited"
    assert got[ids[4]]["_sdc_deleted_at"] == iso(fake.now) == got[ids[4]]["archivedAt"]
    assert got[ids[4]]["archived"] is True
    assert "_sdc_deleted_at" not in got[ids[3]]
    third = run_tap(config, state=second.state)
    assert third.ids() == []


def test_ties_straddling_pages_and_a_full_page_of_one_millisecond(fake, config) -> None:
    _seed(fake, 5)
    fake.tick(5000)
    first = run_tap(config)
    fake.tick()
    tied = _seed(fake, 0) + [fake.create(PROJECT, project_name=f"t{i}") for i in range(450)]
    later = _seed(fake, 7, per_ms=2)
    second = run_tap({**config, "search_page_size": 200}, state=first.state)
    got = second.ids()
    assert sorted(got) == sorted(tied + later) and len(got) == len(set(got))
    plan = second.tap.streams["project"].plan
    assert plan is not None and plan.drains == 1
    searches = [b for m, p, b in fake.calls if p.endswith("/search")]
    assert all("after" not in b for b in searches)
    filters = [f["propertyName"] for b in searches for f in b["filterGroups"][0]["filters"]]
    assert "hs_object_id" in filters  # the tie was drained by id
    # Resuming from any mid-run state re-emits nothing twice beyond that page.
    assert run_tap(config, state=second.state).ids() == []


def test_more_than_10000_changes_in_one_run(fake, config) -> None:
    fake.tick(5000)
    first = run_tap(config)
    ids = _seed(fake, 10_450, per_ms=3)
    second = run_tap(config, state=first.state)
    got = second.ids()
    assert len(got) == 10_450 and set(got) == set(ids)
    assert fake.count("POST", "/search") == second.tap.streams["project"].plan.searches


def test_a_record_edited_mid_run_is_not_lost(fake, config) -> None:
    """Offset paging would skip one record here; keyset paging re-reads it later."""
    fake.tick(5000)
    first = run_tap(config)
    ids = _seed(fake, 60)

    def edit(searches: int) -> None:
        if searches == 2:  # the second search: the first page was read
            fake.tick(10)
            fake.update(PROJECT, ids[0], project_name="moved")

    fake.before_search = edit
    second = run_tap({**config, "search_page_size": 20}, state=first.state)
    got = second.ids()
    assert set(got) == set(ids)
    assert got.count(ids[0]) == 2 and second.records["project"][-1]["project_name"] == "moved"


def test_associations_batched_per_page_in_the_v3_shape(fake, config) -> None:
    fake.tick(5000)
    first = run_tap({**config, "include_associations": ["company"]})
    ids = _seed(fake, 250)
    companies = [fake.create("0-2", name=f"c{i}") for i in range(3)]
    fake.link(PROJECT, ids[0], "0-2", companies[0], 77, None)
    fake.link(PROJECT, ids[0], "0-2", companies[1], 78, "Primary")
    fake.link(PROJECT, ids[0], "0-2", companies[2], 77, None)
    cfg = {**config, "include_associations": ["company"]}
    second = run_tap(cfg, state=first.state)
    records = {r["id"]: r for r in second.records["project"]}
    results = records[ids[0]]["associations"]["companies"]["results"]
    assert [r["id"] for r in results] == [companies[1], companies[0], companies[2]]
    assert results[0] == {
        "id": companies[1], "type": "primary", "typeId": 78,
        "category": "HUBSPOT_DEFINED", "label": "Primary",
    }  # fmt: skip
    assert results[1]["type"] == "project_to_company"
    assert records[ids[1]]["associations"] == {"companies": {"results": []}}
    # 250 ids over two search pages (200 + 50): one batch read each (the call takes up to
    # 1,000 ids), plus one follow-up read for the id whose associations did not fit one reply.
    batches = [b for m, p, b in fake.calls if p.endswith("/batch/read")]
    assert [len(b["inputs"]) for b in batches] == [200, 1, 50]
    assert batches[1]["inputs"] == [{"id": ids[0], "after": companies[2]}]


def test_429_and_5xx_are_retried_and_a_daily_429_stops(fake, config) -> None:
    _seed(fake, 3)
    fake.fail_next(
        429,
        {"status": "error", "message": "You have reached your secondly limit.",
         "errorType": "RATE_LIMIT", "policyName": "SECONDLY"},
        {"Retry-After": "0"},
    )  # fmt: skip
    fake.fail_next(503, {"status": "error", "message": "Service Unavailable"})
    run = run_tap(config)
    assert len(run.ids()) == 3
    assert run.tap.calls.retries == 2
    daily = {"status": "error", "message": "You have reached your daily limit.",
             "errorType": "RATE_LIMIT", "policyName": "DAILY"}  # fmt: skip
    fake.fail_next(429, daily)  # during discovery
    with pytest.raises(QuotaExhausted, match="daily API limit"):
        run_tap(config)
    fake.before_search = lambda n: fake.fail_next(429, daily)  # while reading
    with pytest.raises(QuotaExhausted, match="daily API limit"):
        run_tap(config, state=run.state)


def test_oauth_refresh_token_flow_and_401_refresh(fake, config) -> None:
    _seed(fake, 3)
    fake.tick(5000)
    cfg = {k: v for k, v in config.items() if k != "access_token"}
    cfg.update(client_id="cid", client_secret="secret", refresh_token="rt")
    run = run_tap(cfg)
    assert len(run.ids()) == 3 and fake.tokens_issued == 1

    def expire(searches: int) -> None:
        if searches == 1:
            fake.tokens_issued += 1  # the token in hand is no longer valid

    fake.before_search = expire
    fake.tick()
    fake.update(PROJECT, run.ids()[0], project_name="x")
    second = run_tap(cfg, state=run.state)
    assert second.ids() == [run.ids()[0]]
    with pytest.raises(ConfigValidationError, match="refresh_token"):
        run_tap({**cfg, "refresh_token": None})


def test_objects_and_include_associations_are_checked(fake, config) -> None:
    assert set(run_tap({**config, "objects": ["proj*", "contacts"]}).tap.streams) == {
        "project",
        "contacts",
    }
    with pytest.raises(ConfigValidationError, match="nope"):
        run_tap({**config, "objects": ["nope"]})
    with pytest.raises(ConfigValidationError, match="include_associations"):
        run_tap({**config, "include_associations": ["nope"]})


def test_associations_by_object_reads_only_the_pairs_named(fake, config, caplog) -> None:
    project = _seed(fake, 3)
    company = fake.create("0-2", name="acme")
    contact = fake.create("0-1", email="a@example.com")
    fake.link(PROJECT, project[0], "0-2", company, 77, None)
    fake.link("0-1", contact, "0-2", company, 1, "Primary")
    cfg = {
        **config,
        "objects": ["project", "contacts"],
        "include_associations": ["companies", "contacts"],
        "associations_by_object": {"project": ["company"]},  # contacts: the default pair
    }
    run = run_tap(cfg)
    assert run.records["project"][0]["associations"] == {
        "companies": {"results": [{"id": company, "type": "project_to_company", "typeId": 77,
                                   "category": "HUBSPOT_DEFINED", "label": None}]}
    }  # fmt: skip
    assert set(run.records["contacts"][0]["associations"]) == {"companies", "contacts"}
    reads = [p for _, p, _ in fake.calls if p.endswith("/batch/read")]
    # project: 1 type read; contacts: 2 (include_associations).
    assert sorted(reads) == sorted([
        "/crm/v4/associations/2-9/0-2/batch/read",
        "/crm/v4/associations/0-1/0-2/batch/read",
        "/crm/v4/associations/0-1/0-1/batch/read",
    ])  # fmt: skip
    with pytest.raises(ConfigValidationError, match="associations_by_object"):
        run_tap({**cfg, "associations_by_object": {"project": ["nope"]}})
    with pytest.raises(ConfigValidationError, match="associations_by_object"):
        run_tap({**cfg, "associations_by_object": {"nope": ["companies"]}})


def test_a_pair_a_mapping_needs_but_the_settings_leave_out_is_logged(
    fake, config, caplog, tmp_path
) -> None:
    (tmp_path / "project.yml").write_text(
        "name: project\nenabled: true\n"
        "salesforce: {object: Project__c, id_field: HubSpot_Id__c}\n"
        "hubspot: {object: project, id_property: salesforce_id}\n"
        "fields:\n  - {salesforce: Name, hubspot: project_name, rule: two_way}\n"
        "associations:\n  - {lookup: Account__c, to: account}\n"
    )
    (tmp_path / "account.yml").write_text(
        "name: account\nenabled: true\n"
        "salesforce: {object: Account, id_field: HubSpot_Id__c}\n"
        "hubspot: {object: companies, id_property: salesforce_id}\n"
        "fields:\n  - {salesforce: Name, hubspot: name, rule: two_way}\n"
    )
    cfg = {**config, "mappings_dir": str(tmp_path), "include_associations": ["companies"]}
    run_tap({**cfg, "associations_by_object": {"project": []}})
    assert "project: associations to companies are not read (project Account__c -> account" in (
        caplog.text
    )
    caplog.clear()
    run_tap(cfg)
    assert "are not read" not in caplog.text


def test_the_search_walk_keeps_to_the_search_limit_not_the_window(fake, config) -> None:
    _seed(fake, 30)
    run = run_tap({**config, "page_size": 5, "search_page_size": 5, "max_requests_per_10s": 100})
    tap = run.tap
    walk = tap.streams["project"].descent
    assert walk is not None and walk.client is tap.search_client
    assert tap.search_client.limiter is None  # search calls are limited on their own
    assert tap.search_client.search_limiter is tap.hubspot.search_limiter
    assert tap.search_client.auth is tap.hubspot.auth  # one token
    assert tap.hubspot.limiter is not None and tap.hubspot.limiter.max_calls == 95  # 0.95
    # Every call is counted once, in the run's one counter.
    assert tap.calls.total == len(fake.calls)
