"""Which failed runs Dagster's run retries start again: not those a tracker refused the credentials of."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, instance_for_test, materialize
from dagster_dlt import DagsterDltResource

from ingestion.github.helpers import GitHubAuthError
from ingestion.gitlab.helpers import GitLabAuthError
from ingestion.jira import JiraError
from ingestion.jira.helpers import JiraAuthError, JiraConfigurationError
from orchestration.resources import WarehouseResource
from orchestration.retries import (
    ConfigurationFailure,
    is_configuration_error,
    not_retried_on_configuration_errors,
)

WILL_RETRY = "dagster/will_retry"
MAX_RETRIES = "dagster/max_retries"


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


@pytest.mark.parametrize(
    "error",
    [
        JiraAuthError("Jira refused SOURCES__JIRA__API_TOKEN"),
        JiraConfigurationError("SOURCES__JIRA__DEPLOYMENT is 'cluod'"),
        GitHubAuthError("GitHub refused SOURCES__GITHUB__ACCESS_TOKEN"),
        GitLabAuthError("GitLab refused SOURCES__GITLAB__ACCESS_TOKEN"),
        ConfigurationFailure(
            "SOURCES__GITHUB__ACCESS_TOKEN / SOURCES__GITHUB__REPOSITORIES are set only in part"
        ),
    ],
    ids=type,
)
def test_a_rejected_credential_or_a_broken_setting_is_not_retried(
    instance: DagsterInstance, error: Exception
) -> None:
    tags = _failed_run_tags(instance, error)
    assert tags[WILL_RETRY] == "false"


def test_a_tracker_outage_is_retried(instance: DagsterInstance) -> None:
    tags = _failed_run_tags(instance, JiraError("Jira answered 503 six times"))
    assert tags[WILL_RETRY] == "true"


def _raised_during(error: Exception, handled: Exception, suppress: bool = False) -> Exception:
    """`error` raised while `handled` was being handled (`raise error from None` when `suppress`)."""
    try:
        raise handled
    except Exception:
        try:
            if suppress:
                raise error from None
            raise error
        except Exception as raised:
            return raised


def test_a_configuration_error_is_found_under_the_errors_dlt_wraps_it_in() -> None:
    from dlt.extract.exceptions import ResourceExtractionError

    wrapped = ResourceExtractionError("issue_pages", None, "failed", "generator")
    wrapped.__cause__ = JiraAuthError("refused")
    assert is_configuration_error(_raised_during(RuntimeError("extract step failed"), wrapped))
    assert not is_configuration_error(_raised_during(RuntimeError("failed"), JiraError("the reader stopped")))


def test_an_outage_raised_from_none_while_handling_a_refusal_is_retried() -> None:
    outage = _raised_during(JiraError("503"), JiraAuthError("refused"), suppress=True)
    assert not is_configuration_error(outage)


def test_a_re_execution_launched_after_a_fix_gets_the_projects_retries_back(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    """It inherits its parent's tags, the not-retried mark included."""
    resources = {"warehouse": WarehouseResource(path=str(tmp_path / "vsm.duckdb"))}
    inherited = {MAX_RETRIES: "0", "vsm/not-retried": "true"}
    result = materialize([uses_the_warehouse], instance=instance, resources=resources, tags=inherited)
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[MAX_RETRIES] == "2"
    assert tags["vsm/not-retried"] == "false"


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
