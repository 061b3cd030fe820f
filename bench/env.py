"""Where the benchmarks work, and what machine and software they measured."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / "work"
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
NOTES_PATH = BENCH_DIR / "notes.md"
VENV_BIN = Path(sys.executable).parent

# Every scenario reads the same deterministic organisation, anchored on a fixed day.
SEED = 7
ANCHOR = "2026-11-01T00:00:00+00:00"
AS_OF = "2026-11-01T00:00:00Z"
# The incremental run's as-of: after the daily change (anchor + 12 h + up to one hour).
INCREMENTAL_AS_OF = "2026-11-02T00:00:00Z"
CHANGED_FRACTION = 0.01

PACKAGES = ("dlt", "duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "dagster-dlt", "pyarrow")


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages, recorded with every measurement (2 cores: 2.0 is busy)."""
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    memory = psutil.virtual_memory().total
    return {
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False)} physical)",
        "memory": f"{memory / 2**30:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
