"""Every dbt unit test (the SQL of each rule on hand-written rows) passes.

Refreshes leave them out (`vsm refresh` builds with `--exclude-resource-type unit_test`: they check the SQL,
not the data), so this is where they run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .crafted_warehouse import crafted_warehouse, dbt_command, dbt_vars


def test_every_dbt_unit_test_passes(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    warehouse = crafted_warehouse(tmp_path_factory)
    result = dbt_command(
        "test", "--select", "test_type:unit", "--vars", dbt_vars(), warehouse=warehouse, target=tmp_path
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    run = json.loads((tmp_path / "target" / "run_results.json").read_text())
    statuses = {row["unique_id"]: row["status"] for row in run["results"]}
    assert set(statuses) == set(manifest["unit_tests"]), "every unit test in the project ran"
    assert set(statuses.values()) == {"pass"}
