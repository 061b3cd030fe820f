"""Where the project's files live. Pure functions: nothing is read or created at import time."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_WAREHOUSE = "warehouse/vsm.duckdb"


def warehouse_path() -> Path:
    """The DuckDB warehouse file: `VSM_WAREHOUSE`, default `warehouse/vsm.duckdb` under the project."""
    path = Path(os.environ.get("VSM_WAREHOUSE") or DEFAULT_WAREHOUSE)
    return path if path.is_absolute() else PROJECT_ROOT / path


def dlt_pipelines_dir() -> Path:
    """dlt's state and trace files live beside the warehouse they describe."""
    return warehouse_path().parent / ".dlt_pipelines"


def dagster_storage_dir() -> Path:
    return Path(os.environ.get("VSM_DAGSTER_STORAGE") or PROJECT_ROOT / ".dagster")


DEFAULT_DLT_DUCKDB_MEMORY_LIMIT = "256MB"


def dlt_duckdb_memory_limit() -> str:
    """DuckDB's memory limit in dlt's load: `VSM_DLT_DUCKDB_MEMORY_LIMIT`.

    DuckDB's own default is 80% of RAM, which it keeps once touched; above the limit it spills to a temp
    folder beside the run's working copy instead. Under the 1.1GB the dbt build had then, the ingestion peak
    grew from ~0.8 GB at 100k issues to ~1.3 GB at 1M. Since a run that read each issue once no longer
    de-duplicates its changelog rows (`ingestion.jira.source.ReadEnd`), 256MB
    loads 1M issues with ~12 status changes each as fast as 384MB did (23-25 s) at a peak of 635 MiB instead
    of 775, about what 100k issues need (bench/notes.md, section 1b).
    """
    return os.environ.get("VSM_DLT_DUCKDB_MEMORY_LIMIT") or DEFAULT_DLT_DUCKDB_MEMORY_LIMIT
