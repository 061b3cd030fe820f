"""The warehouse's assets: raw Jira tables landed by dlt, then every dbt model, seed and test."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dlt import DagsterDltResource, dlt_assets

from ingestion.jira import jira_source

from . import paths
from .failures import PUBLISHED_ASSET_PATH
from .progress import ProgressLog
from .resources import TrackerResource, WarehouseResource
from .retries import not_retried_on_configuration_errors
from .translators import OWNERS, RawTableTranslator, VsmDbtTranslator

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)

# The definition-time source and pipeline only describe the shape of the raw assets (resource names,
# table names); the run builds both again from the live configuration, see `jira_raw_tables`.
_SHAPE_SOURCE = jira_source(base_url="http://127.0.0.1", email="shape", api_token="shape")  # noqa: S106
_SHAPE_PIPELINE = dlt.pipeline(pipeline_name="vsm_jira", destination="duckdb", dataset_name="raw_jira")


@dlt_assets(
    dlt_source=_SHAPE_SOURCE,
    dlt_pipeline=_SHAPE_PIPELINE,
    name="jira_raw_tables",
    dagster_dlt_translator=RawTableTranslator("raw_jira"),
)
def jira_raw_tables(
    context: AssetExecutionContext,
    dlt_runner: DagsterDltResource,
    tracker: TrackerResource,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    """Land Jira issues, their complete changelog and the catalogs in `raw_jira`, incrementally."""
    with (
        not_retried_on_configuration_errors(context),
        tracker.source_arguments() as arguments,
        ProgressLog(context, "Jira", "issues") as progress,
    ):
        source = jira_source(**arguments, progress=progress)
        refresh = "drop_sources" if warehouse.from_scratch else None
        yield from dlt_runner.run(
            context=context,
            dlt_source=source,
            dlt_pipeline=warehouse.dlt_pipeline(),
            refresh=refresh,
        )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=VsmDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def vsm_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Seeds, staging, facts, metric marts and findings, with their data tests, in one `dbt build`.

    dbt's unit tests check the SQL on fixed rows, not the data: they run in `make test` (CI), not in every
    refresh, where they cost ~15 s whatever the data (dbt's own advice for production builds).
    """
    with _environment(warehouse.dbt_environment()):
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test"],
            context=context,
            target_path=warehouse.dbt_target_path(),
        )
        yield from invocation.stream()


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the dbt subprocess, and restore them after it."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@asset(
    key=AssetKey(list(PUBLISHED_ASSET_PATH)),
    deps=[*jira_raw_tables.keys, *vsm_dbt_models.keys],
    group_name="publication",
    owners=OWNERS,
    kinds={"duckdb"},
    description=(
        "The warehouse file BI tools read. Replaced atomically by the run's working copy once ingestion, "
        "every model and every blocking check succeeded; readers see the old or the new state, never a half."
    ),
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Publish the run's working copy in one atomic rename."""
    path = warehouse.publish()
    context.log.info(f"published {path}")
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path)), "bytes": path.stat().st_size})


@asset(
    key=AssetKey(["reports", "flow_report"]),
    deps=[published_warehouse],
    group_name="metrics",
    owners=OWNERS,
    kinds={"html"},
    description=(
        "The flow report: one self-contained HTML file of the Flow Metrics charts for every value stream, "
        "written from the published warehouse after every refresh."
    ),
)
def flow_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Write the flow report beside the published warehouse."""
    from .flow_report import write_flow_report

    published = warehouse.published_path()
    path = write_flow_report(published, published.parent / "flow-report.html")
    context.log.info(f"flow report written to {path}")
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path)), "bytes": path.stat().st_size})
