"""Which failed runs Dagster's run retries start again: not those a tracker refused the credentials of."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, instance_for_test, materialize
from dagster_dlt import DagsterDltResource

from ingestion.jira import JiraError
from ingestion.jira.helpers import JiraAuthError
from orchestration.resources import WarehouseResource
from orchestration.retries import is_configuration_error, not_retried_on_configuration_errors

WILL_RETRY = "dagster/will_retry"


@pytest.fixture
def instance() -> DagsterInstance:
    """An instance with the project's run retries (dagster.yaml)."""
    with instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 2}}) as instance:
        yield instance


def _failed_run_tags(instance: DagsterInstance, error: Exception) -> dict[str, str]:
    @asset
    def failing(context) -> None:
        with not_retried_on_configuration_errors(context):
            raise RuntimeError("extraction failed") from error

    result = materialize([failing], instance=instance, raise_on_error=False)
    assert not result.success
    return instance.get_run_by_id(result.run_id).tags


def test_a_rejected_credential_is_not_retried(instance: DagsterInstance) -> None:
    tags = _failed_run_tags(instance, JiraAuthError("Jira refused SOURCES__JIRA__API_TOKEN"))
    assert tags[WILL_RETRY] == "false"


def test_a_tracker_outage_is_retried(instance: DagsterInstance) -> None:
    tags = _failed_run_tags(instance, JiraError("Jira answered 503 six times"))
    assert tags[WILL_RETRY] == "true"


def _wrapped_as_dlt_does(error: Exception) -> RuntimeError:
    try:
        raise error
    except Exception as cause:
        try:
            raise RuntimeError("extraction of resource issue_pages failed") from cause
        except RuntimeError as wrapped:
            return wrapped


def test_a_configuration_error_is_found_under_the_errors_dlt_wraps_it_in() -> None:
    assert is_configuration_error(_wrapped_as_dlt_does(JiraAuthError("refused")))
    assert not is_configuration_error(_wrapped_as_dlt_does(JiraError("the reader process stopped")))


def test_a_scheduled_refresh_with_a_wrong_jira_token_fails_once_naming_the_setting(
    instance: DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.demo import DemoOrganisation, DemoTracker
    from orchestration.assets import jira_raw_tables
    from orchestration.resources import TrackerResource

    with DemoTracker(DemoOrganisation(issues=10)) as tracker:
        monkeypatch.setenv("SOURCES__JIRA__BASE_URL", tracker.url)
        monkeypatch.setenv("SOURCES__JIRA__EMAIL", tracker.email)
        monkeypatch.setenv("SOURCES__JIRA__API_TOKEN", "wrong-token-123")
        result = materialize(
            [jira_raw_tables],
            instance=instance,
            resources={
                "dlt_runner": DagsterDltResource(),
                "tracker": TrackerResource(),
                "warehouse": WarehouseResource(path=str(tmp_path / "vsm.duckdb")),
            },
            raise_on_error=False,
        )
    assert not result.success
    assert instance.get_run_by_id(result.run_id).tags[WILL_RETRY] == "false"
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    while error.cause is not None:
        error = error.cause
    assert "SOURCES__JIRA__API_TOKEN" in error.message


@asset
def uses_the_warehouse(warehouse: WarehouseResource) -> None:
    """Any asset of a warehouse-writing run, as "Materialize all" in the UI launches it: without job tags."""


def test_a_run_launched_by_hand_is_retried_from_its_first_step(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    """Every run works on a fresh copy of the published warehouse: a retry from the failed step would build on
    yesterday's raw data."""
    resources = {"warehouse": WarehouseResource(path=str(tmp_path / "vsm.duckdb"))}
    result = materialize([uses_the_warehouse], instance=instance, resources=resources)
    assert instance.get_run_by_id(result.run_id).tags["dagster/retry_strategy"] == "ALL_STEPS"


def test_a_retry_strategy_chosen_for_the_run_is_kept(instance: DagsterInstance, tmp_path: Path) -> None:
    resources = {"warehouse": WarehouseResource(path=str(tmp_path / "vsm.duckdb"))}
    chosen = {"dagster/retry_strategy": "FROM_FAILURE"}
    result = materialize([uses_the_warehouse], instance=instance, resources=resources, tags=chosen)
    assert instance.get_run_by_id(result.run_id).tags["dagster/retry_strategy"] == "FROM_FAILURE"
