"""The data-quality asset checks: on the assets they judge, before publication, blocking on invariants."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    AssetSpec,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    materialize,
    multi_asset,
)
from dagster._core.execution.api import create_execution_plan

from orchestration import expectations
from orchestration.checks import (
    FINDING_CHECKS,
    RAW_CHANGELOG_ITEMS,
    RAW_ISSUES,
    RAW_STATUSES,
    dq_asset_checks,
    evaluate_findings,
    great_expectations_raw_suite,
)
from orchestration.resources import TrackerResource, WarehouseResource
from tests.dbt.crafted_warehouse import crafted_warehouse, land_raw_tables

PUBLISHED = AssetKey(["warehouse", "published"])
DEMO_AS_OF = "2026-06-30T12:00:00Z"
DEMO_ANCHOR = "2026-06-30"


@pytest.fixture(scope="module")
def defs() -> Definitions:
    from orchestration.definitions import defs

    return defs


def all_checks(defs: Definitions) -> list:
    """The project's checks plus ours, until the lead lists ours in `Definitions(asset_checks=...)`."""
    wired = list(defs.asset_checks or [])
    return wired + [check for check in dq_asset_checks if check not in wired]


@pytest.fixture(scope="module")
def full_defs(defs: Definitions) -> Definitions:
    return Definitions(
        assets=defs.assets,
        asset_checks=all_checks(defs),
        resources=defs.resources,
        executor=defs.executor,
    )


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crafted_warehouse(tmp_path_factory)


def check_keys(definitions: Definitions) -> dict[str, AssetKey]:
    graph = definitions.resolve_asset_graph()
    return {key.name: key.asset_key for key in graph.asset_check_keys}


# --- where the checks hang and when they run ----------------------------------------------------------


def test_every_section_6_check_is_an_asset_check_on_the_asset_it_judges(full_defs: Definitions) -> None:
    keys = check_keys(full_defs)
    assert keys["missing_wait_states"] == AssetKey(["marts", "metrics_flow_efficiency"])
    for name in ("unmapped_state", "inconsistent_transition"):
        assert keys[name] == AssetKey(["marts", "fct_state_intervals"])
    for name in ("unmapped_item_type", "done_without_active", "created_in_progress", "invalid_timestamp"):
        assert keys[name] == AssetKey(["marts", "fct_flow_items"])
    assert keys["incomplete_history"] == RAW_CHANGELOG_ITEMS
    assert keys["stale_source"] == RAW_ISSUES
    assert keys["great_expectations_raw_suite"] == RAW_ISSUES
    assert keys["great_expectations_staging_suite"] == AssetKey(["staging", "stg_jira__status_changes"])


def test_only_checks_that_never_return_a_non_invariant_error_are_blocking() -> None:
    blocking = {check.name: check.blocking for check in FINDING_CHECKS}
    assert blocking.pop("incomplete_history") is False  # an error for the item, not a model invariant
    assert blocking.pop("stale_source") is False  # on the raw issues, upstream of dbt
    assert all(blocking.values())
    assert all(check.severity == "warn" for check in FINDING_CHECKS if check.blocking)


def test_checks_run_after_dbt_builds_the_findings_and_before_publication(full_defs: Definitions) -> None:
    plan = create_execution_plan(full_defs.resolve_implicit_global_asset_job_def())
    upstream = {
        step.key: {
            handle.step_key
            for step_input in step.step_inputs
            for handle in step_input.get_step_output_handle_dependencies()
        }
        for step in plan.get_all_steps_in_topo_order()
    }
    assert "vsm_dbt_models" in upstream["dq_findings_checks"]
    assert {"dq_findings_checks", "raw_jira__issues_great_expectations_raw_suite"} <= upstream[
        "warehouse__published"
    ]
    assert (
        "staging__stg_jira__status_changes_great_expectations_staging_suite"
        in upstream["warehouse__published"]
    )
    # the raw suite guards dbt: a duplicate raw key stops the build before it starts
    assert "raw_jira__issues_great_expectations_raw_suite" in upstream["vsm_dbt_models"]


# --- the findings checks -------------------------------------------------------------------------------


def test_each_findings_check_fails_with_the_findings_severity_count_and_messages(crafted: Path) -> None:
    results = {result.check_name: result for result in evaluate_findings(crafted)}
    assert {name for name, result in results.items() if result.passed} == {"stale_source"}
    missing = results["missing_wait_states"]
    assert missing.severity == AssetCheckSeverity.WARN
    assert missing.metadata["count"].value == 1
    assert missing.metadata["value_streams"].value == "Operations"
    assert missing.description.startswith("Value stream `Operations` (jira) has no tool state mapped waiting")
    assert "`jira,OPS,,<state>,waiting`" in missing.metadata["sample_messages"].value
    assert results["incomplete_history"].severity == AssetCheckSeverity.ERROR
    assert all(
        results[name].severity == AssetCheckSeverity.WARN for name in results if name != "incomplete_history"
    )


def test_findings_checks_pass_on_a_warehouse_without_findings(crafted: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.duckdb"
    shutil.copy2(crafted, clean)
    with duckdb.connect(str(clean)) as connection:
        connection.execute("delete from marts.dq_findings")
    results = list(evaluate_findings(clean))
    assert len(results) == len(FINDING_CHECKS)
    assert all(result.passed for result in results)
    assert all(result.metadata["count"].value == 0 for result in results)


def test_findings_checks_run_through_dagster_on_the_runs_working_copy(crafted: Path, tmp_path: Path) -> None:
    published = tmp_path / "warehouse" / "vsm.duckdb"
    published.parent.mkdir()
    shutil.copy2(crafted, published)
    specs = [AssetSpec(key) for key in {check.asset for check in FINDING_CHECKS}]
    specs.append(AssetSpec(AssetKey(["marts", "dq_findings"])))
    result = materialize(
        [*specs, dq_asset_checks[0]],
        resources={"warehouse": WarehouseResource(path=str(published))},
        instance=DagsterInstance.ephemeral(),
        selection=AssetSelection.all_asset_checks(),
    )
    evaluations = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert set(evaluations) == {check.name for check in FINDING_CHECKS}
    assert not evaluations["missing_wait_states"].passed
    assert evaluations["missing_wait_states"].asset_key == AssetKey(["marts", "metrics_flow_efficiency"])
    assert evaluations["stale_source"].passed
    assert result.success  # WARN findings, and the non-blocking ERROR of incomplete_history, never fail a run


# --- Great Expectations --------------------------------------------------------------------------------


@pytest.fixture
def raw_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        land_raw_tables(connection)
        yield connection


def test_the_raw_suite_passes_on_clean_landed_data_and_writes_data_docs(
    crafted: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(crafted), read_only=True) as connection:
        raw = expectations.run_suite(expectations.RAW_SUITE, connection, tmp_path / "data_docs")
        staged = expectations.run_suite(expectations.STAGING_SUITE, connection)
    assert raw.passed, expectations.summarise(raw.failed)
    assert staged.passed, expectations.summarise(staged.failed)
    assert raw.data_docs_index == tmp_path / "data_docs" / "index.html"
    assert "raw_jira.issues" in raw.data_docs_index.read_text()


def test_a_duplicate_issue_id_is_a_key_failure(raw_connection: duckdb.DuckDBPyConnection) -> None:
    raw_connection.execute("insert into raw_jira.issues select * from raw_jira.issues limit 1")
    outcome = expectations.run_suite(expectations.RAW_SUITE, raw_connection)
    (failure,) = outcome.failed
    assert (failure.relation, failure.expectation, failure.is_key) == (
        "raw_jira.issues",
        "expect_column_values_to_be_unique",
        True,
    )
    assert outcome.has_key_failure


def test_a_duplicate_changelog_item_is_a_key_failure(raw_connection: duckdb.DuckDBPyConnection) -> None:
    raw_connection.execute(
        "insert into raw_jira.changelog_items select * from raw_jira.changelog_items limit 1"
    )
    (failure,) = expectations.run_suite(expectations.RAW_SUITE, raw_connection).failed
    assert failure.expectation == "expect_compound_columns_to_be_unique"
    assert failure.columns == ("issue_id", "history_id", "item_index")
    assert failure.is_key


def test_unknown_status_categories_and_unparseable_timestamps_are_warnings(
    raw_connection: duckdb.DuckDBPyConnection,
) -> None:
    raw_connection.execute(
        "update raw_jira.statuses set status_category_key = 'doing' where name = 'In Review'"
    )
    raw_connection.execute("alter table raw_jira.changelog_items alter created type varchar")
    raw_connection.execute(
        "update raw_jira.changelog_items set created = 'yesterday' where history_id = '100100'"
    )
    outcome = expectations.run_suite(expectations.RAW_SUITE, raw_connection)
    failed = {(failure.relation, failure.expectation): failure for failure in outcome.failed}
    assert set(failed) == {
        ("raw_jira.statuses", "expect_column_values_to_be_in_set"),
        ("raw_jira.changelog_items", "expect_column_values_to_be_dateutil_parseable"),
    }
    assert failed["raw_jira.statuses", "expect_column_values_to_be_in_set"].sample == ("doing",)
    assert not outcome.has_key_failure


def test_a_duplicate_staged_change_id_is_a_key_failure() -> None:
    with duckdb.connect() as connection:
        connection.execute("create schema staging")
        connection.execute(
            "create table staging.stg_jira__issues as select '1' as issue_id, 'PAY-1' as issue_key,"
            " 'done' as status_category_key, timestamp '2026-01-01 10:00:00' as created_at"
        )
        connection.execute(
            "create table staging.stg_jira__status_changes as select * from (values"
            " ('1-1', '1', 'Done', timestamp '2026-01-02 10:00:00'),"
            " ('1-1', '1', 'Done', timestamp '2026-01-02 10:00:00'))"
            " as changes (change_id, issue_id, to_status_name, changed_at)"
        )
        outcome = expectations.run_suite(expectations.STAGING_SUITE, connection)
    assert [(failure.relation, failure.is_key) for failure in outcome.failed] == [
        ("staging.stg_jira__status_changes", True)
    ]


def test_a_failed_key_expectation_stops_publication(tmp_path: Path) -> None:
    published = tmp_path / "warehouse" / "vsm.duckdb"

    @multi_asset(specs=[AssetSpec(RAW_ISSUES), AssetSpec(RAW_CHANGELOG_ITEMS), AssetSpec(RAW_STATUSES)])
    def landed(warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
        with duckdb.connect(str(warehouse.working_copy().path)) as connection:
            land_raw_tables(connection)
            connection.execute("insert into raw_jira.issues select * from raw_jira.issues limit 1")
        for key in (RAW_ISSUES, RAW_CHANGELOG_ITEMS, RAW_STATUSES):
            yield MaterializeResult(asset_key=key)

    @asset(key=PUBLISHED, deps=[RAW_ISSUES])
    def publish(warehouse: WarehouseResource) -> None:
        warehouse.publish()

    result = materialize(
        [landed, great_expectations_raw_suite, publish],
        resources={"warehouse": WarehouseResource(path=str(published))},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key == AssetCheckKey(RAW_ISSUES, "great_expectations_raw_suite")
    assert (evaluation.passed, evaluation.severity) == (False, AssetCheckSeverity.ERROR)
    assert not result.success
    assert PUBLISHED not in {event.asset_key for event in result.get_asset_materialization_events()}
    assert not published.exists()
    assert (published.parent / "data_docs" / "index.html").exists()


# --- end to end against the demo tracker ---------------------------------------------------------------


def test_a_demo_refresh_reports_the_findings_on_their_assets_and_publishes(
    defs: Definitions, tmp_path: Path
) -> None:
    published = tmp_path / "warehouse" / "vsm.duckdb"
    resources = {
        **defs.resources,
        "warehouse": WarehouseResource(path=str(published), as_of=DEMO_AS_OF),
        "tracker": TrackerResource(demo_issues=300, demo_anchor=DEMO_ANCHOR),
    }
    result = materialize(
        [*defs.assets, *all_checks(defs)],
        resources=resources,
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    evaluations = {
        evaluation.check_name: evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name
        in {check.name for check in FINDING_CHECKS}
        | {
            "great_expectations_raw_suite",
            "great_expectations_staging_suite",
        }
    }
    failed = {name for name, evaluation in evaluations.items() if not evaluation.passed}
    assert failed == {"missing_wait_states"}
    assert evaluations["missing_wait_states"].metadata["value_streams"].value == "Operations"
    assert published.exists()
    assert (published.parent / "data_docs" / "index.html").exists()
    with duckdb.connect(str(published), read_only=True) as connection:
        flagged = connection.execute(
            "select value_stream from marts.dq_findings where check_name = 'missing_wait_states'"
        ).fetchall()
    assert flagged == [("Operations",)]
