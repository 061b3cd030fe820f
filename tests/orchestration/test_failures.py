"""A failed run's summary says what the project's own error says, not what the library under it said."""

from __future__ import annotations

import requests
from dagster import ConfigurableResource, asset, instance_for_test, materialize
from dlt.extract.exceptions import ResourceExtractionError

from ingestion.jira.helpers import TransientJiraError
from orchestration.failures import failure_lines

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
