"""The one Dagster `Definitions` of the warehouse: raw tables -> staging -> facts -> marts -> checks."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from .assets import dbt_project, jira_raw_tables, vsm_dbt_models
from .resources import TrackerResource, WarehouseResource
from .schedules import daily_refresh_schedule, refresh_job

defs = Definitions(
    assets=[jira_raw_tables, vsm_dbt_models],
    jobs=[refresh_job],
    schedules=[daily_refresh_schedule()],
    resources={
        "dlt_runner": DagsterDltResource(),
        "dbt": DbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        ),
        "tracker": TrackerResource(),
        "warehouse": WarehouseResource(),
    },
)
