"""Automation: the daily refresh, freshness checks on the raw tables, and a clear report of failed runs."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster import (
    AssetChecksDefinition,
    AssetsDefinition,
    AssetSelection,
    DagsterEventType,
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    ScheduleDefinition,
    SensorDefinition,
    SupersessionWarning,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    define_asset_job,
    run_failure_sensor,
)

from .failures import PUBLISHED_ASSET_PATH, failure_lines, outcome
from .retries import RETRY_ALL_STEPS_TAG

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"
WRITES_WAREHOUSE_TAG = {"vsm/writes-warehouse": "true"}
# Freshness is judged on every raw table (ingestion ran) and on the published warehouse (what BI reads: a
# refresh that ingests and then fails leaves the raw assets fresh and the published file stale).
PUBLISHED_ASSET = list(PUBLISHED_ASSET_PATH)


refresh_job = define_asset_job(
    name="refresh_warehouse",
    selection=AssetSelection.all(),
    description="Ingest from the tracker, build facts and marts, run every data-quality check, publish.",
    tags={**WRITES_WAREHOUSE_TAG, **RETRY_ALL_STEPS_TAG},
)


class ScheduleSettingError(ValueError):
    """`VSM_REFRESH_CRON` or `VSM_REFRESH_TIMEZONE` holds a value the schedule cannot run on."""


def daily_refresh_schedule() -> ScheduleDefinition:
    """06:00 UTC by default; `VSM_REFRESH_CRON` and `VSM_REFRESH_TIMEZONE` change it."""
    cron = os.environ.get("VSM_REFRESH_CRON") or DEFAULT_CRON
    zone = os.environ.get("VSM_REFRESH_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleSettingError(
            f"VSM_REFRESH_TIMEZONE is {zone!r}, which is not a time zone: set an IANA name such as "
            f"Europe/Berlin or America/New_York, or unset it for {DEFAULT_TIMEZONE}"
        ) from None
    try:
        return ScheduleDefinition(
            name="daily_refresh",
            job=refresh_job,
            cron_schedule=cron,
            execution_timezone=zone,
            default_status=DefaultScheduleStatus.RUNNING,
            description="Refreshes the warehouse daily (VSM_REFRESH_CRON, VSM_REFRESH_TIMEZONE).",
        )
    except DagsterInvalidDefinitionError:
        raise ScheduleSettingError(
            f"VSM_REFRESH_CRON is {cron!r}, which is not a cron schedule: set five fields such as "
            f"'30 5 * * 1-5' (05:30 on weekdays), or unset it for {DEFAULT_CRON!r} (06:00 daily)"
        ) from None


def raw_freshness_checks(raw_assets: Sequence[AssetsDefinition]) -> Sequence[AssetChecksDefinition]:
    """Warn when a raw table (every table of `raw_assets`), or the published warehouse, was not refreshed for
    longer than a day and a half (one missed daily run).

    Dagster 1.13 prefers `FreshnessPolicy` on the asset, but only these checks show up (and can be run) as
    asset checks next to the data-quality checks; its supersession notice would print on every `vsm` command.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupersessionWarning)
        return build_last_update_freshness_checks(
            assets=[*raw_assets, PUBLISHED_ASSET], lower_bound_delta=timedelta(hours=36)
        )


def raw_freshness_sensor(checks: Sequence[AssetChecksDefinition]) -> SensorDefinition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupersessionWarning)
        return build_sensor_for_freshness_checks(
            freshness_checks=checks, default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=3600
        )


def failure_summary(context: RunFailureSensorContext) -> str:
    """The failed steps and what failed in each, in the project's words: without framework frames."""
    events = [*context.get_step_failure_events(), context.failure_event]
    return "\n".join(failure_lines(events)) or context.failure_event.message or "the run failed"


@run_failure_sensor(
    name="report_failed_refresh",
    # Every job of this code location: the scheduled refresh, and assets materialised by hand in the UI.
    default_status=DefaultSensorStatus.RUNNING,
    description="Writes a failed run's error summary into that run's own event log.",
)
def report_failed_refresh(context: RunFailureSensorContext) -> None:
    materialized = context.instance.all_logs(
        context.dagster_run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    )
    opening = outcome(entry.dagster_event for entry in materialized)
    context.instance.report_engine_event(f"{opening}\n{failure_summary(context)}", context.dagster_run)
