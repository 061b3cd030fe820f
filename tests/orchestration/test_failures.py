"""A failed run's summary says what the project's own error says, not what the library under it said."""

from __future__ import annotations

import requests
from dagster import (
    AssetKey,
    ConfigurableResource,
    DagsterEventType,
    asset,
    build_run_status_sensor_context,
    instance_for_test,
    materialize,
)
from dlt.extract.exceptions import ResourceExtractionError

from ingestion.jira.helpers import TransientJiraError
from orchestration.failures import failure_lines, outcome
from orchestration.schedules import report_failed_refresh

CLEAR = "cannot connect to https://jira.example.com; check SOURCES__JIRA__BASE_URL"


def _failed_run_events(failing_asset, resources=None) -> list:
    with instance_for_test() as instance:
        result = materialize([failing_asset], instance=instance, resources=resources, raise_on_error=False)
        assert not result.success
        return list(result.all_events)


def test_a_step_failure_shows_the_projects_sentence_not_the_library_error_under_it() -> None:
    @asset
    def jira() -> None:
        try:
            try:
                raise requests.ConnectionError("HTTPSConnectionPool(host='jira.example.com'): Max retries")
            except requests.ConnectionError as library_error:
                raise TransientJiraError(CLEAR) from library_error
        except TransientJiraError as own:
            raise ResourceExtractionError("issue_pages", None, "failed", "generator") from own

    (line,) = failure_lines(_failed_run_events(jira))
    assert line.startswith("jira: ingestion.jira.helpers.TransientJiraError: ")
    assert line.endswith(CLEAR)
    assert "Max retries" not in line


def test_without_a_project_error_the_innermost_error_is_shown() -> None:
    @asset
    def broken() -> None:
        try:
            raise KeyError("statusCategory")
        except KeyError as inner:
            raise RuntimeError("extract step failed") from inner

    assert failure_lines(_failed_run_events(broken)) == ["broken: KeyError: 'statusCategory'"]


class _Unreachable(ConfigurableResource):
    def setup_for_execution(self, context) -> None:
        raise RuntimeError("the warehouse folder /srv/vsm is not writable; set VSM_WAREHOUSE")


def test_a_resource_that_cannot_be_set_up_is_reported_as_the_runs_error() -> None:
    @asset
    def needs_warehouse(warehouse: _Unreachable) -> None:
        return None

    (line,) = failure_lines(_failed_run_events(needs_warehouse, {"warehouse": _Unreachable()}))
    assert "set VSM_WAREHOUSE" in line, line


def _published_then(report_fails: bool, publish_fails: bool = False) -> list:
    @asset(key=AssetKey(["warehouse", "published"]))
    def published() -> None:
        if publish_fails:
            raise RuntimeError("a blocking check failed")

    @asset(deps=[published])
    def flow_report() -> None:
        if report_fails:
            raise OSError("No space left on device: warehouse/flow-report.html")

    with instance_for_test() as instance:
        result = materialize([published, flow_report], instance=instance, raise_on_error=False)
        return list(result.all_events)


def test_a_refresh_that_failed_after_publishing_says_bi_tools_read_the_new_warehouse() -> None:
    assert outcome(_published_then(report_fails=True)).startswith("Refresh failed after it published")


def test_a_refresh_that_failed_before_publishing_says_the_warehouse_is_unchanged() -> None:
    events = _published_then(report_fails=False, publish_fails=True)
    assert outcome(events) == "Refresh failed; the published warehouse is unchanged."


def test_the_failure_sensor_writes_the_outcome_and_the_summary_into_the_runs_log() -> None:
    @asset(key=AssetKey(["warehouse", "published"]))
    def published() -> None:
        return None

    @asset(deps=[published])
    def flow_report() -> None:
        raise OSError("No space left on device")

    with instance_for_test() as instance:
        result = materialize([published, flow_report], instance=instance, raise_on_error=False)
        failure = next(event for event in result.all_events if event.is_run_failure)
        context = build_run_status_sensor_context(
            sensor_name="report_failed_refresh",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
        ).for_run_failure()
        report_failed_refresh(context)
        messages = [
            entry.dagster_event.message
            for entry in instance.all_logs(result.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        ]
    assert (
        "Refresh failed after it published: BI tools read the new warehouse; a later step failed.\n"
        "flow_report: OSError: No space left on device"
    ) in messages
