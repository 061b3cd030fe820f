"""Shared test setup: every test runs against temporary warehouses and Dagster storage, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.cli import ensure_dbt_manifest


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the warehouse and Dagster storage at a session temp dir, and make sure dbt is parsed."""
    root = tmp_path_factory.mktemp("vsm")
    saved = dict(os.environ)
    os.environ.update(
        {
            "VSM_WAREHOUSE": str(root / "warehouse" / "vsm.duckdb"),
            "VSM_DAGSTER_STORAGE": str(root / "dagster"),
            "VSM_DAGSTER_COMPUTE_LOGS": str(root / "dagster" / "compute_logs"),
            "DAGSTER_TELEMETRY_DISABLED": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    trackers = ("SOURCES__JIRA__", "SOURCES__GITHUB__", "SOURCES__GITLAB__")
    for name in [key for key in os.environ if key.startswith(trackers)]:
        del os.environ[name]
    ensure_dbt_manifest()
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
