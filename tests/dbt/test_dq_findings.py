"""dq_findings over a crafted organisation: each check fires on its crafted item, clean ones stay silent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration import paths

from .crafted_warehouse import CRAFTED_ITEMS, crafted_warehouse, dbt_command, dbt_vars


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crafted_warehouse(tmp_path_factory)


def findings(warehouse: Path, where: str = "true") -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select check_name, severity, value_stream, item_key, message from marts.dq_findings"
            f" where {where} order by check_name, value_stream, item_key"
        ).fetchall()


@pytest.mark.parametrize(("check_name", "item_key"), sorted(CRAFTED_ITEMS.items()))
def test_each_item_check_fires_on_its_crafted_item_only(
    warehouse: Path, check_name: str, item_key: str
) -> None:
    rows = findings(warehouse, f"check_name = '{check_name}'")
    assert [row[2] for row in rows] == ["Payments"], rows
    if rows[0][3] is not None:  # per-item checks name the item; mapping checks name the state or type
        assert rows[0][3] == item_key
    assert "dbt_project/seeds/" in rows[0][4] or check_name in {"incomplete_history", "invalid_timestamp"}


def test_unmapped_state_and_item_type_name_what_to_map(warehouse: Path) -> None:
    (state,) = findings(warehouse, "check_name = 'unmapped_state'")
    (item_type,) = findings(warehouse, "check_name = 'unmapped_item_type'")
    assert "`Legacy Limbo`" in state[4]
    assert "`jira,PAY,,Legacy Limbo,<new|waiting|active|done|canceled>`" in state[4]
    assert "`Spike`" in item_type[4]
    # The suggested row has the seed's seven columns, so pasting it builds.
    header = (paths.DBT_PROJECT_DIR / "seeds" / "flow_item_type_mappings.csv").read_text().splitlines()[0]
    suggested = "jira,PAY,Spike,,,,<feature|defect|risk|debt|none>"
    assert f"`{suggested}` to dbt_project/seeds/flow_item_type_mappings.csv" in item_type[4]
    assert len(suggested.split(",")) == len(header.split(","))


def test_incomplete_history_is_an_error_for_the_item(warehouse: Path) -> None:
    (row,) = findings(warehouse, "check_name = 'incomplete_history'")
    assert row[1] == "error"
    assert "reported 5 history entries but 3 were loaded" in row[4]


def test_the_clean_value_stream_has_no_finding(warehouse: Path) -> None:
    assert findings(warehouse, "value_stream = 'Mobile'") == []


def test_the_value_stream_without_waiting_states_has_exactly_the_missing_wait_states_finding(
    warehouse: Path,
) -> None:
    assert [row[:3] for row in findings(warehouse, "value_stream = 'Operations'")] == [
        ("missing_wait_states", "warn", "Operations")
    ]
    assert [row[2] for row in findings(warehouse, "check_name = 'missing_wait_states'")] == ["Operations"]


def test_missing_wait_states_names_workflows_states_and_the_seed_row_to_add(warehouse: Path) -> None:
    ((*_, message),) = findings(warehouse, "check_name = 'missing_wait_states'")
    assert message.startswith("Value stream `Operations` (jira) has no tool state mapped waiting")
    assert "Workflows without a waiting state: `Bug` (states `Open`, `In Progress`, `Resolved`)" in message
    assert "`Story` (states `Open`, `In Progress`)" in message
    assert "`In Progress` (active, 2 items, " in message
    assert "`jira,OPS,,<state>,waiting` to dbt_project/seeds/flow_state_mappings.csv" in message


def test_stale_source_is_silent_within_the_limit_and_fires_past_it(warehouse: Path, tmp_path: Path) -> None:
    assert findings(warehouse, "check_name = 'stale_source'") == []
    copy = tmp_path / "warehouse" / "vsm.duckdb"
    copy.parent.mkdir()
    shutil.copy2(warehouse, copy)
    result = dbt_command(
        "run", "-s", "dq_findings", "--vars", dbt_vars(stale_source_hours=6), warehouse=copy, target=tmp_path
    )
    assert result.returncode == 0, result.stdout[-3000:]
    ((_, severity, value_stream, _, message),) = findings(copy, "check_name = 'stale_source'")
    assert (severity, value_stream) == ("warn", "all")
    assert "12.0 hours before as-of (limit 6 h, var stale_source_hours)" in message


def test_dbt_source_freshness_uses_the_stale_source_limit() -> None:
    manifest = json.loads((paths.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    source = manifest["sources"]["source.vsm.raw_jira.issues"]
    project = yaml.safe_load((paths.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    freshness = source.get("freshness") or source["config"]["freshness"]
    assert freshness["warn_after"] == {"count": project["vars"]["stale_source_hours"], "period": "hour"}
    assert source["loaded_at_field"] == "updated"
