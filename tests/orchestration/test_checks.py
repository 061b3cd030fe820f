"""The data-quality asset checks: on the assets they judge, before publication, blocking on invariants."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

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
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
from tests.dbt.crafted_warehouse import AS_OF, LOAD_ID, crafted_warehouse, land_raw_tables

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


NEW_LOAD = "1767312000.0"  # a day after the crafted organisation's load (LOAD_ID)
CLEAN_AS_OF = datetime.fromisoformat(AS_OF)


@pytest.fixture
def raw_file(tmp_path: Path) -> Path:
    """The crafted organisation's raw tables, landed by one load, in a warehouse file."""
    path = tmp_path / "vsm.duckdb"
    with duckdb.connect(str(path)) as connection:
        land_raw_tables(connection)
        connection.execute("create table raw_jira._dlt_loads (load_id varchar, status bigint)")
        connection.execute("insert into raw_jira._dlt_loads values (?, 0)", [LOAD_ID])
    return path


def execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as connection:
        for statement in statements:
            connection.execute(statement)


def land_next_load(published: Path, working_copy: Path, *statements: str) -> None:
    """The next run's working copy: the published file plus load NEW_LOAD made of `statements`.

    In the statements, `{load}` stands for the new load's id (quoted).
    """
    shutil.copy2(published, working_copy)
    load = f"'{NEW_LOAD}'"
    execute(
        working_copy,
        f"insert into raw_jira._dlt_loads values ({load}, 0)",
        *(statement.format(load=load) for statement in statements),
    )


def raw_outcome(path: Path, scope: expectations.Scope = expectations.EVERY_ROW) -> expectations.SuiteOutcome:
    return expectations.run_suite(expectations.RAW_SUITE, path, scope=scope, as_of=CLEAN_AS_OF)


def test_the_raw_suite_passes_on_clean_landed_data_and_writes_data_docs(
    crafted: Path, tmp_path: Path
) -> None:
    raw = expectations.run_suite(expectations.RAW_SUITE, crafted, tmp_path / "data_docs", as_of=CLEAN_AS_OF)
    staged = expectations.run_suite(expectations.STAGING_SUITE, crafted, as_of=CLEAN_AS_OF)
    assert raw.passed, expectations.summarise(raw.failed)
    assert staged.passed, expectations.summarise(staged.failed)
    assert (raw.evaluated, staged.evaluated) == (23, 12)
    assert raw.data_docs_index == tmp_path / "data_docs" / "index.html"
    assert "raw_jira.issues" in raw.data_docs_index.read_text()


def test_a_duplicate_issue_id_is_a_key_failure(raw_file: Path) -> None:
    execute(raw_file, "insert into raw_jira.issues select * from raw_jira.issues where key = 'PAY-2'")
    outcome = raw_outcome(raw_file)
    (failure,) = outcome.failed
    assert (failure.relation, failure.expectation, failure.is_key) == (
        "raw_jira.issues",
        "expect_column_values_to_be_unique",
        True,
    )
    assert failure.unexpected_count == 2
    assert outcome.has_key_failure


def test_a_duplicate_changelog_item_is_a_key_failure(raw_file: Path) -> None:
    execute(
        raw_file,
        "insert into raw_jira.changelog_items"
        " select * from raw_jira.changelog_items where history_id = '100100'",
    )
    (failure,) = raw_outcome(raw_file).failed
    assert failure.expectation == "expect_compound_columns_to_be_unique"
    assert failure.columns == ("issue_id", "history_id", "field")
    assert failure.is_key


def test_a_null_key_is_a_key_failure(raw_file: Path) -> None:
    execute(raw_file, "update raw_jira.changelog_items set history_id = null where history_id = '100100'")
    (failure,) = raw_outcome(raw_file).failed
    assert (failure.expectation, failure.columns, failure.is_key) == (
        "expect_column_values_to_not_be_null",
        ("history_id",),
        True,
    )


@pytest.mark.parametrize(
    ("defect", "relation", "expectation", "columns", "sample"),
    [
        (
            "update raw_jira.issues set project_key = null where key = 'PAY-2'",
            "raw_jira.issues",
            "expect_column_values_to_not_be_null",
            ("project_key",),
            (),
        ),
        (
            "update raw_jira.statuses set status_category_key = 'doing' where name = 'In Review'",
            "raw_jira.statuses",
            "expect_column_values_to_be_in_set",
            ("status_category_key",),
            ("doing",),
        ),
        (
            "update raw_jira.issues set created = timestamp '1989-12-31 23:00' where key = 'PAY-2'",
            "raw_jira.issues",
            "expect_column_values_to_be_between",
            ("created",),
            ("1989-12-31 23:00:00",),
        ),
        (  # after as-of + 1 day: a clock or time zone error
            "update raw_jira.changelog_items set created = timestamp '2026-03-02 01:00'"
            " where history_id = '100100'",
            "raw_jira.changelog_items",
            "expect_column_values_to_be_between",
            ("created",),
            ("2026-03-02 01:00:00",),
        ),
    ],
    ids=["not_null", "in_set", "timestamp_before_1990", "timestamp_after_as_of"],
)
def test_each_expectation_kind_warns_about_a_crafted_bad_row(
    raw_file: Path,
    defect: str,
    relation: str,
    expectation: str,
    columns: tuple[str, ...],
    sample: tuple[str, ...],
) -> None:
    execute(raw_file, defect)
    outcome = raw_outcome(raw_file)
    (failure,) = outcome.failed
    assert (failure.relation, failure.expectation, failure.columns) == (relation, expectation, columns)
    assert (failure.unexpected_count, failure.sample) == (1, sample)
    assert not outcome.has_key_failure


def test_a_timestamp_landed_as_text_is_checked_for_parsing_instead(raw_file: Path) -> None:
    execute(
        raw_file,
        "alter table raw_jira.changelog_items alter created type varchar",
        "update raw_jira.changelog_items set created = '2026-01-02T10:00:00.000+0200'"
        " where history_id = '100101'",
        "update raw_jira.changelog_items set created = 'yesterday' where history_id = '100100'",
    )
    (failure,) = raw_outcome(raw_file).failed
    assert (failure.relation, failure.expectation, failure.columns) == (
        "raw_jira.changelog_items",
        "unexpected_rows_expectation",
        ("created",),
    )
    assert failure.unexpected_count == 1
    assert not failure.is_key


def test_a_missing_relation_is_one_failed_non_key_expectation(raw_file: Path) -> None:
    execute(raw_file, "drop table raw_jira.statuses")
    outcome = raw_outcome(raw_file)
    (failure,) = outcome.failed
    assert (failure.relation, failure.expectation, failure.is_key) == (
        "raw_jira.statuses",
        "expect_table_to_exist",
        False,
    )
    assert outcome.evaluated == 23 - len(expectations.RAW_SUITE.tables[2].expectations) + 1


# The staging schema with one issue, for suites run on hand-made staged changes.
ONE_STAGED_ISSUE = (
    "create schema staging",
    "create table staging.stg_jira__issues as select '1' as issue_id, 'PAY-1' as issue_key,"
    " 'done' as status_category_key, timestamp '2026-01-01 10:00:00' as created_at",
)


def test_a_duplicate_staged_change_id_is_a_key_failure(tmp_path: Path) -> None:
    path = tmp_path / "vsm.duckdb"
    execute(
        path,
        *ONE_STAGED_ISSUE,
        "create table staging.stg_jira__status_changes as select * from (values"
        " ('1-1', '1', 'Done', timestamp '2026-01-02 10:00:00'),"
        " ('1-1', '1', 'Done', timestamp '2026-01-02 10:00:00'))"
        " as changes (change_id, issue_id, to_status_name, changed_at)",
    )
    outcome = expectations.run_suite(expectations.STAGING_SUITE, path, as_of=CLEAN_AS_OF)
    assert [(failure.relation, failure.is_key) for failure in outcome.failed] == [
        ("staging.stg_jira__status_changes", True)
    ]


def verdicts(outcome: expectations.SuiteOutcome) -> list[tuple[Any, ...]]:
    """Each failure's relation, expectation, columns, count and key flag, and its sample sorted."""
    return [
        (
            failure.relation,
            failure.expectation,
            failure.columns,
            failure.unexpected_count,
            failure.is_key,
            sorted(failure.sample),
        )
        for failure in outcome.failed
    ]


def test_the_staging_suite_evaluates_each_view_once_with_the_verdicts_of_reading_it_directly(
    crafted: Path, tmp_path: Path
) -> None:
    path = tmp_path / "vsm.duckdb"
    shutil.copy2(crafted, path)
    first_change = (
        "from raw_jira.changelog_items where field = 'status' order by issue_id, history_id limit 1"
    )
    execute(
        path,
        "update raw_jira.changelog_items set to_string = null where field = 'status' and issue_id = '1001'",
        "update raw_jira.changelog_items set created = timestamp '1980-01-01'"
        " where field = 'status' and issue_id = '1002'",
        # two staged changes with one change_id ('9-1-<history id>'): a key failure
        f"insert into raw_jira.changelog_items select * replace ('9-1' as issue_id) {first_change}",
        "insert into raw_jira.changelog_items"
        f" select * replace ('9' as issue_id, '1-' || history_id as history_id) {first_change}",
        "update raw_jira.issues set status_category_key = 'doing' where key = 'PAY-2'",
    )
    statements: list[str] = []

    def record(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        copied = expectations.run_suite(expectations.STAGING_SUITE, path, as_of=CLEAN_AS_OF)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    direct = expectations.run_suite(
        replace(expectations.STAGING_SUITE, materialise_batches=False), path, as_of=CLEAN_AS_OF
    )
    assert verdicts(copied) == verdicts(direct)
    assert (copied.evaluated, copied.has_key_failure) == (direct.evaluated, True)
    assert {failure.expectation for failure in copied.failed} == {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
    }
    for relation in ("staging.stg_jira__issues", "staging.stg_jira__status_changes"):
        assert sum(relation in statement for statement in statements) == 1, relation


def test_a_staged_view_that_cannot_be_evaluated_fails_its_expectations_not_the_run(tmp_path: Path) -> None:
    path = tmp_path / "vsm.duckdb"
    execute(
        path,
        *ONE_STAGED_ISSUE,
        "create table staging.changes as select * from (values"
        " ('1-1', '1', 'Done', '2026-01-02 10:00:00'), ('1-2', '1', 'Done', 'not a time'))"
        " as changes (change_id, issue_id, to_status_name, changed_at)",
        "create view staging.stg_jira__status_changes as select change_id, issue_id, to_status_name,"
        " cast(changed_at as timestamp) as changed_at from staging.changes",
    )
    outcome = expectations.run_suite(expectations.STAGING_SUITE, path, as_of=CLEAN_AS_OF)
    direct = expectations.run_suite(
        replace(expectations.STAGING_SUITE, materialise_batches=False), path, as_of=CLEAN_AS_OF
    )
    assert verdicts(outcome) == verdicts(direct)
    assert {failure.relation for failure in outcome.failed} == {"staging.stg_jira__status_changes"}
    # Every expectation reading the rows fails; the key's uniqueness reads only the key, which evaluates.
    assert len(outcome.failed) == len(expectations.STAGING_SUITE.tables[1].expectations) - 1
    assert "expect_column_values_to_be_unique" not in {failure.expectation for failure in outcome.failed}
    assert outcome.has_key_failure


# --- Great Expectations on an incremental run: the rows of the run's own loads ---------------------------


def test_the_run_judges_the_loads_the_published_warehouse_did_not_have(
    raw_file: Path, tmp_path: Path
) -> None:
    working_copy = tmp_path / "working.duckdb"
    land_next_load(raw_file, working_copy)
    assert expectations.scope_of_run(working_copy, raw_file) == expectations.Scope((NEW_LOAD,))
    assert expectations.scope_of_run(raw_file, raw_file) == expectations.Scope(())
    # a first run, or a published file without dlt's load history: every row
    assert expectations.scope_of_run(working_copy, tmp_path / "absent.duckdb") == expectations.EVERY_ROW
    execute(raw_file, "drop table raw_jira._dlt_loads")
    assert expectations.scope_of_run(working_copy, raw_file) == expectations.EVERY_ROW


def test_an_incremental_run_warns_about_its_new_bad_rows_and_not_about_old_ones(
    raw_file: Path, tmp_path: Path
) -> None:
    execute(raw_file, "update raw_jira.issues set project_key = null where key = 'PAY-2'")  # reported before
    working_copy = tmp_path / "working.duckdb"
    land_next_load(
        raw_file,
        working_copy,
        "update raw_jira.issues set status_category_key = 'doing', _dlt_load_id = {load} where key = 'PAY-3'",
    )
    outcome = raw_outcome(working_copy, expectations.Scope((NEW_LOAD,)))
    (failure,) = outcome.failed
    assert (failure.expectation, failure.columns, failure.sample) == (
        "expect_column_values_to_be_in_set",
        ("status_category_key",),
        ("doing",),
    )
    assert "expect_column_values_to_not_be_null" in {f.expectation for f in raw_outcome(working_copy).failed}


def test_a_new_row_reusing_an_old_key_is_a_key_failure_on_an_incremental_run(
    raw_file: Path, tmp_path: Path
) -> None:
    working_copy = tmp_path / "working.duckdb"
    land_next_load(
        raw_file,
        working_copy,
        "insert into raw_jira.issues select * replace ({load} as _dlt_load_id) from raw_jira.issues"
        " where key = 'PAY-2'",
        "insert into raw_jira.changelog_items select * replace ({load} as _dlt_load_id)"
        " from raw_jira.changelog_items where history_id = '100100'",
    )
    outcome = raw_outcome(working_copy, expectations.Scope((NEW_LOAD,)))
    assert {
        (failure.expectation, failure.unexpected_count, failure.is_key) for failure in outcome.failed
    } == {
        ("expect_column_values_to_be_unique", 2, True),
        ("expect_compound_columns_to_be_unique", 2, True),
    }


def test_a_run_without_a_new_load_judges_no_row_and_passes(raw_file: Path) -> None:
    execute(raw_file, "update raw_jira.issues set project_key = null where key = 'PAY-2'")
    outcome = raw_outcome(raw_file, expectations.Scope(()))
    assert outcome.passed
    assert outcome.evaluated == 23
    assert outcome.scope == "no new load: nothing to judge"


def test_the_staged_rows_judged_are_those_of_the_issues_the_run_loaded(
    raw_file: Path, tmp_path: Path
) -> None:
    working_copy = tmp_path / "working.duckdb"
    land_next_load(
        raw_file,
        working_copy,
        "update raw_jira.changelog_items set _dlt_load_id = {load} where issue_id = '1003'",
        "create schema staging",
        "create table staging.stg_jira__issues as select id as issue_id, key as issue_key,"
        " status_category_key, created as created_at from raw_jira.issues",
        "create table staging.stg_jira__status_changes as select issue_id || '-' || history_id as change_id,"
        " issue_id, to_string as to_status_name, created as changed_at from raw_jira.changelog_items",
        # an old issue's bad staged row (not this run's) and a bad row of the issue the run loaded
        "update staging.stg_jira__status_changes set to_status_name = null"
        " where issue_id in ('1002', '1003')",
    )
    outcome = expectations.run_suite(
        expectations.STAGING_SUITE, working_copy, scope=expectations.Scope((NEW_LOAD,)), as_of=CLEAN_AS_OF
    )
    (failure,) = outcome.failed
    assert (failure.relation, failure.columns) == ("staging.stg_jira__status_changes", ("to_status_name",))
    with duckdb.connect(str(working_copy), read_only=True) as connection:
        (changes,) = connection.execute(
            "select count(*) from raw_jira.changelog_items where issue_id = '1003'"
        ).fetchone()
    assert failure.unexpected_count == changes


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


def run_raw_suite_through_dagster(
    published: Path, land: Callable[[duckdb.DuckDBPyConnection], None], *, full_refresh: bool = False
) -> Any:
    """A run whose load NEW_LOAD does `land` in its working copy, then checks the raw tables and publishes."""

    @multi_asset(specs=[AssetSpec(RAW_ISSUES), AssetSpec(RAW_CHANGELOG_ITEMS), AssetSpec(RAW_STATUSES)])
    def landed(warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
        with duckdb.connect(str(warehouse.working_copy().path)) as connection:
            land(connection)
        for key in (RAW_ISSUES, RAW_CHANGELOG_ITEMS, RAW_STATUSES):
            yield MaterializeResult(asset_key=key)

    @asset(key=PUBLISHED, deps=[RAW_ISSUES])
    def publish(warehouse: WarehouseResource) -> None:
        warehouse.publish()

    return materialize(
        [landed, great_expectations_raw_suite, publish],
        resources={
            "warehouse": WarehouseResource(path=str(published), as_of=AS_OF, full_refresh=full_refresh)
        },
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_a_daily_run_judges_only_its_own_load_and_a_full_refresh_judges_everything(
    raw_file: Path, tmp_path: Path
) -> None:
    published = tmp_path / "warehouse" / "vsm.duckdb"
    published.parent.mkdir()
    shutil.copy2(raw_file, published)
    execute(published, "update raw_jira.issues set project_key = null where key = 'PAY-2'")  # an old WARN

    def land_an_update(connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute("insert into raw_jira._dlt_loads values (?, 0)", [NEW_LOAD])
        connection.execute("update raw_jira.issues set _dlt_load_id = ? where key = 'PAY-3'", [NEW_LOAD])

    daily = run_raw_suite_through_dagster(published, land_an_update)
    (evaluation,) = daily.get_asset_check_evaluations()
    assert daily.success
    assert evaluation.passed
    assert NEW_LOAD in evaluation.metadata["rows_judged"].value

    def land_everything_again(connection: duckdb.DuckDBPyConnection) -> None:
        land_raw_tables(connection)
        connection.execute("update raw_jira.issues set project_key = null where key = 'PAY-2'")

    full = run_raw_suite_through_dagster(published, land_everything_again, full_refresh=True)
    (evaluation,) = full.get_asset_check_evaluations()
    assert (evaluation.passed, evaluation.severity) == (False, AssetCheckSeverity.WARN)
    assert evaluation.metadata["rows_judged"].value == "every row"
    assert full.success  # a WARN never blocks publication


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
