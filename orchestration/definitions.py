"""The one Dagster `Definitions` of the warehouse: raw tables -> staging -> facts -> marts -> checks."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from .assets import dbt_project, flow_report, jira_raw_tables, published_warehouse, vsm_dbt_models
from .checks import dq_asset_checks
from .git_assets import github_raw_tables, gitlab_raw_tables
from .liveness import fail_runs_of_dead_workers
from .resources import TrackerResource, VsmDbtCliResource, WarehouseResource
from .schedules import (
    daily_refresh_schedule,
    raw_freshness_checks,
    raw_freshness_sensor,
    refresh_job,
    report_failed_refresh,
)

freshness_checks = raw_freshness_checks([jira_raw_tables, github_raw_tables, gitlab_raw_tables])

defs = Definitions(
    assets=[
        jira_raw_tables,
        github_raw_tables,
        gitlab_raw_tables,
        vsm_dbt_models,
        published_warehouse,
        flow_report,
    ],
    # One process per run: the run holds the warehouse lock and its working copy from start to publish.
    executor=in_process_executor,
    jobs=[refresh_job],
    asset_checks=[*freshness_checks, *dq_asset_checks],
    schedules=[daily_refresh_schedule()],
    sensors=[report_failed_refresh, fail_runs_of_dead_workers, raw_freshness_sensor(freshness_checks)],
    resources={
        "dlt_runner": DagsterDltResource(),
        "dbt": VsmDbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        ),
        "tracker": TrackerResource(),
        "warehouse": WarehouseResource(),
    },
)
