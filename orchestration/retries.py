"""Which failed runs Dagster's run retries (`run_retries` in dagster.yaml) start again.

A retry helps a run that met a tracker outage or a killed worker. It cannot help one that a tracker refused
the credentials of, or whose configuration is broken: retried, it fails the same way twice more (and may
lock the account out). Such a run is marked so the retry daemon leaves it; the error names what to fix. A
re-execution launched by hand inherits its parent's tags: it gets the project's retries back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import AssetExecutionContext, DagsterInstance, DagsterRun, Failure, OpExecutionContext

from ingestion.github.helpers import GitHubAuthError
from ingestion.gitlab.helpers import GitLabAuthError
from ingestion.jira.helpers import JiraConfigurationError

# Dagster reads `dagster/max_retries` when the run fails, whatever failed (a step, or a resource's set-up);
# the project's own tag says the zero is ours, so a re-execution launched by hand can undo it.
MAX_RETRIES_TAG = "dagster/max_retries"
NOT_RETRIED_MARK = "vsm/not-retried"
NOT_RETRIED_TAGS = {MAX_RETRIES_TAG: "0", NOT_RETRIED_MARK: "true"}
# A run retry starts the whole run again. Dagster's default retries from the failed step, but every run works
# on a fresh copy of the published warehouse: a retry of the dbt step alone would build today's as-of on
# yesterday's raw data and publish it.
RETRY_ALL_STEPS_TAG = {"dagster/retry_strategy": "ALL_STEPS"}


class ConfigurationFailure(Failure):
    """A run stopped by its configuration (a setting set in part): rerun unchanged, it fails the same way."""


CONFIGURATION_ERRORS: tuple[type[BaseException], ...] = (
    JiraConfigurationError,  # a rejected credential included
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
        suppressed = current.__suppress_context__  # `raise ... from None` hides what it was raised during
        current = current.__cause__ or (None if suppressed else current.__context__)
    return False


def prepare_retries(instance: DagsterInstance | None, run: DagsterRun | None) -> None:
    """At the start of a run: a retry of it starts again from its first step, unless the run says otherwise
    (the refresh job carries the tag already; this reaches runs launched by hand in the UI, "Materialize
    all", too; Dagster reads the strategy from the failed run's tags when it retries). A run that inherited
    the not-retried mark from its parent (a re-execution launched by hand, after a fix) is retried again."""
    if instance is None or run is None:
        return
    tags: dict[str, str] = {}
    if not set(RETRY_ALL_STEPS_TAG) & set(run.tags):
        tags.update(RETRY_ALL_STEPS_TAG)
    if run.tags.get(NOT_RETRIED_MARK) == "true":
        tags.update({MAX_RETRIES_TAG: str(instance.run_retries_max_retries), NOT_RETRIED_MARK: "false"})
    if tags:
        instance.add_run_tags(run.run_id, tags)


def mark_not_retried(instance: DagsterInstance | None, run_id: str | None) -> None:
    if instance is not None and run_id:
        instance.add_run_tags(run_id, NOT_RETRIED_TAGS)


@contextmanager
def not_retried_on_configuration_errors(
    context: AssetExecutionContext | OpExecutionContext,
) -> Iterator[None]:
    """Around a step's work: a configuration error marks the run as not to be retried, then propagates."""
    try:
        yield
    except BaseException as error:
        if is_configuration_error(error):
            mark_not_retried(context.instance, context.run_id)
            context.log.error("A retry cannot fix this error: the run is not retried. Fix it, then rerun.")
        raise
