"""The GitHub source against a loopback GitHub serving recorded panjf2000/ants payloads and crafted cases."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.github import GitHubError, github_source, parse_repositories
from ingestion.github.helpers import GitHubClient

from .git_mocks import GitHubMock, GitHubRepository, ants_repository, github_event, github_item

TOKEN = "ghp_s3cret-token-value"
ANTS = "panjf2000/ants"
ISSUES = "/repos/panjf2000/ants/issues"


def run(mock: GitHubMock, tmp_path: Path, repositories: str = ANTS, **kwargs: object) -> duckdb.DuckDBPyConnection:
    pipeline = dlt.pipeline(
        pipeline_name="test_github",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "raw.duckdb")),
        dataset_name="raw_github",
    )
    pipeline.run(github_source(access_token=TOKEN, repositories=repositories, base_url=mock.url, **kwargs))
    return duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)


def reopened_repository() -> GitHubRepository:
    """acme/app: one issue closed as completed, reopened, then closed as not planned."""
    issue = github_item(
        1, 1, "2026-01-05T09:00:00Z", "2026-01-09T10:00:00Z", state="closed",
        state_reason="not_planned", closed="2026-01-09T10:00:00Z", labels=("bug",),
    )
    timeline = [
        github_event(11, "labeled", "2026-01-05T09:00:01Z", label={"name": "bug"}),
        github_event(12, "closed", "2026-01-06T10:00:00Z", state_reason="completed"),
        github_event(13, "reopened", "2026-01-07T10:00:00Z"),
        github_event(14, "closed", "2026-01-09T10:00:00Z", state_reason="not_planned"),
        {"event": "commented", "id": 15, "created_at": "2026-01-08T10:00:00Z", "body": "noise"},
    ]
    return GitHubRepository([issue], {1: timeline})


def test_recorded_issues_and_pull_requests_land_flat_with_naive_utc_timestamps(tmp_path: Path) -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(mock, tmp_path)
    counts = connection.execute(
        "select count(*), count(*) filter (where is_pull_request), count(distinct id) from raw_github.items"
    ).fetchone()
    merged = connection.execute(
        "select created_at, merged_at, state, labels from raw_github.items where number = 41"
    ).fetchone()
    assert counts[0] == counts[2] > 42  # the recorded issues plus those embedded in recorded events
    assert counts[1] > 0
    assert merged == (datetime(2019, 8, 20, 3, 24, 27), datetime(2019, 8, 20, 10, 55, 19), "closed", '["enhancement"]')


def test_issue_events_and_reviews_land_as_timeline_rows_with_their_ids(tmp_path: Path) -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(mock, tmp_path)
    kinds = dict(connection.execute("select event_type, count(*) from raw_github.events group by all").fetchall())
    review = connection.execute(
        "select event_id, review_state, actor_login from raw_github.events"
        " where event_type = 'reviewed' order by created_at limit 1"
    ).fetchone()
    assert kinds["labeled"] == 18
    assert kinds["closed"] == 11  # 12 recorded, one of them twice with the same id: merged once
    assert kinds["reviewed"] == 13  # the reviews of #41; #51 and #53 are not among the recorded items
    assert "head_ref_force_pushed" not in kinds
    assert review[0].startswith("review-")
    assert review[1] is not None and review[2] is not None


def test_items_page_through_link_headers(tmp_path: Path) -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(mock, tmp_path, page_size=10)
        pages = [query.get("page") for query in mock.calls[ISSUES]]
    total = connection.execute("select count(*) from raw_github.items").fetchone()[0]
    assert len(pages) == -(-total // 10)
    assert pages[0] is None and pages[1] == ["2"]


def test_primary_rate_limit_waits_until_the_reset_then_succeeds() -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        reset = str(int(time.time()) + 1)
        mock.fail_next(
            ISSUES,
            [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, {"message": "API rate limit exceeded"})],
        )
        client = GitHubClient(access_token=TOKEN, base_url=mock.url)
        started = time.monotonic()
        first = next(client.pages(ISSUES, {"state": "all", "per_page": 5}))
        waited = time.monotonic() - started
    assert len(first) == 5
    assert waited >= 0.9
    assert len(mock.calls[ISSUES]) == 2


def test_secondary_rate_limit_honours_retry_after_and_does_not_use_up_attempts() -> None:
    waits: list[float] = []
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        mock.fail_next(ISSUES, [(429, {"Retry-After": "7"}, {"message": "secondary rate limit"})] * 3)
        client = GitHubClient(access_token=TOKEN, base_url=mock.url, max_attempts=2, sleep=waits.append)
        assert next(client.pages(ISSUES, {"per_page": 1}))
    assert waits == [7.0, 7.0, 7.0]


def test_forbidden_without_rate_limit_headers_is_a_credential_error_naming_the_setting() -> None:
    with GitHubMock() as mock:
        mock.fail_next(ISSUES, [(403, {"X-RateLimit-Remaining": "4999"}, {"message": "Resource not accessible"})])
        client = GitHubClient(access_token=TOKEN, base_url=mock.url)
        with pytest.raises(GitHubError, match="SOURCES__GITHUB__ACCESS_TOKEN") as raised:
            next(client.pages(ISSUES))
    assert TOKEN not in str(raised.value)


def test_server_errors_are_retried_with_backoff() -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        mock.fail_next(ISSUES, [(502, {}, {}), (503, {}, {})])
        client = GitHubClient(access_token=TOKEN, base_url=mock.url, backoff_seconds=0.01)
        assert next(client.pages(ISSUES, {"per_page": 2}))
    assert len(mock.calls[ISSUES]) == 3


def test_reopened_item_keeps_every_close_and_reopen_with_its_reason(tmp_path: Path) -> None:
    with GitHubMock().add("acme/app", reopened_repository()) as mock:
        connection = run(mock, tmp_path, repositories="acme/app")
    rows = connection.execute(
        "select event_type, state_reason from raw_github.events order by created_at"
    ).fetchall()
    assert rows == [("labeled", None), ("closed", "completed"), ("reopened", None), ("closed", "not_planned")]


def test_rerun_reads_since_the_cursor_minus_overlap_and_merges_without_duplicates(tmp_path: Path) -> None:
    repository = reopened_repository()
    with GitHubMock().add("acme/app", repository) as mock:
        run(mock, tmp_path, repositories="acme/app").close()
        repository.items[0]["updated_at"] = "2026-01-10T10:00:00Z"
        repository.timelines[1].append(github_event(16, "reopened", "2026-01-10T10:00:00Z"))
        connection = run(mock, tmp_path, repositories="acme/app")
        sinces = [query.get("since") for query in mock.calls["/repos/acme/app/issues"]]
    assert sinces == [None, ["2026-01-09T09:50:00Z"]]
    assert connection.execute("select count(*), count(distinct event_id) from raw_github.events").fetchone() == (5, 5)
    assert connection.execute("select count(*), max(updated_at) from raw_github.items").fetchone() == (
        1,
        datetime(2026, 1, 10, 10, 0),
    )


def test_repositories_must_be_owner_slash_repo() -> None:
    assert parse_repositories(" a/b, c/d ,") == ("a/b", "c/d")
    with pytest.raises(GitHubError, match="owner/repo"):
        parse_repositories("just-a-name")


def test_missing_token_names_the_setting() -> None:
    with pytest.raises(GitHubError, match="SOURCES__GITHUB__ACCESS_TOKEN"):
        GitHubClient(access_token=None)
