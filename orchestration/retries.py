"""Which failed runs Dagster's run retries (`run_retries` in dagster.yaml) start again.

A retry helps a run that met a tracker outage or a killed worker. It cannot help one that a tracker refused
the credentials of, or whose configuration is broken: retried, it fails the same way twice more (and may
lock the account out). Such a run is marked so the retry daemon leaves it; the error names what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import DagsterInstance, DagsterRun, Failure, OpExecutionContext

from ingestion.github.helpers import GitHubAuthError
from ingestion.gitlab.helpers import GitLabAuthError
from ingestion.jira.helpers import JiraAuthError

# Dagster reads this run tag when the run fails, to decide whether its run retries apply.
NOT_RETRIED_TAG = {"dagster/retry_on_asset_or_op_failure": "false"}
# A run retry starts the whole run again. Dagster's default retries from the failed step, but every run works
# on a fresh copy of the published warehouse: a retry of the dbt step alone would build today's as-of on
# yesterday's raw data and publish it.
RETRY_ALL_STEPS_TAG = {"dagster/retry_strategy": "ALL_STEPS"}


class ConfigurationFailure(Failure):
    """A run stopped by its configuration (a setting set in part, a rebuild re-executed in part): rerunning
    it unchanged fails the same way."""


CONFIGURATION_ERRORS: tuple[type[BaseException], ...] = (
    JiraAuthError,
    GitHubAuthError,
    GitLabAuthError,
    ConfigurationFailure,
)


def is_configuration_error(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from (dlt wraps a source's errors twice), is one a retry
    cannot fix."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, CONFIGURATION_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def retry_all_steps(instance: DagsterInstance | None, run: DagsterRun | None) -> None:
    """Makes a retry of `run` start again from its first step, unless the run says otherwise. The refresh job
    carries the tag already; this reaches runs launched by hand in the UI ("Materialize all") too. Dagster
    reads the strategy from the failed run's tags when it retries."""
    if instance is not None and run is not None and not set(RETRY_ALL_STEPS_TAG) & set(run.tags):
        instance.add_run_tags(run.run_id, RETRY_ALL_STEPS_TAG)


def mark_not_retried(instance: DagsterInstance | None, run_id: str | None) -> None:
    if instance is not None and run_id:
        instance.add_run_tags(run_id, NOT_RETRIED_TAG)


@contextmanager
def not_retried_on_configuration_errors(context: OpExecutionContext) -> Iterator[None]:
    """Around a step's work: a configuration error marks the run as not to be retried, then propagates."""
    try:
        yield
    except BaseException as error:
        if is_configuration_error(error):
            mark_not_retried(context.instance, context.run_id)
            context.log.error("A retry cannot fix this error: the run is not retried. Fix it, then rerun.")
        raise
