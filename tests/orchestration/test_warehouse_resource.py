"""When a run rebuilds the warehouse from scratch: `vsm refresh --full`, the resource config, a backfill."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import Failure, MaterializeResult, asset, materialize

from orchestration import warehouse
from orchestration.resources import (
    ASSET_RESUME_RETRY_TAG,
    BACKFILL_TAG,
    WarehouseResource,
    refuse_partial_rebuild,
)


@asset
def working_copy_probe(warehouse: WarehouseResource) -> MaterializeResult:
    """Reports whether the run starts from scratch and whether its working copy holds the published rows."""
    path = warehouse.working_copy().path
    rows = 0
    if path.exists():
        with duckdb.connect(str(path), read_only=True) as connection:
            rows = connection.execute("select count(*) from marker").fetchone()[0]  # type: ignore[index]
    return MaterializeResult(metadata={"from_scratch": warehouse.from_scratch, "published_rows": rows})


def _probe(published: Path, tags: dict[str, str], full_refresh: bool = False) -> dict[str, object]:
    result = materialize(
        [working_copy_probe],
        resources={"warehouse": WarehouseResource(path=str(published), full_refresh=full_refresh)},
        tags=tags,
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "vsm.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table marker as select 1 as id")
    return path


def test_a_daily_run_works_on_a_copy_of_the_published_warehouse(published: Path) -> None:
    assert _probe(published, {}) == {"from_scratch": False, "published_rows": 1}


def test_a_backfill_run_rebuilds_from_an_empty_warehouse(published: Path) -> None:
    assert _probe(published, {BACKFILL_TAG: "abcdefgh"}) == {"from_scratch": True, "published_rows": 0}


def test_full_refresh_config_rebuilds_from_an_empty_warehouse(published: Path) -> None:
    assert _probe(published, {}, full_refresh=True) == {"from_scratch": True, "published_rows": 0}


def test_a_rebuild_re_executed_from_its_failed_step_is_refused() -> None:
    """It would start from an empty warehouse without ingesting and publish what the rest builds from it."""
    with pytest.raises(Failure, match="Launch the rebuild again with all its steps"):
        refuse_partial_rebuild("parent-run", ["vsm_dbt_models"], {})
    # "re-execute from asset failure"
    with pytest.raises(Failure, match="Launch the rebuild again with all its steps"):
        refuse_partial_rebuild("parent-run", None, {ASSET_RESUME_RETRY_TAG: "true"})


def test_a_rebuild_retried_with_all_its_steps_or_launched_fresh_goes_ahead() -> None:
    refuse_partial_rebuild("parent-run", None, {})
    refuse_partial_rebuild(None, None, {})


def test_two_warehouses_in_one_folder_keep_their_own_working_copies(tmp_path: Path) -> None:
    """Each run clears its warehouse's leftover copies: a run of another warehouse in the same folder must not
    lose its copy (it would publish yesterday's file again, or an empty one)."""
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path in (first, second):
        duckdb.connect(str(path)).close()
    copy = warehouse.open_working_copy(second, "run-b")
    warehouse.discard(first)
    assert copy.path.exists()
    assert warehouse.work_root(first) != warehouse.work_root(second)
