"""The GitHub source against a loopback GitHub serving recorded panjf2000/ants payloads and crafted cases."""

from __future__ import annotations

import time
from datetime import UTC, datetime
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


def run(
    mock: GitHubMock, tmp_path: Path, repositories: str = ANTS, **kwargs: object
) -> duckdb.DuckDBPyConnection:
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
        1,
        1,
        "2026-01-05T09:00:00Z",
        "2026-01-09T10:00:00Z",
        state="closed",
        state_reason="not_planned",
        closed="2026-01-09T10:00:00Z",
        labels=("bug",),
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
    assert merged == (
        datetime(2019, 8, 20, 3, 24, 27),
        datetime(2019, 8, 20, 10, 55, 19),
        "closed",
        '["enhancement"]',
    )


def test_issue_events_and_reviews_land_as_timeline_rows_with_their_ids(tmp_path: Path) -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(mock, tmp_path)
    kinds = dict(
        connection.execute("select event_type, count(*) from raw_github.events group by all").fetchall()
    )
    review = connection.execute(
        "select event_id, review_state, actor_login from raw_github.events"
        " where event_type = 'reviewed' order by created_at limit 1"
    ).fetchone()
    assert kinds["labeled"] == 18
    assert kinds["closed"] == 11  # 12 recorded, one of them twice with the same id: merged once
    assert (
        kinds["reviewed"] == 12
    )  # 13 recorded reviews of #41 (one twice); #51 and #53 are not recorded items
    assert "head_ref_force_pushed" not in kinds
    assert review[0].startswith("review-")
    assert review[1:] == ("commented", "choleraehyq")


def test_items_page_through_link_headers(tmp_path: Path) -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(mock, tmp_path, page_size=10)
        pages = [query.get("page") for query in mock.calls[ISSUES]]
    total = connection.execute("select count(*) from raw_github.items").fetchone()[0]
    assert len(pages) == -(-total // 10)
    assert pages[:2] == [None, ["2"]]


def test_progress_reports_items_read_after_every_page_without_a_total(tmp_path: Path) -> None:
    reports: list[tuple[int, int | None]] = []
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        connection = run(
            mock, tmp_path, page_size=10, progress=lambda done, _elapsed, total: reports.append((done, total))
        )
        pages = len(mock.calls[ISSUES])
    total = connection.execute("select count(*) from raw_github.items").fetchone()[0]
    assert len(reports) == pages
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert reports[-1] == (total, None), "GitHub gives no total, so no time left can be estimated"


def test_primary_rate_limit_waits_until_the_reset_then_succeeds() -> None:
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        reset = str(int(time.time()) + 1)
        mock.fail_next(
            ISSUES,
            [
                (
                    403,
                    {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                    {"message": "API rate limit exceeded"},
                )
            ],
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


def test_a_secondary_rate_limit_said_only_in_the_message_waits_a_minute_then_succeeds() -> None:
    """GitHub: a secondary limit comes as 403 or 429 with a message saying so, and without `Retry-After` the
    client should wait at least a minute; it is not a credential error."""
    waits: list[float] = []
    limited = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    with GitHubMock().add(ANTS, ants_repository()) as mock:
        mock.fail_next(ISSUES, [(403, {"X-RateLimit-Remaining": "4990"}, limited)])
        client = GitHubClient(access_token=TOKEN, base_url=mock.url, sleep=waits.append)
        assert next(client.pages(ISSUES, {"per_page": 1}))
    assert waits == [60.0]


def test_forbidden_without_rate_limit_headers_is_a_credential_error_naming_the_setting() -> None:
    with GitHubMock() as mock:
        mock.fail_next(
            ISSUES, [(403, {"X-RateLimit-Remaining": "4999"}, {"message": "Resource not accessible"})]
        )
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
    assert connection.execute(
        "select count(*), count(distinct event_id) from raw_github.events"
    ).fetchone() == (5, 5)
    assert connection.execute("select count(*), max(updated_at) from raw_github.items").fetchone() == (
        1,
        datetime(2026, 1, 10, 10, 0),
    )


class _UpdatedWhileListed(GitHubMock):
    """Serves the item list by page number, and updates an item of the first page once that page is served
    (someone comments on it while the run reads its timeline), which moves the item in the list."""

    def __init__(self, bumped_to: str) -> None:
        super().__init__()
        self.bumped_to = bumped_to
        self.bumped: int | None = None

    def _issues(self, match, query):
        answer = super()._issues(match, query)
        if self.bumped is None and (query.get("page") or ["1"]) == ["1"]:
            first_page_item = answer[2][-1]
            first_page_item["updated_at"] = self.bumped_to
            self.bumped = first_page_item["number"]
        return answer


def test_an_item_updated_while_the_list_is_paged_costs_no_other_item(tmp_path: Path) -> None:
    """Paged by number, an item that moves in the list must not shift an unread item past the next page; the
    moved item's new version is read by the next run."""
    items = [
        github_item(number, number, "2026-01-01T09:00:00Z", f"2026-01-0{number}T10:00:00Z")
        for number in range(1, 6)
    ]
    with _UpdatedWhileListed(bumped_to="2026-01-09T10:00:00Z").add(
        "acme/app", GitHubRepository(items, {})
    ) as mock:
        run(mock, tmp_path, repositories="acme/app", page_size=2).close()
        connection = run(mock, tmp_path, repositories="acme/app", page_size=2)
        bumped = mock.bumped
    assert connection.execute("select list(number order by number) from raw_github.items").fetchone()[0] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert connection.execute(
        "select updated_at from raw_github.items where number = ?", [bumped]
    ).fetchone()[0] == datetime(2026, 1, 9, 10, 0)


def test_an_item_deleted_after_it_was_listed_is_left_out_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """GitHub answers 410 for a deleted issue's timeline (404 for one transferred): the run must not fail on
    it, nor blame the repository setting."""
    items = [
        github_item(number, number, "2026-01-01T09:00:00Z", f"2026-01-0{number}T10:00:00Z")
        for number in range(1, 4)
    ]
    with GitHubMock().add("acme/app", GitHubRepository(items, {})) as mock:
        mock.fail_next(
            "/repos/acme/app/issues/2/timeline", [(410, {}, {"message": "This issue was deleted"})]
        )
        connection = run(mock, tmp_path, repositories="acme/app")
    landed = connection.execute("select list(number order by number) from raw_github.items").fetchone()[0]
    assert landed == [1, 3]
    assert "acme/app#2 is gone since it was listed" in caplog.text


def test_a_repository_that_does_not_exist_still_names_the_setting(tmp_path: Path) -> None:
    with GitHubMock() as mock, pytest.raises(Exception, match="SOURCES__GITHUB__REPOSITORIES"):
        run(mock, tmp_path, repositories="acme/missing")


def test_each_run_replaces_the_repository_scope_and_keeps_the_items_of_repositories_dropped_from_it(
    tmp_path: Path,
) -> None:
    with GitHubMock().add(ANTS, ants_repository()).add("acme/app", reopened_repository()) as mock:
        run(mock, tmp_path, repositories=f"{ANTS},acme/app").close()
        connection = run(mock, tmp_path, repositories="acme/app")
    assert connection.execute("select list(repository) from raw_github.repository_scope").fetchone() == (
        ["acme/app"],
    )
    assert connection.execute(
        "select list(distinct repository order by repository) from raw_github.items"
    ).fetchone() == (["acme/app", ANTS],)


def test_a_source_with_no_repositories_empties_the_scope_without_calling_github(tmp_path: Path) -> None:
    with GitHubMock().add("acme/app", reopened_repository()) as mock:
        run(mock, tmp_path, repositories="acme/app").close()
        calls = sum(len(queries) for queries in mock.calls.values())
        connection = run(mock, tmp_path, repositories="")
        assert sum(len(queries) for queries in mock.calls.values()) == calls
    assert connection.execute("select count(*) from raw_github.repository_scope").fetchone() == (0,)
    assert connection.execute("select count(*) from raw_github.items").fetchone() == (1,)


def test_repositories_must_be_owner_slash_repo() -> None:
    assert parse_repositories(" a/b, c/d ,") == ("a/b", "c/d")
    with pytest.raises(GitHubError, match="owner/repo"):
        parse_repositories("just-a-name")


def test_missing_token_names_the_setting() -> None:
    with pytest.raises(GitHubError, match="SOURCES__GITHUB__ACCESS_TOKEN"):
        GitHubClient(access_token=None)


# --- one warehouse, three trackers: Jira (demo tracker), GitHub and GitLab (recorded payloads) -----------

AS_OF = "2026-06-30 12:00:00"
ANCHOR = datetime(2026, 6, 30, tzinfo=UTC)


def _load(source: object, warehouse: Path, pipelines: Path, dataset: str) -> None:
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    pipeline = dlt.pipeline(
        pipeline_name=f"multi_{dataset}",
        pipelines_dir=str(pipelines),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=dataset,
    )
    pipeline.run(source)


@pytest.fixture(scope="module")
def multi_tool_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw tables of all three sources loaded through their real dlt sources, then one `dbt build`."""
    import os
    import subprocess
    import sys

    from ingestion.demo import DemoOrganisation, DemoTracker
    from ingestion.gitlab import gitlab_source
    from ingestion.jira import jira_source

    from .git_mocks import GitLabMock, snowflake_spend_project
    from .test_gitlab_source import reopened_project

    root = tmp_path_factory.mktemp("multi_tool")
    warehouse, pipelines = root / "vsm.duckdb", root / "pipelines"
    with DemoTracker(DemoOrganisation(issues=50, anchor=ANCHOR)) as tracker:
        _load(
            jira_source(base_url=tracker.url, email=tracker.email, api_token=tracker.api_token),
            warehouse,
            pipelines,
            "raw_jira",
        )
    with GitHubMock().add(ANTS, ants_repository()).add("acme/app", reopened_repository()) as mock:
        _load(
            github_source(access_token=TOKEN, repositories=f"{ANTS},acme/app", base_url=mock.url),
            warehouse,
            pipelines,
            "raw_github",
        )
    with GitLabMock().add(snowflake_spend_project()).add(reopened_project()) as mock:
        _load(
            gitlab_source(
                access_token=TOKEN, projects="gitlab-data/snowflake_spend,acme/app", base_url=mock.url
            ),
            warehouse,
            pipelines,
            "raw_gitlab",
        )
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
            "--vars",
            f'{{"as_of": "{AS_OF}"}}',
        ],
        env={**os.environ, "VSM_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return warehouse


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_value_stream_of_a_jira_project_and_a_github_repository_counts_both(
    multi_tool_warehouse: Path,
) -> None:
    done = dict(
        _query(
            multi_tool_warehouse,
            "select source, count(*) from marts.fct_flow_items where value_stream = 'Payments'"
            " and current_flow_state = 'done' and flow_item_type in ('feature', 'defect', 'risk', 'debt')"
            " group by source",
        )
    )
    velocity = _query(
        multi_tool_warehouse,
        "select sum(flow_velocity) from marts.metrics_flow_velocity where value_stream = 'Payments'"
        " and flow_item_type = 'all' and period_grain = 'quarter'",
    )[0][0]
    assert min(done["jira"], done["github"]) > 0
    assert velocity == done["jira"] + done["github"]


def test_merged_pull_request_flow_time_runs_from_opened_to_merged(multi_tool_warehouse: Path) -> None:
    row = _query(
        multi_tool_warehouse,
        "select value_stream, flow_item_type, current_tool_state, work_started_at, completed_at,"
        " flow_time_days, flow_efficiency from marts.fct_flow_items where item_key = 'panjf2000/ants#41'",
    )[0]
    assert row[:5] == (
        "Payments",
        "feature",
        "Done",
        datetime(2019, 8, 20, 3, 24, 27),
        datetime(2019, 8, 20, 10, 55, 19),
    )
    assert row[5] == pytest.approx((7 * 3600 + 30 * 60 + 52) / 86400, abs=1e-6)
    assert row[6] == pytest.approx(1.0)


def test_github_metrics_fill_the_value_streams_older_quarters(multi_tool_warehouse: Path) -> None:
    expected = _query(
        multi_tool_warehouse,
        "select count(*), median(flow_time_days) from marts.fct_flow_items where value_stream = 'Payments'"
        " and completed_at >= '2019-07-01' and completed_at < '2019-10-01' and flow_time_days is not null"
        " and flow_item_type in ('feature', 'defect', 'risk', 'debt')",
    )[0]
    reported = _query(
        multi_tool_warehouse,
        "select items, median_days from marts.metrics_flow_time where value_stream = 'Payments'"
        " and flow_item_type = 'all' and period_grain = 'quarter' and period_start = '2019-07-01'",
    )[0]
    assert expected[0] > 0
    assert reported[0] == expected[0]
    assert reported[1] == pytest.approx(expected[1])


def test_pull_request_closed_unmerged_is_canceled_and_bug_label_makes_a_defect(
    multi_tool_warehouse: Path,
) -> None:
    rows = dict(
        _query(
            multi_tool_warehouse,
            "select item_key, (current_flow_state, flow_item_type, canceled_at is not null)"
            " from marts.fct_flow_items where item_key in ('panjf2000/ants#8', 'panjf2000/ants#6')",
        )
    )
    assert rows["panjf2000/ants#8"] == ("canceled", "defect", True)  # unmerged PR labeled bug
    assert rows["panjf2000/ants#6"] == ("done", "defect", False)  # issue closed as completed


def test_reopened_github_issue_counts_its_reopen_and_ends_canceled(multi_tool_warehouse: Path) -> None:
    row = _query(
        multi_tool_warehouse,
        "select value_stream, reopened_count, current_tool_state, current_flow_state"
        " from marts.fct_flow_items where source = 'github' and item_key = 'acme/app#1'",
    )[0]
    states = _query(
        multi_tool_warehouse,
        "select list(tool_state order by entered_at) from marts.fct_state_intervals"
        " where source = 'github' and item_key = 'acme/app#1'",
    )[0][0]
    assert row == ("acme/app", 1, "Canceled", "canceled")
    assert states == ["Open", "Done", "Reopened", "Canceled"]


def test_gitlab_workflow_labels_become_tool_states_and_merge_requests_complete_when_merged(
    multi_tool_warehouse: Path,
) -> None:
    states = _query(
        multi_tool_warehouse,
        "select list(tool_state order by entered_at) from marts.fct_state_intervals"
        " where item_key = 'gitlab-data/snowflake_spend#16'",
    )[0][0]
    merged = _query(
        multi_tool_warehouse,
        "select current_tool_state, completed_at, value_stream from marts.fct_flow_items"
        " where item_key = 'gitlab-data/snowflake_spend!1'",
    )[0]
    assert states == ["workflow::5 - development", "Done"]
    assert merged == ("Done", datetime(2019, 6, 28, 14, 32, 6, 192000), "gitlab-data/snowflake_spend")


def test_gitlab_reopened_issue_returns_to_its_workflow_label_and_counts_one_reopen(
    multi_tool_warehouse: Path,
) -> None:
    intervals = _query(
        multi_tool_warehouse,
        "select list(tool_state order by entered_at), list(flow_state order by entered_at)"
        " from marts.fct_state_intervals where source = 'gitlab' and item_key = 'acme/app#1'",
    )[0]
    reopened = _query(
        multi_tool_warehouse,
        "select reopened_count, current_flow_state from marts.fct_flow_items"
        " where source = 'gitlab' and item_key = 'acme/app#1'",
    )[0]
    assert intervals == (
        ["Open", "workflow::in dev", "Done", "workflow::in dev", "workflow::in review", "Done"],
        ["new", "active", "done", "active", "waiting", "done"],
    )
    assert reopened == (1, "done")


def test_unconfigured_git_sources_materialise_their_tables_without_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import materialize
    from dagster_dlt import DagsterDltResource

    from orchestration.git_assets import github_raw_tables, gitlab_raw_tables
    from orchestration.resources import TrackerResource, WarehouseResource

    # A real Jira is configured, so the demo tracker does not stand in for the unconfigured git hosts.
    monkeypatch.setenv("SOURCES__JIRA__BASE_URL", "https://acme.atlassian.net")
    result = materialize(
        [github_raw_tables, gitlab_raw_tables],
        resources={
            "dlt_runner": DagsterDltResource(),
            "tracker": TrackerResource(),
            "warehouse": WarehouseResource(path=str(tmp_path / "vsm.duckdb")),
        },
    )
    keys = {
        event.materialization.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
    }
    assert result.success
    assert keys == {
        "raw_github/items",
        "raw_github/events",
        "raw_github/repository_scope",
        "raw_gitlab/items",
        "raw_gitlab/events",
        "raw_gitlab/project_scope",
    }


def test_a_host_no_longer_configured_empties_its_scope_listing_and_keeps_its_raw_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import materialize
    from dagster_dlt import DagsterDltResource

    from orchestration.assets import published_warehouse
    from orchestration.git_assets import github_raw_tables
    from orchestration.resources import TrackerResource, WarehouseResource

    published = tmp_path / "vsm.duckdb"
    resources = {
        "dlt_runner": DagsterDltResource(),
        "tracker": TrackerResource(),
        "warehouse": WarehouseResource(path=str(published)),
    }
    monkeypatch.setenv("SOURCES__JIRA__BASE_URL", "https://acme.atlassian.net")
    with GitHubMock().add("acme/app", reopened_repository()) as mock:
        monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", "acme/app")
        monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", mock.url)
        assert materialize([github_raw_tables, published_warehouse], resources=resources).success
    for name in ("ACCESS_TOKEN", "REPOSITORIES", "BASE_URL"):
        monkeypatch.delenv(f"SOURCES__GITHUB__{name}")

    # Half a configuration (a secret missing from this environment) is an error, not a removal.
    monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", "acme/app")
    half = materialize([github_raw_tables, published_warehouse], resources=resources, raise_on_error=False)
    assert not half.success
    monkeypatch.delenv("SOURCES__GITHUB__REPOSITORIES")
    with duckdb.connect(str(published), read_only=True) as connection:
        assert connection.execute("select count(*) from raw_github.repository_scope").fetchone() == (1,)

    result = materialize([github_raw_tables, published_warehouse], resources=resources)

    assert result.success
    with duckdb.connect(str(published), read_only=True) as connection:
        assert connection.execute("select count(*) from raw_github.repository_scope").fetchone() == (0,)
        assert connection.execute("select count(*) from raw_github.items").fetchone() == (1,)
