"""The one Definitions object: it loads, and its assets form one lineage graph from raw tables to checks."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey

from orchestration import schedules
from tests.e2e.helpers import vsm_environment


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import defs

    return defs


def _graph(defs):
    return defs.resolve_asset_graph()


def _ancestors(graph, key: AssetKey) -> set[AssetKey]:
    seen: set[AssetKey] = set()
    frontier = [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_definitions_load_with_raw_dbt_and_check_assets(defs) -> None:
    keys = set(_graph(defs).get_all_asset_keys())
    assert AssetKey(["raw_jira", "issues"]) in keys
    assert AssetKey(["raw_jira", "changelog_items"]) in keys
    assert AssetKey(["marts", "fct_state_intervals"]) in keys
    assert AssetKey(["marts", "metrics_flow_velocity"]) in keys
    assert AssetKey(["marts", "dq_findings"]) in keys


def test_dbt_staging_reads_the_assets_dlt_lands_so_lineage_is_one_graph(defs) -> None:
    graph = _graph(defs)
    raw_keys = {key for key in graph.get_all_asset_keys() if key.path[0] == "raw_jira"}
    staged = graph.get(AssetKey(["staging", "stg_jira__status_changes"]))
    assert AssetKey(["raw_jira", "changelog_items"]) in staged.parent_keys
    # every raw table is materialised by the dlt multi-asset, not an external source asset
    assert all(graph.get(key).is_materializable for key in raw_keys)
    # and the marts reach back to the raw tables through staging and facts
    assert AssetKey(["raw_jira", "issues"]) in _ancestors(graph, AssetKey(["marts", "metrics_flow_velocity"]))


def test_assets_are_grouped_by_layer(defs) -> None:
    graph = _graph(defs)
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups[AssetKey(["raw_jira", "issues"])] == "ingestion"
    assert groups[AssetKey(["marts", "fct_flow_items"])] == "transformation"
    assert groups[AssetKey(["marts", "metrics_flow_time"])] == "metrics"
    assert groups[AssetKey(["marts", "dq_findings"])] == "quality"


def test_dbt_tests_appear_as_asset_checks(defs) -> None:
    check_keys = _graph(defs).asset_check_keys
    assert any(key.asset_key == AssetKey(["marts", "fct_state_intervals"]) for key in check_keys)


def test_daily_schedule_defaults_to_six_utc(defs) -> None:
    schedule = defs.get_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"


def test_a_retried_refresh_starts_again_from_ingestion_and_one_writer_at_a_time(defs) -> None:
    """A retry from the failed step would build on a fresh copy of yesterday's published raw data."""
    tags = defs.get_job_def("refresh_warehouse").tags
    assert tags["dagster/retry_strategy"] == "ALL_STEPS"
    assert tags["vsm/writes-warehouse"] == "true"


def test_freshness_is_checked_on_every_raw_table_and_where_bi_reads(defs) -> None:
    """Every raw table is materialised by each refresh (a host that is not configured reports its tables with
    `configured: false`), so a stale one means a missed or failed ingestion; the published file is what BI
    reads."""
    graph = _graph(defs)
    checked = {key.asset_key for key in graph.asset_check_keys if key.name == "freshness_check"}
    raw_tables = {key for key in graph.get_all_asset_keys() if key.path[0].startswith("raw_")}
    assert {AssetKey(["raw_jira", "statuses"]), AssetKey(["raw_github", "items"])} <= raw_tables
    assert checked == raw_tables | {AssetKey(["warehouse", "published"])}


def test_daily_schedule_time_and_zone_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSM_REFRESH_CRON", "30 5 * * 1-5")
    monkeypatch.setenv("VSM_REFRESH_TIMEZONE", "Europe/Berlin")
    schedule = importlib.reload(schedules).daily_refresh_schedule()
    assert schedule.cron_schedule == "30 5 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VSM_REFRESH_CRON", "61 6 * * *"),
        ("VSM_REFRESH_CRON", "every day"),
        ("VSM_REFRESH_TIMEZONE", "Mars/Base"),
    ],
)
def test_a_schedule_setting_the_schedule_cannot_run_on_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(schedules.ScheduleSettingError, match=re.escape(f"{variable} is '{value}'")):
        schedules.daily_refresh_schedule()


def test_vsm_stops_with_one_sentence_on_a_broken_schedule_setting(tmp_path) -> None:
    """`vsm refresh` loads the definitions, the schedule among them: a typo there is one sentence."""
    environment = {
        **vsm_environment(tmp_path / "vsm.duckdb", tmp_path / "dagster"),
        "VSM_REFRESH_TIMEZONE": "Mars/Base",
    }
    command = [str(Path(sys.executable).parent / "vsm"), "refresh"]
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 1
    assert "vsm: VSM_REFRESH_TIMEZONE is 'Mars/Base'" in result.stderr
    assert "Traceback" not in result.stderr


def test_dbt_starts_without_a_version_subprocess_or_an_in_process_adapter(
    defs, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """dagster-dbt spends ~4 s before every dbt command on `dbt --version` and on an adapter that only its
    row-count and column-metadata fetchers use; the project's resource needs neither."""
    from dagster_dbt.core import resource as dagster_dbt_resource

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess before dbt: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    dbt = type(defs.resources["dbt"])(
        project_dir=defs.resources["dbt"].project_dir, dbt_executable=defs.resources["dbt"].dbt_executable
    )

    invocation = dbt.cli(["debug", "--config-dir"], target_path=tmp_path).wait()

    assert invocation.is_successful()
    assert invocation.adapter is None
    assert dbt._cli_version == dagster_dbt_resource.DBT_PYTHON_VERSION


def test_the_dbt_project_is_parsed_under_a_lock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two `vsm` processes started together must not both write the manifest, nor read it half-written."""
    import fcntl

    from orchestration import cli, paths

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a_model.sql").write_text("select 1 as one\n")
    (tmp_path / "dbt_project.yml").write_text("name: probe\n")
    monkeypatch.setattr(paths, "DBT_PROJECT_DIR", tmp_path)
    held: list[bool] = []

    def parse(project: Path) -> None:
        with (project / "target" / ".manifest.json.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(True)
            else:
                held.append(False)
                fcntl.flock(handle, fcntl.LOCK_UN)
        (project / "target" / "manifest.json").write_text("{}")

    monkeypatch.setattr(cli, "_parse_dbt_project", parse)
    assert cli.ensure_dbt_manifest() == tmp_path / "target" / "manifest.json"
    assert held == [True]
    cli.ensure_dbt_manifest()  # current now: not parsed again
    assert held == [True]
