"""The GitLab source against a loopback GitLab serving recorded gitlab-data/snowflake_spend payloads."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.gitlab import GitLabError, gitlab_source, parse_projects
from ingestion.gitlab.helpers import GitLabClient

from .git_mocks import GitLabMock, GitLabProject, snowflake_spend_project

TOKEN = "glpat-s3cret-token-value"
PATH = "gitlab-data/snowflake_spend"
ISSUES = "/api/v4/projects/gitlab-data/snowflake_spend/issues"


def run(
    mock: GitLabMock, tmp_path: Path, projects: str = PATH, **kwargs: object
) -> duckdb.DuckDBPyConnection:
    pipeline = dlt.pipeline(
        pipeline_name="test_gitlab",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "raw.duckdb")),
        dataset_name="raw_gitlab",
    )
    pipeline.run(gitlab_source(access_token=TOKEN, projects=projects, base_url=mock.url, **kwargs))
    return duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)


def reopened_project() -> GitLabProject:
    """acme/app: one issue moved through scoped workflow labels, closed, reopened and closed again."""
    issue = {
        "id": 501,
        "iid": 1,
        "project_id": 77,
        "title": "Reopened",
        "state": "closed",
        "created_at": "2026-01-05T09:00:00.000Z",
        "updated_at": "2026-01-09T10:00:00.000Z",
        "closed_at": "2026-01-09T10:00:00.000Z",
        "labels": ["workflow::in review"],
        "web_url": "https://gitlab.example.com/acme/app/-/issues/1",
        "references": {"full": "acme/app#1"},
        "issue_type": "issue",
    }

    def label(event_id: int, action: str, name: str, at: str) -> dict:
        return {
            "id": event_id,
            "action": action,
            "created_at": at,
            "label": {"id": 1, "name": name},
            "user": {"username": "ann"},
        }

    def state(event_id: int, value: str, at: str) -> dict:
        return {"id": event_id, "state": value, "created_at": at, "user": {"username": "ann"}}

    return GitLabProject(
        project_id=77,
        path="acme/app",
        issues=[issue],
        merge_requests=[],
        state_events={
            ("issues", 1): [
                state(3, "closed", "2026-01-06T10:00:00.000Z"),
                state(4, "reopened", "2026-01-07T10:00:00.000Z"),
                state(5, "closed", "2026-01-09T10:00:00.000Z"),
            ]
        },
        label_events={
            ("issues", 1): [
                label(1, "add", "workflow::in dev", "2026-01-05T12:00:00.000Z"),
                label(2, "remove", "workflow::in dev", "2026-01-08T12:00:00.000Z"),
                label(6, "add", "workflow::in review", "2026-01-08T12:00:00.000Z"),
            ]
        },
    )


def test_recorded_issues_and_merge_requests_land_with_separate_id_spaces(tmp_path: Path) -> None:
    with GitLabMock().add(snowflake_spend_project()) as mock:
        connection = run(mock, tmp_path)
    kinds = dict(connection.execute("select kind, count(*) from raw_gitlab.items group by all").fetchall())
    merged = connection.execute(
        "select id, project_path, reference, merged_at, state from raw_gitlab.items"
        " where kind = 'merge_request' and iid = 1"
    ).fetchone()
    assert kinds == {"issue": 16, "merge_request": 18}
    assert merged == (
        "merge_request/32348491",
        PATH,
        "gitlab-data/snowflake_spend!1",
        datetime(2019, 6, 28, 14, 32, 6, 192000),
        "merged",
    )


def test_an_issue_moved_to_another_project_lands_with_where_it_went(tmp_path: Path) -> None:
    """The recorded project has one issue moved out (GitLab closed it here); staging drops it by this id."""
    with GitLabMock().add(snowflake_spend_project()) as mock:
        connection = run(mock, tmp_path)
    moved = connection.execute(
        "select state, moved_to_id from raw_gitlab.items where moved_to_id is not null"
    ).fetchall()
    assert moved == [("closed", 54114370)]


def test_an_item_deleted_after_it_was_listed_is_left_out_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = f"/api/v4/projects/{PATH}/issues/1/resource_state_events"
    with GitLabMock().add(snowflake_spend_project()) as mock:
        mock.fail_next(events, [(404, {}, {"message": "404 Issue Not Found"})])
        connection = run(mock, tmp_path)
    issues = connection.execute(
        "select count(*), count(*) filter (where iid = 1) from raw_gitlab.items where kind = 'issue'"
    ).fetchone()
    assert issues == (15, 0)
    assert f"GitLab {PATH} issues 1 is gone since it was listed" in caplog.text


def test_scoped_labels_and_state_events_land_as_event_rows(tmp_path: Path) -> None:
    with GitLabMock().add(snowflake_spend_project()) as mock:
        connection = run(mock, tmp_path)
    labels = connection.execute(
        "select label_name from raw_gitlab.events where item_id = 'issue/108497826' and resource = 'label'"
        " order by label_name"
    ).fetchall()
    states = dict(
        connection.execute(
            "select event_type, count(*) from raw_gitlab.events where resource = 'state' group by all"
        ).fetchall()
    )
    assert ("workflow::5 - development",) in labels
    assert states == {"closed": 15, "merged": 10}


def test_pages_follow_x_next_page(tmp_path: Path) -> None:
    with GitLabMock().add(snowflake_spend_project()) as mock:
        run(mock, tmp_path, page_size=5)
        pages = [query.get("page") for query in mock.calls[ISSUES]]
    assert pages == [None, ["2"], ["3"], ["4"]]


def test_progress_reports_items_read_after_every_page(tmp_path: Path) -> None:
    reports: list[int] = []
    with GitLabMock().add(snowflake_spend_project()) as mock:
        connection = run(
            mock, tmp_path, page_size=5, progress=lambda done, _elapsed, _total: reports.append(done)
        )
    total = connection.execute("select count(*) from raw_gitlab.items").fetchone()[0]
    assert reports == sorted(reports)
    assert reports[-1] == total, "issues and merge requests together"
    assert len(reports) >= 4, "one report per page of issues and of merge requests"


def test_project_ids_work_as_well_as_paths(tmp_path: Path) -> None:
    with GitLabMock().add(snowflake_spend_project()) as mock:
        connection = run(mock, tmp_path, projects="12345678")
    assert connection.execute("select distinct project_path from raw_gitlab.items").fetchall() == [(PATH,)]


def test_each_item_records_the_configured_entry_it_was_read_under_and_the_run_lists_its_entries(
    tmp_path: Path,
) -> None:
    with GitLabMock().add(snowflake_spend_project()).add(reopened_project()) as mock:
        run(mock, tmp_path, projects="12345678,acme/app").close()
        connection = run(mock, tmp_path, projects="12345678")
    assert connection.execute("select list(project) from raw_gitlab.project_scope").fetchone() == (
        ["12345678"],
    )
    # acme/app's items stay landed; staging leaves them out, since no entry of the scope names them.
    assert connection.execute(
        "select configured_project, project_path from raw_gitlab.items group by all order by all"
    ).fetchall() == [("12345678", PATH), ("acme/app", "acme/app")]


def test_rate_limit_honours_retry_after_then_ratelimit_reset() -> None:
    waits: list[float] = []
    with GitLabMock().add(snowflake_spend_project()) as mock:
        reset = str(int(time.time()) + 30)
        mock.fail_next(ISSUES, [(429, {"Retry-After": "3"}, {}), (429, {"RateLimit-Reset": reset}, {})])
        client = GitLabClient(access_token=TOKEN, base_url=mock.url, sleep=waits.append)
        assert next(client.pages("/projects/gitlab-data%2Fsnowflake_spend/issues", {"per_page": 2}))
    assert waits[0] == 3.0
    assert 25 <= waits[1] <= 32


def test_reopened_issue_keeps_both_closes_and_label_swaps(tmp_path: Path) -> None:
    with GitLabMock().add(reopened_project()) as mock:
        connection = run(mock, tmp_path, projects="acme/app")
    rows = connection.execute(
        "select event_type, coalesce(label_name, state) from raw_gitlab.events order by created_at, event_id"
    ).fetchall()
    assert rows == [
        ("labeled", "workflow::in dev"),
        ("closed", "closed"),
        ("reopened", "reopened"),
        ("unlabeled", "workflow::in dev"),
        ("labeled", "workflow::in review"),
        ("closed", "closed"),
    ]


def test_rerun_asks_for_items_updated_after_the_cursor_minus_overlap(tmp_path: Path) -> None:
    with GitLabMock().add(reopened_project()) as mock:
        run(mock, tmp_path, projects="acme/app").close()
        connection = run(mock, tmp_path, projects="acme/app")
        afters = [query.get("updated_after") for query in mock.calls["/api/v4/projects/acme/app/issues"]]
    assert afters == [None, ["2026-01-09T09:50:00Z"]]
    assert connection.execute("select count(*) from raw_gitlab.events").fetchone()[0] == 6


def test_rejected_token_names_the_setting_and_not_the_token() -> None:
    with GitLabMock() as mock:
        mock.fail_next(ISSUES, [(401, {}, {"message": "401 Unauthorized"})])
        client = GitLabClient(access_token=TOKEN, base_url=mock.url)
        with pytest.raises(GitLabError, match="SOURCES__GITLAB__ACCESS_TOKEN") as raised:
            next(client.pages("/projects/gitlab-data%2Fsnowflake_spend/issues"))
    assert TOKEN not in str(raised.value)


def test_projects_accept_ids_and_paths() -> None:
    assert parse_projects("12, group/sub/project ,") == ("12", "group/sub/project")
