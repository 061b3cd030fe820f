"""One clean refresh of the fixed demo organisation, shared by the end-to-end tests as their reference."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import AS_OF, vsm


@pytest.fixture(scope="session")
def refreshed(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("e2e")
    warehouse, storage = root / "vsm.duckdb", root / "dagster"
    result = vsm("refresh", "--as-of", AS_OF, warehouse=warehouse, storage=storage)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return warehouse, storage, result
