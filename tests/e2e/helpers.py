"""Running `vsm` as a user would, against temporary warehouses and a small, fixed demo organisation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

AS_OF = "2026-06-30T12:00:00Z"
ANCHOR = "2026-06-30"
DEMO_ISSUES = "600"
MARTS = [
    "fct_state_intervals",
    "fct_flow_items",
    "metrics_flow_velocity",
    "metrics_flow_time",
    "metrics_flow_efficiency",
    "metrics_flow_load",
    "metrics_flow_distribution",
    "metrics_bottlenecks",
    "flow_item_analyzer",
    "metrics_flow_summary",
]


def vsm_environment(warehouse: Path, storage: Path) -> dict[str, str]:
    return {
        **os.environ,
        "VSM_WAREHOUSE": str(warehouse),
        "VSM_DAGSTER_STORAGE": str(storage),
        "VSM_DAGSTER_COMPUTE_LOGS": str(storage / "logs"),
        "VSM_DEMO_ISSUES": DEMO_ISSUES,
        "VSM_DEMO_ANCHOR": ANCHOR,
    }


def vsm(*args: str, warehouse: Path, storage: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "vsm"), *args]
    return subprocess.run(
        command,
        env=vsm_environment(warehouse, storage),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every published mart, row for row, in a stable order."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            mart: connection.execute(f"select * from marts.{mart} order by all").fetchall() for mart in MARTS
        }
