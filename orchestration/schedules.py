"""The daily refresh: every asset, once a day, at a configurable time and zone."""

from __future__ import annotations

import os

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"

refresh_job = define_asset_job(
    name="refresh_warehouse",
    selection=AssetSelection.all(),
    description="Ingest from the tracker, build facts and marts, run every data-quality check.",
)


def daily_refresh_schedule() -> ScheduleDefinition:
    """06:00 UTC by default; `VSM_REFRESH_CRON` and `VSM_REFRESH_TIMEZONE` change it."""
    return ScheduleDefinition(
        name="daily_refresh",
        job=refresh_job,
        cron_schedule=os.environ.get("VSM_REFRESH_CRON") or DEFAULT_CRON,
        execution_timezone=os.environ.get("VSM_REFRESH_TIMEZONE") or DEFAULT_TIMEZONE,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Refreshes the warehouse daily (VSM_REFRESH_CRON, VSM_REFRESH_TIMEZONE).",
    )
