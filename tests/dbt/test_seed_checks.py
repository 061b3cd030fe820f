"""The flow model's seeds are checked before they are used: a contradictory row fails the build by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from .crafted_warehouse import crafted_warehouse, dbt_command, dbt_vars

CHECK = "assert_flow_state_mappings_do_not_contradict"


def _check(warehouse: Path, target: Path) -> tuple[int, str]:
    result = dbt_command("test", "--select", CHECK, "--vars", dbt_vars(), warehouse=warehouse, target=target)
    return result.returncode, result.stdout


def test_the_shipped_state_mappings_do_not_contradict_each_other(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    returncode, output = _check(crafted_warehouse(tmp_path_factory), tmp_path)
    assert returncode == 0, output[-3000:]


def test_two_equally_specific_rows_mapping_one_state_two_ways_fail_the_check(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """`In Review` mapped waiting and active for the same project and any type: which would apply was an
    accident of sorting (the first flow state by name)."""
    warehouse = tmp_path / "vsm.duckdb"
    shutil.copy2(crafted_warehouse(tmp_path_factory), warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "insert into flow_model.flow_state_mappings"
            " (source, project_key, item_type, tool_state, flow_state) values"
            " ('jira', 'PAY', null, 'In Review', 'waiting'), ('jira', 'PAY', null, 'in review ', 'active')"
        )
    returncode, output = _check(warehouse, tmp_path)
    assert returncode == 1
    assert f"Failure in test {CHECK}" in output
