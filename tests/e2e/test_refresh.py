"""`vsm refresh` end to end against the demo tracker: real marts, reproducible, with the expected findings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from .helpers import AS_OF, MARTS, snapshot, vsm


def test_refresh_from_the_demo_tracker_fills_every_published_mart(refreshed) -> None:
    warehouse, _, _ = refreshed
    marts = snapshot(warehouse)
    assert all(marts[mart] for mart in MARTS), [mart for mart in MARTS if not marts[mart]]


def test_the_project_without_waiting_states_is_the_only_missing_wait_states_finding(refreshed) -> None:
    warehouse, _, result = refreshed
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        flagged = connection.execute(
            "select value_stream from marts.dq_findings where check_name = 'missing_wait_states'"
        ).fetchall()
    assert flagged == [("Operations",)]
    assert "missing_wait_states" in result.stdout


def test_the_refresh_reports_each_trackers_reading_progress(refreshed) -> None:
    """The lines the run log shows while a long first read is under way (Jira gives a total, the git hosts
    do not)."""
    _, _, result = refreshed
    output = result.stdout + result.stderr
    assert re.search(r"Jira: [\d,]+ of ~[\d,]+ issues \(\d+%\)", output)
    assert re.search(r"GitHub: [\d,]+ issues and pull requests read in \d+ s", output)
    assert re.search(r"GitLab: [\d,]+ issues and merge requests read in \d+ s", output)
    # the sources' own lines reach the run log too (dagster.yaml's python_logs): here, what the read asks for
    assert re.search(r"reading Jira issues: .*ORDER BY", output)


def test_summary_prints_the_five_metrics_per_value_stream(refreshed) -> None:
    warehouse, storage, _ = refreshed
    result = vsm("summary", "--format", "json", warehouse=warehouse, storage=storage)
    assert result.returncode == 0, result.stderr
    rows = {row["value_stream"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"Payments", "Mobile", "Operations", "all"}
    assert rows["all"]["completed"] == sum(
        rows[name]["completed"] for name in ("Payments", "Mobile", "Operations")
    )
    assert 0 < rows["Payments"]["flow_efficiency"] < 1


def test_every_bottleneck_median_is_the_continuous_median_of_its_items_hours(refreshed) -> None:
    # The mart finds each median by counting hour buckets and sorting only a middle bucket; DuckDB's
    # own quantile_cont over the same per-item values (days, and sums of longer periods) must agree.
    warehouse, _, _ = refreshed
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        disagreements = connection.execute(
            """
            with item_values as (
                select value_stream, tool_state, 'day' as period_grain, day_date as period_start, milliseconds
                from intermediate.int_metrics_item_state_days
                union all
                select value_stream, tool_state, period_grain, period_start, milliseconds
                from intermediate.int_metrics_item_state_periods
            ),
            reference as (
                select value_stream, tool_state, period_grain, period_start,
                    quantile_cont(milliseconds, 0.5) / 3600000 as median_hours
                from item_values group by all
                union all
                select 'all', tool_state, period_grain, period_start,
                    quantile_cont(milliseconds, 0.5) / 3600000 as median_hours
                from item_values group by all
            )
            select count(*) as compared,
                count(*) filter (
                    where mart.median_hours is null or reference.median_hours is null
                    or abs(mart.median_hours - round(reference.median_hours, 6)) > 1e-9
                )
            from marts.metrics_bottlenecks as mart
            full join reference using (value_stream, tool_state, period_grain, period_start)
            where mart.median_hours is not null or reference.median_hours is not null
            """
        ).fetchone()
    compared, wrong = disagreements
    assert compared > 1000
    assert wrong == 0


def test_a_second_refresh_with_the_same_as_of_gives_identical_marts(refreshed) -> None:
    warehouse, storage, _ = refreshed
    before = snapshot(warehouse)
    result = vsm("refresh", "--as-of", AS_OF, warehouse=warehouse, storage=storage)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert snapshot(warehouse) == before
    # dbt reused the first refresh's parse: the run's path and as-of reach it without changing its profile
    # or `--vars`, either of which makes dbt parse the whole project again.
    assert "Unable to do partial parsing" not in result.stdout


def test_a_malformed_as_of_fails_with_one_readable_line(tmp_path: Path) -> None:
    result = vsm("refresh", "--as-of", "yesterday", warehouse=tmp_path / "w.duckdb", storage=tmp_path / "d")
    assert result.returncode == 1
    assert "is not an ISO date" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_rejected_jira_credential_fails_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.demo import DemoOrganisation, DemoTracker

    with DemoTracker(DemoOrganisation(issues=10)) as tracker:
        monkeypatch.setenv("SOURCES__JIRA__BASE_URL", tracker.url)
        monkeypatch.setenv("SOURCES__JIRA__EMAIL", tracker.email)
        monkeypatch.setenv("SOURCES__JIRA__API_TOKEN", "wrong-token-123")
        result = vsm("refresh", warehouse=tmp_path / "w.duckdb", storage=tmp_path / "d")
    assert result.returncode == 1
    assert "SOURCES__JIRA__API_TOKEN" in result.stderr
    assert "wrong-token-123" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
