"""Raw GitHub and GitLab tables landed by dlt, as Dagster assets in the same lineage graph as Jira's.

Which host is read comes from the tracker resource: the one the user configured in dlt config, else, in the
demo (no Jira configured either), the demo tracker's repository or project. A host that is not to be read
(a real Jira is configured but this host is not) still succeeds: its asset loads nothing and reports every
table as materialised with `configured: false`, and the dbt staging models read the missing raw tables as
empty sets (`source_or_empty`), so the run keeps building. If an earlier refresh landed items of that host,
the asset runs its source with nothing configured, which empties the host's scope listing: the items leave
the facts and metrics (their raw rows stay), as a full refresh, which starts from an empty warehouse, would.
"""

from collections.abc import Callable, Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, MaterializeResult
from dagster_dlt import DagsterDltResource, dlt_assets

from ingestion.github import github_source
from ingestion.gitlab import gitlab_source

from . import warehouse as warehouse_files
from .progress import ProgressLog
from .resources import GIT_SCOPE_SETTINGS, TrackerResource, WarehouseResource, git_host_has_a_setting
from .retries import ConfigurationFailure, not_retried_on_configuration_errors
from .translators import RawTableTranslator


def _landed_before(warehouse: WarehouseResource, dataset: str) -> bool:
    """Whether an earlier refresh landed this host's items in the warehouse this run works on."""
    return warehouse_files.has_table(warehouse.working_copy().path, dataset, "items")


def _run_or_skip(
    context: AssetExecutionContext,
    dlt_runner: DagsterDltResource,
    warehouse: WarehouseResource,
    tracker: TrackerResource,
    *,
    host: str,
    source_factory: Callable[..., Any],
    pipeline_name: str,
    dataset: str,
    settings_hint: str,
    progress: ProgressLog,
) -> Iterator[Any]:
    with not_retried_on_configuration_errors(context), tracker.git_source_arguments(host) as arguments:
        if arguments is None and _landed_before(warehouse, dataset):
            if git_host_has_a_setting(host):
                raise ConfigurationFailure(
                    f"{dataset}: {settings_hint} are set only in part, and an earlier refresh landed "
                    "this host's items. Set both (a missing secret in this environment?), or unset both to "
                    "leave the host; nothing was published."
                )
            context.log.warning(
                f"{dataset}: not configured ({settings_hint} unset), but an earlier refresh landed its "
                "items: they are left out of the facts and metrics (their raw rows stay). Configure the host "
                "again to bring them back, or run `vsm refresh --full` to drop them."
            )
            # No token is needed: with nothing configured the source only replaces its scope listing.
            arguments = {"access_token": "unused", GIT_SCOPE_SETTINGS[host]: ""}
        if arguments is None:
            context.log.info(f"{dataset}: not configured ({settings_hint} not both set); nothing to load")
            for key in context.selected_asset_keys:
                yield MaterializeResult(asset_key=key, metadata={"configured": False, "rows_loaded": 0})
            return
        with progress:
            yield from dlt_runner.run(
                context=context,
                dlt_source=source_factory(**arguments, progress=progress),
                dlt_pipeline=warehouse.dlt_pipeline(pipeline_name, dataset),
                refresh="drop_sources" if warehouse.from_scratch else None,
            )


# Definition-time sources only describe the assets' shape; runs build them again from the live configuration.
_GITHUB_SHAPE = github_source(access_token="shape", repositories="")  # noqa: S106
_GITLAB_SHAPE = gitlab_source(access_token="shape", projects="")  # noqa: S106


@dlt_assets(
    dlt_source=_GITHUB_SHAPE,
    dlt_pipeline=dlt.pipeline(pipeline_name="vsm_github", destination="duckdb", dataset_name="raw_github"),
    name="github_raw_tables",
    dagster_dlt_translator=RawTableTranslator("raw_github"),
)
def github_raw_tables(
    context: AssetExecutionContext,
    dlt_runner: DagsterDltResource,
    warehouse: WarehouseResource,
    tracker: TrackerResource,
) -> Iterator[Any]:
    """Land GitHub issues, pull requests and their timeline events in `raw_github`, incrementally."""
    yield from _run_or_skip(
        context,
        dlt_runner,
        warehouse,
        tracker,
        host="github",
        source_factory=github_source,
        pipeline_name="vsm_github",
        dataset="raw_github",
        settings_hint="SOURCES__GITHUB__ACCESS_TOKEN / SOURCES__GITHUB__REPOSITORIES",
        progress=ProgressLog(context, "GitHub", "issues and pull requests"),
    )


@dlt_assets(
    dlt_source=_GITLAB_SHAPE,
    dlt_pipeline=dlt.pipeline(pipeline_name="vsm_gitlab", destination="duckdb", dataset_name="raw_gitlab"),
    name="gitlab_raw_tables",
    dagster_dlt_translator=RawTableTranslator("raw_gitlab"),
)
def gitlab_raw_tables(
    context: AssetExecutionContext,
    dlt_runner: DagsterDltResource,
    warehouse: WarehouseResource,
    tracker: TrackerResource,
) -> Iterator[Any]:
    """Land GitLab issues, merge requests and their resource events in `raw_gitlab`, incrementally."""
    yield from _run_or_skip(
        context,
        dlt_runner,
        warehouse,
        tracker,
        host="gitlab",
        source_factory=gitlab_source,
        pipeline_name="vsm_gitlab",
        dataset="raw_gitlab",
        settings_hint="SOURCES__GITLAB__ACCESS_TOKEN / SOURCES__GITLAB__PROJECTS",
        progress=ProgressLog(context, "GitLab", "issues and merge requests"),
    )
