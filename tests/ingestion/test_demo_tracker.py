"""The demo tracker over HTTP: Jira Cloud's endpoints, paging, auth, errors and injected faults."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from ingestion.demo import DEMO_API_TOKEN, DEMO_EMAIL, DemoOrganisation, DemoTracker, FaultPlan, FaultRule
from ingestion.demo.server import encode_page_token

ANCHOR = datetime(2025, 6, 1, tzinfo=UTC)
ISSUES = 400
SEARCH = "/rest/api/3/search/jql"
ALL = 'updated >= "1970-01-01 00:00" ORDER BY key ASC'


@pytest.fixture(scope="module")
def org() -> DemoOrganisation:
    return DemoOrganisation(seed=7, issues=ISSUES, anchor=ANCHOR)


@pytest.fixture(scope="module")
def tracker(org: DemoOrganisation) -> Iterator[DemoTracker]:
    with DemoTracker(org) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.auth = (DEMO_EMAIL, DEMO_API_TOKEN)
        yield client


def _search_all(session: requests.Session, url: str, jql: str, **params: Any) -> list[dict]:
    issues: list[dict] = []
    token = None
    for _ in range(1000):
        page_params = {"jql": jql, "maxResults": 100, **params, **({"nextPageToken": token} if token else {})}
        page = session.get(f"{url}{SEARCH}", params=page_params, timeout=10).json()
        issues.extend(page["issues"])
        if page["isLast"]:
            assert "nextPageToken" not in page
            return issues
        token = page["nextPageToken"]
    raise AssertionError("search never reached its last page")


def test_same_seed_serves_identical_issues(session: requests.Session) -> None:
    served = []
    for _ in range(2):
        with DemoTracker(DemoOrganisation(seed=21, issues=60, anchor=ANCHOR)) as running:
            issues = _search_all(session, running.url, ALL, expand="changelog")
            served.append(json.loads(json.dumps(issues).replace(running.url, "http://demo")))
    assert len(served[0]) == 60
    assert served[0] == served[1]


def test_search_pages_with_tokens_until_is_last(tracker: DemoTracker, session: requests.Session) -> None:
    first = session.get(f"{tracker.url}{SEARCH}", params={"jql": ALL, "maxResults": 100}, timeout=10).json()
    assert len(first["issues"]) == 100
    assert first["isLast"] is False
    assert first["nextPageToken"]
    issues = _search_all(session, tracker.url, ALL)
    assert [issue["id"] for issue in issues] == [str(10000 + index) for index in range(ISSUES)]


def test_search_caps_pages_at_100_and_defaults_to_50(tracker: DemoTracker, session: requests.Session) -> None:
    url = f"{tracker.url}{SEARCH}"
    assert len(session.get(url, params={"jql": ALL, "maxResults": 5000}, timeout=10).json()["issues"]) == 100
    assert len(session.get(url, params={"jql": ALL}, timeout=10).json()["issues"]) == 50


def test_search_accepts_post_with_a_json_body(tracker: DemoTracker, session: requests.Session) -> None:
    body = {"jql": "project = MOB ORDER BY key", "maxResults": 10, "fields": ["summary", "status"]}
    page = session.post(f"{tracker.url}{SEARCH}", json=body, timeout=10).json()
    assert len(page["issues"]) == 10
    assert all(issue["key"].startswith("MOB-") for issue in page["issues"])
    assert set(page["issues"][0]["fields"]) == {"summary", "status"}


def test_search_embeds_at_most_20_newest_histories(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    issues = _search_all(session, tracker.url, ALL, expand="changelog")
    long_ones = [issue for issue in issues if issue["changelog"]["total"] > 20]
    assert long_ones
    for issue in issues:
        everything = org.histories(int(issue["id"]) - 10000)
        changelog = issue["changelog"]
        assert changelog["total"] == len(everything)
        assert changelog["maxResults"] == 20
        assert changelog["histories"] == list(reversed(everything[-20:]))


def test_changelog_endpoint_returns_every_history_oldest_first(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    index = max(range(ISSUES), key=lambda i: len(org.histories(i)))
    expected = org.histories(index)
    assert len(expected) > 100
    url = f"{tracker.url}/rest/api/3/issue/{org.key(index)}/changelog"
    capped = session.get(url, params={"maxResults": 500}, timeout=10).json()
    assert capped["maxResults"] == 100
    assert capped["isLast"] is False
    values: list[dict] = []
    while True:
        page = session.get(url, params={"startAt": len(values), "maxResults": 30}, timeout=10).json()
        assert page["total"] == len(expected)
        values.extend(page["values"])
        if page["isLast"]:
            break
    assert values == expected


def test_bulk_changelog_pages_histories_across_issues(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    ids = [org.issue_id(index) for index in range(40)] + [org.key(40)]
    collected: dict[str, list[dict]] = {}
    token = None
    for _ in range(100):
        body = {"issueIdsOrKeys": ids, "maxResults": 37, **({"nextPageToken": token} if token else {})}
        page = session.post(f"{tracker.url}/rest/api/3/changelog/bulkfetch", json=body, timeout=10).json()
        assert sum(len(log["changeHistories"]) for log in page["issueChangeLogs"]) <= 37
        for log in page["issueChangeLogs"]:
            collected.setdefault(log["issueId"], []).extend(log["changeHistories"])
        token = page.get("nextPageToken")
        if not token:
            break
    expected = {org.issue_id(index): org.histories(index) for index in range(41) if org.histories(index)}
    assert collected == expected


def test_bulk_changelog_can_keep_only_named_fields(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    body = {"issueIdsOrKeys": [org.issue_id(index) for index in range(30)], "fieldIds": ["status"]}
    page = session.post(f"{tracker.url}/rest/api/3/changelog/bulkfetch", json=body, timeout=10).json()
    items = [item for log in page["issueChangeLogs"] for h in log["changeHistories"] for item in h["items"]]
    assert items
    assert {item["fieldId"] for item in items} == {"status"}


def test_requests_without_credentials_get_401(tracker: DemoTracker) -> None:
    for auth in (None, (DEMO_EMAIL, "wrong-token"), ("someone@example.com", DEMO_API_TOKEN)):
        response = requests.get(f"{tracker.url}/rest/api/3/myself", auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"errorMessages": ["Client must be authenticated to access this resource."]}
    bearer = {"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    assert requests.get(f"{tracker.url}/rest/api/3/myself", headers=bearer, timeout=10).status_code == 401


def test_metadata_endpoints_answer_in_cloud_shapes(tracker: DemoTracker, session: requests.Session) -> None:
    info = session.get(f"{tracker.url}/rest/api/2/serverInfo", timeout=10).json()
    assert info["deploymentType"] == "Cloud"
    assert info["baseUrl"] == tracker.url
    me = session.get(f"{tracker.url}/rest/api/3/myself", timeout=10).json()
    assert me["emailAddress"] == DEMO_EMAIL
    assert me["timeZone"] == "UTC"
    assert me["accountId"]
    projects = session.get(
        f"{tracker.url}/rest/api/3/project/search", params={"maxResults": 2}, timeout=10
    ).json()
    assert [p["key"] for p in projects["values"]] == ["PAY", "MOB"]
    assert projects["total"] == 3
    assert projects["isLast"] is False
    for path in ("status", "issuetype", "field"):
        assert isinstance(session.get(f"{tracker.url}/rest/api/3/{path}", timeout=10).json(), list)


def test_unknown_path_gets_404_json_and_bad_jql_gets_400(
    tracker: DemoTracker, session: requests.Session
) -> None:
    missing = session.get(f"{tracker.url}/rest/api/3/nothing-here", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["errorMessages"]
    assert session.get(f"{tracker.url}/rest/api/3/issue/PAY-99999/changelog", timeout=10).status_code == 404
    for jql in (
        "status = Done",
        "project = NOPE",
        'updated >= "yesterday"',
        "project = PAY ORDER BY nonsense",
    ):
        response = session.get(f"{tracker.url}{SEARCH}", params={"jql": jql}, timeout=10)
        assert response.status_code == 400, jql
        assert response.json()["errorMessages"]
    bad_token = session.get(
        f"{tracker.url}{SEARCH}", params={"jql": ALL, "nextPageToken": "nope"}, timeout=10
    )
    assert bad_token.status_code == 400


def test_cloud_refuses_the_removed_search_endpoint(tracker: DemoTracker, session: requests.Session) -> None:
    assert session.get(f"{tracker.url}/rest/api/3/search", params={"jql": ALL}, timeout=10).status_code == 410


def test_project_filter_returns_only_those_projects(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    issues = _search_all(session, tracker.url, 'project in ("OPS", mob) ORDER BY created ASC')
    expected = [org.key(i) for i in range(ISSUES) if org.project_of(i).key in {"OPS", "MOB"}]
    assert [issue["key"] for issue in issues] == expected


def test_updated_filter_returns_only_recently_changed_issues(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    since = ANCHOR - timedelta(days=20)
    jql = f'project = PAY AND updated >= "{since:%Y-%m-%d %H:%M}" ORDER BY key ASC'
    issues = _search_all(session, tracker.url, jql)
    expected = [
        org.key(i)
        for i in range(ISSUES)
        if org.project_of(i).key == "PAY" and org.issue(i)["fields"]["updated"] >= f"{since:%Y-%m-%dT%H:%M}"
    ]
    assert [issue["key"] for issue in issues] == expected
    assert 0 < len(expected) < ISSUES // 4


def test_updated_filter_reads_dates_in_the_served_offset(session: requests.Session) -> None:
    org = DemoOrganisation(seed=7, issues=200, anchor=ANCHOR, utc_offset_minutes=480)
    target = org.issue(150)["fields"]["updated"]  # e.g. 2025-05-20T17:42:10.123+0800
    minute = f"{target[:10]} {target[11:16]}"
    with DemoTracker(org) as running:
        assert session.get(f"{running.url}/rest/api/3/myself", timeout=10).json()["timeZone"] == "Etc/GMT-8"
        keys = {issue["key"] for issue in _search_all(session, running.url, f'updated >= "{minute}"')}
    assert org.key(150) in keys
    assert all(org.issue(org.index_of(key))["fields"]["updated"][:16] >= target[:16] for key in keys)


def test_incremental_search_finds_exactly_the_daily_changed_issues(session: requests.Session) -> None:
    change_day = ANCHOR + timedelta(hours=6)
    org = DemoOrganisation(seed=4, issues=3000, anchor=ANCHOR, changed_fraction=0.01, change_day=change_day)
    with DemoTracker(org) as running:
        issues = _search_all(
            session, running.url, f'updated >= "{ANCHOR:%Y-%m-%d %H:%M}"', expand="changelog"
        )
    assert [int(issue["id"]) - 10000 for issue in issues] == [i for i in range(3000) if org.is_changed(i)]
    assert all(
        issue["changelog"]["histories"][0]["created"] >= f"{change_day:%Y-%m-%dT%H}" for issue in issues
    )


def test_datacenter_search_embeds_the_full_changelog_and_pages_by_start_at(
    org: DemoOrganisation, session: requests.Session
) -> None:
    with DemoTracker(org, flavor="datacenter") as running:
        info = session.get(f"{running.url}/rest/api/2/serverInfo", timeout=10).json()
        assert info["deploymentType"] == "Server"
        assert session.get(f"{running.url}{SEARCH}", params={"jql": ALL}, timeout=10).status_code == 404
        issues: list[dict] = []
        while True:
            page = session.get(
                f"{running.url}/rest/api/2/search",
                params={"jql": ALL, "startAt": len(issues), "maxResults": 150, "expand": "changelog"},
                timeout=10,
            ).json()
            assert page["total"] == ISSUES
            assert page["startAt"] == len(issues)
            issues.extend(page["issues"])
            if not page["issues"] or len(issues) >= page["total"]:
                break
        bearer = {"Authorization": f"Bearer {DEMO_API_TOKEN}"}
        assert requests.get(f"{running.url}/rest/api/2/myself", headers=bearer, timeout=10).status_code == 200
    assert [issue["id"] for issue in issues] == [org.issue_id(index) for index in range(ISSUES)]
    for issue in issues:
        assert issue["changelog"]["histories"] == org.histories(int(issue["id"]) - 10000)


def test_server_binds_loopback_only(tracker: DemoTracker, org: DemoOrganisation) -> None:
    host, port = tracker.address
    assert host == "127.0.0.1"
    assert port == tracker.port
    with pytest.raises(ValueError, match="loopback"):
        DemoTracker(org, host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        DemoTracker(org, host="192.168.1.10")


def test_stopped_tracker_frees_its_port(org: DemoOrganisation) -> None:
    running = DemoTracker(org).start()
    port = running.port
    running.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_fault_plan_fails_the_nth_request_to_a_path(org: DemoOrganisation, session: requests.Session) -> None:
    plan = FaultPlan(
        [
            FaultRule(SEARCH, 2, "rate_limit"),
            FaultRule(SEARCH, 3, "unavailable"),
            FaultRule(SEARCH, 4, "malformed"),
            FaultRule(SEARCH, 5, "truncated"),
            FaultRule("/rest/api/3/myself", 1, "slow", delay_seconds=1.0),
            FaultRule("/rest/api/3/status", 1, "bad_gateway"),
        ]
    )
    with DemoTracker(org, faults=plan) as running:
        url, params = f"{running.url}{SEARCH}", {"jql": ALL, "maxResults": 100}
        assert session.get(url, params=params, timeout=10).status_code == 200
        throttled = session.get(url, params=params, timeout=10)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"
        assert session.get(url, params=params, timeout=10).status_code == 503
        malformed = session.get(url, params=params, timeout=10)
        assert malformed.status_code == 200
        with pytest.raises(requests.exceptions.JSONDecodeError):
            malformed.json()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            session.get(url, params=params, timeout=10)
        assert session.get(url, params=params, timeout=10).status_code == 200
        with pytest.raises(requests.Timeout):
            session.get(f"{running.url}/rest/api/3/myself", timeout=0.3)
        assert session.get(f"{running.url}/rest/api/3/myself", timeout=10).status_code == 200
        assert session.get(f"{running.url}/rest/api/3/status", timeout=10).status_code == 502
        assert plan.count(SEARCH) == 6


def test_a_1m_issue_org_serves_a_page_quickly_without_materialising(session: requests.Session) -> None:
    org = DemoOrganisation(seed=7, issues=1_000_000, anchor=ANCHOR)
    with DemoTracker(org) as running:
        url = f"{running.url}{SEARCH}"
        first = session.get(
            url, params={"jql": ALL, "maxResults": 100, "expand": "changelog"}, timeout=30
        ).json()
        late_token = encode_page_token(999_950, ALL)
        late = session.get(
            url, params={"jql": ALL, "maxResults": 100, "nextPageToken": late_token}, timeout=30
        )
        recent = session.get(
            url, params={"jql": f'updated >= "{ANCHOR - timedelta(hours=2):%Y-%m-%d %H:%M}"'}
        )
    assert [issue["id"] for issue in first["issues"]] == [str(10000 + i) for i in range(100)]
    assert first["isLast"] is False
    late_page = late.json()
    assert [issue["id"] for issue in late_page["issues"]] == [
        str(10000 + i) for i in range(999_950, 1_000_000)
    ]
    assert late_page["isLast"] is True
    assert recent.status_code == 200
    assert recent.json()["issues"]
    # Memory-light by construction: only the issues actually served (plus a bounded cache) were ever built.
    assert org.plan.cache_info().currsize <= 4096


def test_id_only_search_serves_pages_of_5000_ids_without_fields(session: requests.Session) -> None:
    with DemoTracker(DemoOrganisation(seed=7, issues=6000, anchor=ANCHOR)) as running:
        page = session.get(
            f"{running.url}{SEARCH}", params={"jql": ALL, "maxResults": 5000, "fields": "id"}, timeout=30
        ).json()
    assert len(page["issues"]) == 5000
    assert page["isLast"] is False
    assert page["issues"][0] == {"id": "10000", "key": page["issues"][0]["key"], "fields": {}}


def test_a_deleted_issue_is_gone_from_search_and_the_issue_endpoint(
    org: DemoOrganisation, session: requests.Session
) -> None:
    with DemoTracker(org) as running:
        running.delete(org.key(3))
        ids = [issue["id"] for issue in _search_all(session, running.url, ALL)]
        answer = session.get(f"{running.url}/rest/api/3/issue/{org.key(3)}", timeout=10)
    assert org.issue_id(3) not in ids
    assert len(ids) == ISSUES - 1
    assert answer.status_code == 404


def test_datacenter_paging_skips_a_deleted_issue_without_losing_or_repeating_others(
    org: DemoOrganisation, session: requests.Session
) -> None:
    with DemoTracker(org, flavor="datacenter") as running:
        running.delete(org.key(120))
        issues: list[dict] = []
        while True:
            page = session.get(
                f"{running.url}/rest/api/2/search",
                params={"jql": ALL, "startAt": len(issues), "maxResults": 100},
                timeout=10,
            ).json()
            issues.extend(page["issues"])
            if not page["issues"] or len(issues) >= page["total"]:
                break
    assert page["total"] == ISSUES - 1
    assert [issue["id"] for issue in issues] == [org.issue_id(i) for i in range(ISSUES) if i != 120]


def test_approximate_count_counts_what_the_search_returns(
    tracker: DemoTracker, org: DemoOrganisation, session: requests.Session
) -> None:
    jql = f'project in ("{org.project_of(0).key}") AND updated >= "1970-01-01 00:00"'
    answer = session.post(f"{tracker.url}/rest/api/3/search/approximate-count", json={"jql": jql}, timeout=10)
    assert answer.json() == {"count": len(_search_all(session, tracker.url, jql))}
