"""The demo tracker's GitHub repository and GitLab project: generated like its Jira, served like the APIs.

Each endpoint is called the way `ingestion.github` and `ingestion.gitlab` call it: pages followed through
GitHub's `Link` header and GitLab's `X-Next-Page`, incremental reads through `since` / `updated_after`, each
host's own token header. The last tests run the real sources against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
import requests

from ingestion.demo import DEMO_API_TOKEN, DEMO_EMAIL, DemoOrganisation, DemoTracker
from ingestion.demo.git_hosts import (
    GITHUB_REPOSITORY,
    GITLAB_PROJECT,
    GITLAB_PROJECT_ID,
    MAX_GIT_ISSUES,
    DemoGitHubRepository,
    DemoGitLabProject,
    demo_hosts,
    git_issues_for,
)
from ingestion.github import github_source
from ingestion.gitlab import gitlab_source

ANCHOR = datetime(2026, 6, 30, tzinfo=UTC)
JIRA_ISSUES = 900  # 60 issues per code host
GITHUB_ISSUES = f"/api/v3/repos/{GITHUB_REPOSITORY}/issues"
GITLAB_ISSUES = "/api/v4/projects/demo-group%2Fmobile-app/issues"
GITLAB_MERGE_REQUESTS = "/api/v4/projects/demo-group%2Fmobile-app/merge_requests"


@pytest.fixture(scope="module")
def tracker() -> Iterator[DemoTracker]:
    with DemoTracker(DemoOrganisation(seed=7, issues=JIRA_ISSUES, anchor=ANCHOR)) as running:
        yield running


@pytest.fixture
def github() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {DEMO_API_TOKEN}"
        yield session


@pytest.fixture
def gitlab() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["PRIVATE-TOKEN"] = DEMO_API_TOKEN
        yield session


def follow(session: requests.Session, url: str, params: dict[str, Any], *, gitlab: bool = False) -> list[Any]:
    """Every page, the way the sources walk them: GitHub by `Link: rel="next"`, GitLab by `X-Next-Page`."""
    rows: list[Any] = []
    for _ in range(1000):
        response = session.get(url, params=params, timeout=10)
        assert response.status_code == 200, response.text
        rows.extend(response.json())
        if gitlab:
            following = response.headers["X-Next-Page"]
            if not following:
                return rows
            params = {**params, "page": following}
        else:
            following = (response.links.get("next") or {}).get("url")
            if following is None:
                return rows
            url, params = following, {}
    raise AssertionError("paging never ended")


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- generation --------------------------------------------------------------------------------------------


def test_each_host_gets_a_fifteenth_of_the_jira_issues_up_to_a_cap() -> None:
    assert git_issues_for(3000) == 200
    assert git_issues_for(10) == 0
    assert git_issues_for(10_000_000) == MAX_GIT_ISSUES


def test_the_same_seed_and_anchor_generate_identical_hosts_and_another_seed_does_not() -> None:
    def fingerprint(seed: int) -> list[tuple]:
        repository, project = demo_hosts(seed, JIRA_ISSUES, ANCHOR)
        return [
            (item.kind, item.number, item.title, item.updated_ms, item.labels, len(item.events))
            for item in (*repository.items, *project.items)
        ]

    assert fingerprint(7) == fingerprint(7)
    assert fingerprint(7) != fingerprint(8)


def test_nothing_happens_after_the_anchor_and_the_newest_issue_is_opened_on_its_eve() -> None:
    anchor_ms = int(ANCHOR.timestamp() * 1000)
    for host in (DemoGitHubRepository(7, 60, ANCHOR), DemoGitLabProject(7, 60, ANCHOR)):
        events = [event for item in host.items for event in item.events]
        assert max(event.at_ms for event in events) <= anchor_ms
        assert all(event.at_ms >= item.created_ms for item in host.items for event in item.events)
        newest = max(item.created_ms for item in host.items if item.kind == "issue")
        assert anchor_ms - 10 * 3_600_000 <= newest < anchor_ms


def test_issues_and_pull_requests_share_github_numbers_while_gitlab_counts_each_kind() -> None:
    repository, project = demo_hosts(7, JIRA_ISSUES, ANCHOR)
    assert [item.number for item in repository.items] == list(range(1, len(repository.items) + 1))
    for kind in ("issue", "merge_request"):
        iids = [item.number for item in project.items if item.kind == kind]
        assert iids == list(range(1, len(iids) + 1))


def test_the_demo_covers_every_lifecycle_the_flow_model_reads() -> None:
    repository, project = demo_hosts(7, 3000, ANCHOR)
    github_kinds = {event.kind for item in repository.items for event in item.events}
    assert {
        "labeled",
        "unlabeled",
        "review_requested",
        "reviewed",
        "closed",
        "reopened",
        "merged",
    } <= github_kinds
    reasons = {item.state_reason for item in repository.items if item.is_issue and item.state == "closed"}
    assert reasons == {"completed", "not_planned"}
    assert {
        event.review_state for item in repository.items for event in item.events if event.review_state
    } == {
        "approved",
        "changes_requested",
    }
    assert any(
        item.merged_ms is None and item.state == "closed" for item in repository.items if not item.is_issue
    )
    gitlab_labels = {event.label for item in project.items for event in item.events if event.label}
    assert {"workflow::ready for development", "workflow::in dev", "workflow::in review"} <= gitlab_labels
    assert {"workflow::verification", "blocked"} <= gitlab_labels
    assert {"reopened", "merged", "closed"} <= {event.kind for item in project.items for event in item.events}


# ---- GitHub over HTTP --------------------------------------------------------------------------------------


def test_github_issues_page_through_link_headers_and_list_each_item_once(
    tracker: DemoTracker, github: requests.Session
) -> None:
    first = github.get(f"{tracker.url}{GITHUB_ISSUES}", params={"state": "all", "per_page": 25}, timeout=10)
    assert set(first.links) == {"next", "last"}
    items = follow(
        github, f"{tracker.url}{GITHUB_ISSUES}", {"state": "all", "sort": "updated", "per_page": 25}
    )
    numbers = [item["number"] for item in items]
    assert sorted(numbers) == list(range(1, len(tracker.git.github.items) + 1))
    assert len(items) > 25 * 3
    assert {"pull_request" in item for item in items} == {True, False}


def test_github_lists_open_items_newest_first_unless_asked_otherwise(
    tracker: DemoTracker, github: requests.Session
) -> None:
    items = follow(github, f"{tracker.url}{GITHUB_ISSUES}", {"per_page": 100})
    assert items
    assert {item["state"] for item in items} == {"open"}
    created = [item["created_at"] for item in items]
    assert created == sorted(created, reverse=True)


def test_github_since_keeps_the_items_updated_at_or_after_it_in_updated_order(
    tracker: DemoTracker, github: requests.Session
) -> None:
    everything = follow(github, f"{tracker.url}{GITHUB_ISSUES}", {"state": "all", "per_page": 100})
    pivot = sorted(item["updated_at"] for item in everything)[len(everything) // 2]
    params = {"state": "all", "sort": "updated", "direction": "asc", "since": pivot, "per_page": 10}
    recent = follow(github, f"{tracker.url}{GITHUB_ISSUES}", params)
    assert {item["number"] for item in recent} == {
        item["number"] for item in everything if item["updated_at"] >= pivot
    }
    assert recent[0]["updated_at"] == pivot
    assert [item["updated_at"] for item in recent] == sorted(item["updated_at"] for item in recent)


def test_github_timeline_pages_the_lifecycle_events_of_a_pull_request_oldest_first(
    tracker: DemoTracker, github: requests.Session
) -> None:
    pull = next(
        item
        for item in tracker.git.github.items
        if item.kind == "pull_request" and item.merged_ms is not None
    )
    url = f"{tracker.url}{GITHUB_ISSUES}/{pull.number}/timeline"
    events = follow(github, url, {"per_page": 1})
    kinds = [event["event"] for event in events]
    assert kinds[0] == "review_requested"
    assert kinds[-2:] == ["merged", "closed"]
    assert "reviewed" in kinds
    moments = [event.get("created_at") or event["submitted_at"] for event in events]
    assert moments == sorted(moments)


def test_a_github_issue_is_cross_referenced_by_the_pull_request_that_closes_it(
    tracker: DemoTracker, github: requests.Session
) -> None:
    issue = next(
        item
        for item in tracker.git.github.items
        if item.is_issue and item.state_reason == "completed" and len(item.events) < 30
    )
    events = follow(github, f"{tracker.url}{GITHUB_ISSUES}/{issue.number}/timeline", {"per_page": 100})
    reference = next(event for event in events if event["event"] == "cross-referenced")
    closed = [event for event in events if event["event"] == "closed"]
    assert "pull_request" in reference["source"]["issue"]
    assert closed[-1]["state_reason"] == "completed"
    assert [event["label"]["name"] for event in events if event["event"] == "labeled"][
        -1
    ] == "status: in review"


def test_github_refuses_requests_without_its_token_in_githubs_shape(tracker: DemoTracker) -> None:
    url = f"{tracker.url}{GITHUB_ISSUES}"
    anonymous = requests.get(url, timeout=10)
    basic = requests.get(url, auth=(DEMO_EMAIL, DEMO_API_TOKEN), timeout=10)
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    classic = requests.get(url, headers={"Authorization": f"token {DEMO_API_TOKEN}"}, timeout=10)
    assert [anonymous.status_code, basic.status_code, wrong.status_code] == [401, 401, 401]
    assert anonymous.json()["message"] == "Bad credentials"
    assert classic.status_code == 200


def test_an_unknown_github_repository_or_item_is_a_404(
    tracker: DemoTracker, github: requests.Session
) -> None:
    missing_repository = github.get(f"{tracker.url}/api/v3/repos/acme/nope/issues", timeout=10)
    missing_item = github.get(f"{tracker.url}{GITHUB_ISSUES}/99999/timeline", timeout=10)
    assert (missing_repository.status_code, missing_item.status_code) == (404, 404)
    assert missing_repository.json()["message"] == "Not Found"


def test_a_malformed_github_since_is_rejected(tracker: DemoTracker, github: requests.Session) -> None:
    response = github.get(f"{tracker.url}{GITHUB_ISSUES}", params={"since": "yesterday"}, timeout=10)
    assert response.status_code == 422


# ---- GitLab over HTTP --------------------------------------------------------------------------------------


def test_gitlab_pages_follow_x_next_page_which_is_empty_on_the_last_page(
    tracker: DemoTracker, gitlab: requests.Session
) -> None:
    url = f"{tracker.url}{GITLAB_ISSUES}"
    first = gitlab.get(url, params={"per_page": 7}, timeout=10)
    total = int(first.headers["X-Total"])
    last_page = int(first.headers["X-Total-Pages"])
    last = gitlab.get(url, params={"per_page": 7, "page": last_page}, timeout=10)
    issues = follow(gitlab, url, {"scope": "all", "per_page": 7}, gitlab=True)
    assert (first.headers["X-Page"], first.headers["X-Next-Page"]) == ("1", "2")
    assert last.headers["X-Next-Page"] == ""
    assert "next" not in last.links
    assert "next" in first.links
    assert sorted(issue["iid"] for issue in issues) == list(range(1, total + 1))
    assert {issue["references"]["full"].split("#")[0] for issue in issues} == {GITLAB_PROJECT}


def test_gitlab_updated_after_keeps_the_items_updated_at_or_after_it(
    tracker: DemoTracker, gitlab: requests.Session
) -> None:
    url = f"{tracker.url}{GITLAB_MERGE_REQUESTS}"
    everything = follow(gitlab, url, {"per_page": 100}, gitlab=True)
    pivot = sorted(item["updated_at"] for item in everything)[len(everything) // 3]
    params = {"order_by": "updated_at", "sort": "asc", "updated_after": pivot, "per_page": 5}
    recent = follow(gitlab, url, params, gitlab=True)
    assert [item["iid"] for item in recent] == [
        item["iid"]
        for item in sorted(everything, key=lambda item: (item["updated_at"], item["iid"]))
        if item["updated_at"] >= pivot
    ]
    assert {item["state"] for item in everything} <= {"opened", "merged", "closed"}
    assert all(item["merged_at"] for item in everything if item["state"] == "merged")


def test_gitlab_finds_the_project_by_its_encoded_path_or_its_id(
    tracker: DemoTracker, gitlab: requests.Session
) -> None:
    by_path = gitlab.get(f"{tracker.url}{GITLAB_ISSUES}", timeout=10)
    by_id = gitlab.get(f"{tracker.url}/api/v4/projects/{GITLAB_PROJECT_ID}/issues", timeout=10)
    unknown = gitlab.get(f"{tracker.url}/api/v4/projects/acme%2Fnope/issues", timeout=10)
    assert by_path.json() == by_id.json() != []
    assert (unknown.status_code, unknown.json()) == (404, {"message": "404 Project Not Found"})


def test_gitlab_label_events_swap_scoped_labels_removal_first_and_state_events_close(
    tracker: DemoTracker, gitlab: requests.Session
) -> None:
    closed = next(item for item in tracker.git.gitlab.items if item.is_issue and item.state == "closed")
    base = f"{tracker.url}{GITLAB_ISSUES}/{closed.number}"
    labels = follow(gitlab, f"{base}/resource_label_events", {"per_page": 2}, gitlab=True)
    states = follow(gitlab, f"{base}/resource_state_events", {}, gitlab=True)
    into_dev = next(event for event in labels if event["label"]["name"] == "workflow::in dev")
    same_instant = [event for event in labels if event["created_at"] == into_dev["created_at"]]
    assert [(event["action"], event["label"]["name"]) for event in same_instant] == [
        ("remove", "workflow::ready for development"),
        ("add", "workflow::in dev"),
    ]
    assert states[-1]["state"] == "closed"
    assert states[-1]["resource_type"] == "Issue"
    assert [event["id"] for event in labels] == sorted(event["id"] for event in labels)


def test_gitlab_takes_a_private_token_or_a_bearer_token_and_refuses_anything_else(
    tracker: DemoTracker,
) -> None:
    url = f"{tracker.url}{GITLAB_ISSUES}"
    anonymous = requests.get(url, timeout=10)
    wrong = requests.get(url, headers={"PRIVATE-TOKEN": "nope"}, timeout=10)
    bearer = requests.get(url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}, timeout=10)
    assert (anonymous.status_code, wrong.status_code, bearer.status_code) == (401, 401, 200)
    assert anonymous.json() == {"message": "401 Unauthorized"}


def test_the_jira_api_still_takes_only_jira_credentials(tracker: DemoTracker) -> None:
    url = f"{tracker.url}/rest/api/3/myself"
    with_git_token = requests.get(url, headers={"PRIVATE-TOKEN": DEMO_API_TOKEN}, timeout=10)
    with_basic = requests.get(url, auth=(DEMO_EMAIL, DEMO_API_TOKEN), timeout=10)
    assert (with_git_token.status_code, with_basic.status_code) == (401, 200)
    assert "errorMessages" in with_git_token.json()


def test_item_links_use_the_browse_url_so_they_do_not_change_with_the_port(gitlab: requests.Session) -> None:
    organisation = DemoOrganisation(seed=7, issues=JIRA_ISSUES, anchor=ANCHOR)
    with DemoTracker(organisation, browse_url="http://127.0.0.1:8765") as running:
        issue = gitlab.get(f"{running.url}{GITLAB_ISSUES}", params={"per_page": 1}, timeout=10).json()[0]
    assert issue["web_url"] == f"http://127.0.0.1:8765/{GITLAB_PROJECT}/-/issues/{issue['iid']}"


# ---- the real sources --------------------------------------------------------------------------------------


def load(source: Any, tmp_path: Path, dataset: str) -> duckdb.DuckDBPyConnection:
    pipeline = dlt.pipeline(
        pipeline_name=f"demo_{dataset}",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "raw.duckdb")),
        dataset_name=dataset,
    )
    pipeline.run(source)
    return duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)


def test_the_github_source_lands_every_demo_item_and_a_rerun_merges_without_duplicates(
    tracker: DemoTracker, tmp_path: Path
) -> None:
    def source() -> Any:
        return github_source(
            access_token=tracker.api_token,
            repositories=tracker.github_repository,
            base_url=tracker.github_url,
        )

    counts = []
    for _ in range(2):
        with load(source(), tmp_path, "raw_github") as connection:
            counts.append(
                connection.execute(
                    "select (select count(*) from raw_github.items),"
                    " (select count(*) from raw_github.events),"
                    " (select count(distinct event_type) from raw_github.events)"
                ).fetchone()
            )
    items = len(tracker.git.github.items)
    assert counts[0] == counts[1]
    assert counts[0][0] == items
    assert counts[0][1] > 4 * items // 2
    assert counts[0][2] >= 8


def test_the_gitlab_source_lands_issues_and_merge_requests_with_their_resource_events(
    tracker: DemoTracker, tmp_path: Path
) -> None:
    source = gitlab_source(
        access_token=tracker.api_token, projects=tracker.gitlab_project, base_url=tracker.gitlab_url
    )
    with load(source, tmp_path, "raw_gitlab") as connection:
        kinds = dict(
            connection.execute("select kind, count(*) from raw_gitlab.items group by kind").fetchall()
        )
        resources = dict(
            connection.execute(
                "select resource, count(*) from raw_gitlab.events group by resource"
            ).fetchall()
        )
        paths = connection.execute("select distinct project_path from raw_gitlab.items").fetchall()
    project = tracker.git.gitlab.items
    assert kinds == {
        "issue": sum(item.is_issue for item in project),
        "merge_request": sum(not item.is_issue for item in project),
    }
    assert resources["state"] > 0
    assert resources["label"] > resources["state"]
    assert paths == [(GITLAB_PROJECT,)]


def test_updated_since_a_day_before_the_anchor_is_a_short_list(
    tracker: DemoTracker, github: requests.Session
) -> None:
    since = (ANCHOR - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = follow(github, f"{tracker.url}{GITHUB_ISSUES}", {"state": "all", "since": since})
    assert 1 <= len(recent) < len(tracker.git.github.items) // 4
    assert all(stamp(item["updated_at"]) >= ANCHOR - timedelta(days=1) for item in recent)
