"""Great Expectations suites over the landed raw tables and the staged Jira tables, evaluated inside DuckDB.

dbt computes every finding about flow; these suites guard what dbt stands on: ids and timestamps present and
sane, known status categories, and unique keys. A failed key expectation (a duplicate or a null key) breaks
a model invariant, so the check that runs the suite returns an ERROR and stops publication; every other
failed expectation is a WARN. Great Expectations is imported only when a suite runs, so loading the Dagster
definitions stays fast.

Where the work happens. Great Expectations reads the warehouse through its SQL datasource and the
`duckdb-engine` SQLAlchemy dialect, so every expectation is a query DuckDB answers (counts, group-bys,
anti-joins) and only results and samples reach Python: no table is read into pandas. duckdb-engine needs one
adjustment, `_ReadOnlyDuckDB`: Great Expectations fetches a query's rows after closing the connection it ran
on, and closing rolls back, which makes DuckDB drop the pending result (great_expectations issues #10738 and
#11579: every metric fails with `IndexError`). The suites only read, so the dialect opens the file read-only
and makes begin/commit/rollback no-ops (each statement is its own transaction).

Views are evaluated once per suite. The staged relations are dbt views, which DuckDB recomputes for every
query on them (their joins, and the issues view's ranking of reloads), and Great Expectations issues about
ten queries per relation (row count, null and range counts, a grouping for a unique key, the samples). The
staging suite therefore has Great Expectations copy each batch into a temporary table first
(`create_temp_table`: one `create temporary table ... as <batch query>` per relation) and every expectation
reads the copy: the same rows, so the same verdicts, with the view evaluated once (1M issues, full refresh:
~20 s -> ~8 s). A read-only database allows temporary tables (in memory, spilling to DuckDB's temp directory
under the memory limit); one is visible only on the connection that made it, so the engine keeps exactly one
connection (`StaticPool`, as Great Expectations does for SQLite's temporary tables), and disposing of it
drops the copies. If a copy cannot be made (the view fails on these rows), that relation is read directly,
as before, so each expectation reports the failure instead of the run stopping. The raw suite reads tables
and makes no copies: a table is scanned, not recomputed, and at 1M issues copying cost more than it saved.

Timestamps. The tables' timestamp columns are `timestamp` typed in DuckDB, so a per-value parse proves
nothing; they are expected within [1990-01-01, as-of + 1 day] instead (a change before Jira existed or after
the instant the metrics describe is a clock or mapping error). A column that landed as text gets a parse
check instead (rows DuckDB cannot cast to a timestamp), the cast dbt will apply to it.

Which rows a run judges (`Scope`). A full refresh, a first run, or a run whose published warehouse has no
load history judges every row. An incremental run judges the rows of its own dlt loads: the load ids in the
working copy's `raw_jira._dlt_loads` that the published warehouse did not have (the working copy is a copy
of it, see `orchestration.warehouse`), through `_dlt_load_id` on raw tables and through the issues those
loads touched on staged tables. The reasoning:
- Non-key expectations (not null, in set, timestamps) judge single rows, so a row that passed or warned when
  it landed says the same today: only new rows need judging. Old bad rows are therefore not re-reported on
  incremental runs (their WARN was reported by the run that landed them, and a full refresh re-judges all).
- Uniqueness is a property of the whole table: a new row can collide with an old one, so the batch also
  holds every row, old or new, whose key equals a new row's key. A duplicate with at least one new row is
  then entirely inside the batch; a duplicate among old rows only cannot exist, because a key failure blocks
  publication, so the published warehouse had none. dlt merges on the key (an updated issue's old row is
  replaced), so the colliding old rows are present only when there is a duplicate: the non-key
  expectations still judge (practically) only new rows.
- A null key never equals anything, so null keys are caught among the new rows, where they landed.
The staged tables are views over the raw ones, so their rows are judged by the issues the run's loads
touched; their keys (`issue_id`, `change_id` = `issue_id-history_id`) determine the issue, so every row
sharing a key with a touched issue's row belongs to that issue and is already in the batch. A change to the
staging SQL itself is not a new load: after one, run `vsm refresh --full`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

STATUS_CATEGORIES = ("new", "indeterminate", "done")
SAMPLE_SIZE = 5
EARLIEST_TIMESTAMP = datetime(1990, 1, 1)
FUTURE_TOLERANCE = timedelta(days=1)
TIMESTAMP_TYPES = ("TIMESTAMP", "DATE")
DIALECT_NAME = "duckdb.vsm_read_only"
DUCKDB_MEMORY_LIMIT = "256MB"  # DuckDB keeps what it touched up to its limit (default 80% of RAM)
LOADS = "{loads}"  # where a table's `new_rows` predicate takes the run's load ids
ISSUES = "{issues}"  # ... and the ids of the issues those loads touched


@dataclass(frozen=True)
class Expect:
    """One expectation, as data: built into a Great Expectations expectation only when a suite runs.

    `kind` is one of `not_null`, `unique`, `compound_unique`, `in_set`, `timestamp` (within the sane range
    when the column is a timestamp; parseable as one when it landed as text).
    `is_key` marks a model invariant (a unique or non-null key): its failure is an ERROR that blocks.
    """

    kind: str
    columns: tuple[str, ...]
    values: tuple[str, ...] = ()
    is_key: bool = False


@dataclass(frozen=True)
class TableSuite:
    """The expectations for one relation, the columns they read, its key, and how to find a run's rows.

    `new_rows` is a SQL predicate on the relation selecting the rows of the loads in `{loads}` (a list of
    quoted load ids). `new_rows_hold_key_twins` says that any row sharing a key with a selected row is
    selected too (the key determines the column `new_rows` selects by), so no second lookup is needed.
    """

    relation: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    new_rows: str
    expectations: tuple[Expect, ...]
    new_rows_hold_key_twins: bool = False

    def query(self, scope: Scope, touched_issues: str = "null") -> str:
        """The batch: every row, or the run's rows plus every row whose key equals one of theirs.

        `touched_issues` is the quoted list of the issue ids the run's loads touched.
        """
        columns = ", ".join(self.columns)
        everything = f"select {columns} from {self.relation}"  # noqa: S608 (constant names)
        if scope.new_loads is None:
            return everything
        new_rows = self.new_rows.replace(LOADS, scope.loads_sql()).replace(ISSUES, touched_issues)
        if self.new_rows_hold_key_twins:
            return f"{everything} where {new_rows}"
        key = ", ".join(self.key)
        return (
            f"{everything} where ({new_rows})"  # noqa: S608 (constant names, load ids quoted)
            f" or ({key}) in (select {key} from {self.relation} where {new_rows})"
        )


@dataclass(frozen=True)
class Suite:
    """Relations judged together. `materialise_batches`: copy each batch into a temporary table once and
    judge the copy (for views, which DuckDB would otherwise recompute for every query of the suite)."""

    name: str
    tables: tuple[TableSuite, ...]
    materialise_batches: bool = False


@dataclass(frozen=True)
class Scope:
    """Which rows a run judges: every row (`new_loads` None), or those of the given dlt loads."""

    new_loads: tuple[str, ...] | None = None

    def loads_sql(self) -> str:
        quoted = ", ".join("'" + load.replace("'", "''") + "'" for load in self.new_loads or ())
        return quoted or "null"

    def describe(self) -> str:
        if self.new_loads is None:
            return "every row"
        if not self.new_loads:
            return "no new load: nothing to judge"
        return f"rows of load {', '.join(self.new_loads)} and rows sharing a key with them"


EVERY_ROW = Scope()


def scope_of_run(working_copy: Path, published: Path) -> Scope:
    """The loads in `working_copy` that `published` did not have; every row when there is no baseline.

    The baseline is missing on a first run, or when the published file has no dlt load history.
    """
    loads = "select load_id from raw_jira._dlt_loads"
    try:
        with duckdb.connect(str(published), read_only=True) as connection:
            known = {row[0] for row in connection.execute(loads).fetchall()}
    except (duckdb.IOException, duckdb.CatalogException):
        return EVERY_ROW
    with duckdb.connect(str(working_copy), read_only=True) as connection:
        current = [row[0] for row in connection.execute(f"{loads} order by load_id").fetchall()]
    return Scope(tuple(load for load in current if load not in known))


@dataclass(frozen=True)
class FailedExpectation:
    relation: str
    expectation: str
    columns: tuple[str, ...]
    unexpected_count: int
    sample: tuple[str, ...]
    is_key: bool

    def describe(self) -> str:
        if self.expectation == "expect_table_to_exist":
            return f"{self.relation}: the relation does not exist (did the load or the build run?)"
        columns = ", ".join(self.columns)
        sample = f" (e.g. {', '.join(self.sample)})" if self.sample else ""
        rows = f"{self.unexpected_count} rows"
        return f"{self.relation}: {self.expectation} on {columns} failed for {rows}{sample}"

    def as_metadata(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "expectation": self.expectation,
            "columns": list(self.columns),
            "unexpected_count": self.unexpected_count,
            "sample": list(self.sample),
            "is_key": self.is_key,
        }


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    evaluated: int
    failed: tuple[FailedExpectation, ...]
    data_docs_index: Path | None = None
    relations: tuple[str, ...] = field(default_factory=tuple)
    scope: str = EVERY_ROW.describe()

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def has_key_failure(self) -> bool:
        return any(failure.is_key for failure in self.failed)


def _not_null(*columns: str, is_key: bool = False) -> tuple[Expect, ...]:
    return tuple(Expect("not_null", (column,), is_key=is_key) for column in columns)


def _timestamps(*columns: str) -> tuple[Expect, ...]:
    return _not_null(*columns) + tuple(Expect("timestamp", (column,)) for column in columns)


RAW_NEW_ROWS = f"_dlt_load_id in ({LOADS})"
# A literal list, not a subquery: DuckDB pushes it below the staging views' window functions (~6x faster).
STAGED_NEW_ROWS = f"issue_id in ({ISSUES})"
TOUCHED_ISSUES = (
    f"select id from raw_jira.issues where _dlt_load_id in ({LOADS})"  # noqa: S608 (constant)
    f" union select issue_id from raw_jira.changelog_items where _dlt_load_id in ({LOADS})"
)

RAW_SUITE = Suite(
    name="great_expectations_raw_suite",
    tables=(
        TableSuite(
            relation="raw_jira.issues",
            columns=("id", "key", "project_key", "status_id", "status_category_key", "created", "updated"),
            key=("id",),
            new_rows=RAW_NEW_ROWS,
            expectations=(
                *_not_null("id", is_key=True),
                Expect("unique", ("id",), is_key=True),
                *_not_null("key", "project_key", "status_id", "status_category_key"),
                Expect("in_set", ("status_category_key",), STATUS_CATEGORIES),
                *_timestamps("created", "updated"),
            ),
        ),
        TableSuite(
            relation="raw_jira.changelog_items",
            columns=("issue_id", "history_id", "item_index", "field", "created"),
            key=("issue_id", "history_id", "field"),
            new_rows=RAW_NEW_ROWS,
            expectations=(
                *_not_null("issue_id", "history_id", "field", is_key=True),
                Expect("compound_unique", ("issue_id", "history_id", "field"), is_key=True),
                *_not_null("item_index"),
                *_timestamps("created"),
            ),
        ),
        TableSuite(
            relation="raw_jira.statuses",
            columns=("id", "name", "status_category_key"),
            key=("id",),
            new_rows=RAW_NEW_ROWS,
            expectations=(
                *_not_null("id", is_key=True),
                Expect("unique", ("id",), is_key=True),
                *_not_null("name", "status_category_key"),
                Expect("in_set", ("status_category_key",), STATUS_CATEGORIES),
            ),
        ),
    ),
)

STAGING_SUITE = Suite(
    name="great_expectations_staging_suite",
    materialise_batches=True,  # dbt views: evaluate each once, not once per query
    tables=(
        TableSuite(
            relation="staging.stg_jira__issues",
            columns=("issue_id", "issue_key", "status_category_key", "created_at"),
            key=("issue_id",),
            new_rows=STAGED_NEW_ROWS,
            new_rows_hold_key_twins=True,
            expectations=(
                *_not_null("issue_id", is_key=True),
                Expect("unique", ("issue_id",), is_key=True),
                *_not_null("issue_key"),
                Expect("in_set", ("status_category_key",), STATUS_CATEGORIES),
                *_timestamps("created_at"),
            ),
        ),
        TableSuite(
            relation="staging.stg_jira__status_changes",
            columns=("change_id", "issue_id", "to_status_name", "changed_at"),
            key=("change_id",),
            new_rows=STAGED_NEW_ROWS,
            new_rows_hold_key_twins=True,  # change_id is `issue_id-history_id`, ids have no '-'
            expectations=(
                *_not_null("change_id", is_key=True),
                Expect("unique", ("change_id",), is_key=True),
                *_not_null("issue_id", "to_status_name"),
                *_timestamps("changed_at"),
            ),
        ),
    ),
)


def _gx_expectation(expect: Expect, column_type: str, as_of: datetime) -> Any:
    """The Great Expectations expectation for `expect`, on a column whose DuckDB type is `column_type`."""
    import great_expectations.expectations as gxe

    meta = {"is_key": expect.is_key, "columns": list(expect.columns)}
    column = expect.columns[0]
    if expect.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta)
    if expect.kind in ("unique", "compound_unique"):
        return _unique_rows(expect, meta)
    if expect.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(expect.values), meta=meta)
    if expect.kind == "timestamp" and column_type.upper().startswith(TIMESTAMP_TYPES):
        return gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=EARLIEST_TIMESTAMP.isoformat(sep=" "),
            max_value=(as_of + FUTURE_TOLERANCE).isoformat(sep=" "),
            meta=meta,
        )
    if expect.kind == "timestamp":
        return gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                f"select {column} from {{batch}}"  # noqa: S608 (a constant column name)
                f" where {column} is not null and try_cast({column} as timestamptz) is null"
            ),
            description=f"`{column}` (landed as {column_type}) parses as a timestamp",
            meta=meta,
        )
    raise ValueError(f"unknown expectation kind {expect.kind!r}")


def _unique_rows(expect: Expect, meta: dict[str, Any]) -> Any:
    """The rows that share their key (`expect.columns`) with another row, as unexpected rows.

    Great Expectations' own uniqueness expectations count each row's key with a window or a join over the
    whole batch (13.7 s of a 1M-issue raw suite); one grouping and a semi-join find the same rows in a
    fraction. Failures are still reported under the names of those expectations (`reported_as`).
    """
    import great_expectations.expectations as gxe

    key = ", ".join(expect.columns)
    reported_as = (
        "expect_column_values_to_be_unique"
        if expect.kind == "unique"
        else "expect_compound_columns_to_be_unique"
    )
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(
            f"select {key} from {{batch}} where ({key}) in"  # noqa: S608 (constant column names)
            f" (select {key} from {{batch}} group by {key} having count(*) > 1)"
        ),
        description=f"({key}) is unique: the rows listed share their key with another row",
        meta={**meta, "reported_as": reported_as},
    )


def _read_only_dialect() -> str:
    """Register `_ReadOnlyDuckDB` with SQLAlchemy (once) and return its URL scheme."""
    from duckdb_engine import Dialect
    from sqlalchemy.dialects import registry

    if "_ReadOnlyDuckDB" not in globals():

        class _ReadOnlyDuckDB(Dialect):
            """duckdb-engine without transactions: closing a connection then keeps its pending result."""

            supports_statement_cache = False

            def do_begin(self, dbapi_connection: Any) -> None:
                pass

            def do_commit(self, dbapi_connection: Any) -> None:
                pass

            def do_rollback(self, dbapi_connection: Any) -> None:
                pass

        globals()["_ReadOnlyDuckDB"] = _ReadOnlyDuckDB
        registry.register(DIALECT_NAME, __name__, "_ReadOnlyDuckDB")
    return DIALECT_NAME.replace(".", "+")


def _context(data_docs_dir: Path | None) -> Any:
    """An ephemeral context: nothing persisted but the Data Docs, no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    if data_docs_dir is not None:
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="vsm",
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir),
                },
            },
        )
    return context


def _sample(configuration: Any, details: dict[str, Any]) -> tuple[str, ...]:
    if "not_be_null" in configuration.type:
        return ()
    unexpected = details.get("partial_unexpected_list")
    if unexpected is None:  # an unexpected-rows expectation: its rows, when the result format keeps them
        rows = (details.get("details") or {}).get("unexpected_rows") or []
        unexpected = [next(iter(row.values())) if isinstance(row, dict) else row for row in rows]
    return tuple(str(value) for value in unexpected[:SAMPLE_SIZE])


def _failures(relation: str, validation: Any) -> list[FailedExpectation]:
    """The failed expectations of one validation; `meta.is_key` says which ones are model invariants."""
    failures = []
    for result in validation.results:
        if result.success:
            continue
        configuration = result.expectation_config
        meta = configuration.meta or {}
        details = result.result or {}
        count = details.get("unexpected_count")
        if count is None:
            count = details.get("observed_value")
        failures.append(
            FailedExpectation(
                relation=relation,
                expectation=meta.get("reported_as") or configuration.type,
                columns=tuple(meta.get("columns") or ()),
                unexpected_count=int(count or 0),
                sample=_sample(configuration, details),
                is_key=bool(meta.get("is_key")),
            )
        )
    return failures


def _touched_issues(warehouse_file: Path, suite: Suite, scope: Scope) -> str:
    """The quoted ids of the issues the run's loads touched, when a table of `suite` selects by them."""
    if scope.new_loads is None or not any(ISSUES in table.new_rows for table in suite.tables):
        return "null"
    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        try:
            rows = connection.execute(TOUCHED_ISSUES.replace(LOADS, scope.loads_sql())).fetchall()
        except duckdb.CatalogException:
            return "null"
    return ", ".join("'" + str(row[0]).replace("'", "''") + "'" for row in rows) or "null"


def _column_types(warehouse_file: Path, suite: Suite) -> dict[str, dict[str, str]]:
    """Each existing relation's column types, by relation name (a missing relation is absent)."""
    types: dict[str, dict[str, str]] = {}
    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        for table in suite.tables:
            schema, name = table.relation.split(".")
            rows = connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
            if rows:
                types[table.relation] = dict(rows)
    return types


def run_suite(
    suite: Suite,
    warehouse_file: Path,
    data_docs_dir: Path | None = None,
    *,
    scope: Scope = EVERY_ROW,
    as_of: datetime | None = None,
) -> SuiteOutcome:
    """Validate the rows of `scope` in every relation of `suite`; write Data Docs when a folder is given.

    `as_of` (naive UTC; default now) bounds timestamps from above. A relation that does not exist counts as
    one failed (non-key) expectation: the suite says what is missing instead of failing the run.
    """
    as_of = as_of or datetime.now(UTC).replace(tzinfo=None)  # the warehouse stores naive UTC
    types = _column_types(warehouse_file, suite)
    touched_issues = _touched_issues(warehouse_file, suite, scope)
    table_queries = {table.relation: table.query(scope, touched_issues) for table in suite.tables}
    context = _context(data_docs_dir)
    datasource = _add_datasource(context, suite.name, warehouse_file, suite.materialise_batches)
    direct = (  # reads a relation directly when its batch cannot be copied
        _add_datasource(context, f"{suite.name}.direct", warehouse_file, materialise_batches=False)
        if suite.materialise_batches
        else None
    )
    try:
        failures, evaluated = _validate(
            context, datasource, direct, suite, types, table_queries, as_of, data_docs_dir
        )
    finally:
        # Close every connection now: the run's next step may open the file for writing.
        for source in (datasource, direct):
            if source is not None:
                source.get_execution_engine().engine.dispose()
                source.get_engine().dispose()
    index = (
        data_docs_dir / "index.html" if data_docs_dir and (data_docs_dir / "index.html").exists() else None
    )
    return SuiteOutcome(
        suite=suite.name,
        evaluated=evaluated,
        failed=tuple(failures),
        data_docs_index=index,
        relations=tuple(table.relation for table in suite.tables),
        scope=scope.describe(),
    )


def _add_datasource(context: Any, name: str, warehouse_file: Path, materialise_batches: bool) -> Any:
    """A read-only SQL datasource on the warehouse; with `materialise_batches`, each batch is copied into a
    temporary table once and every expectation reads the copy."""
    from sqlalchemy.pool import StaticPool

    return context.data_sources.add_sql(
        name=name,
        connection_string=f"{_read_only_dialect()}:///{warehouse_file}",
        create_temp_table=materialise_batches,
        kwargs={
            "connect_args": {"read_only": True, "config": {"memory_limit": DUCKDB_MEMORY_LIMIT}},
            "poolclass": StaticPool,  # one connection: a temporary table is visible only on its own
        },
    )


def _validate(
    context: Any,
    datasource: Any,
    direct: Any | None,
    suite: Suite,
    types: dict[str, dict[str, str]],
    table_queries: dict[str, str],
    as_of: datetime,
    data_docs_dir: Path | None,
) -> tuple[list[FailedExpectation], int]:
    """Run one checkpoint per relation; the failed expectations and how many were evaluated.

    `direct`, when `datasource` copies batches, reads the relations without a copy: a relation whose batch
    DuckDB cannot copy (the view fails on these rows, or the copy runs out of memory) is judged through it,
    as it would be without copies, so each expectation reports what it can instead of the run failing.
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from sqlalchemy.exc import DBAPIError

    failures: list[FailedExpectation] = []
    evaluated = 0
    for table in suite.tables:
        if table.relation not in types:
            failures.append(
                FailedExpectation(table.relation, "expect_table_to_exist", (), 1, (), is_key=False)
            )
            evaluated += 1
            continue
        column_types = types[table.relation]
        expectation_suite = context.suites.add(
            gx.ExpectationSuite(
                name=f"{suite.name}.{table.relation}",
                expectations=[
                    _gx_expectation(expect, column_types.get(expect.columns[0], ""), as_of)
                    for expect in table.expectations
                ],
            )
        )
        actions = [UpdateDataDocsAction(name="data_docs", site_names=["vsm"])] if data_docs_dir else []
        query = table_queries[table.relation]
        try:
            result = _run_checkpoint(
                context, datasource, suite, table.relation, query, expectation_suite, actions
            )
        except DBAPIError:
            if direct is None:
                raise
            result = _run_checkpoint(
                context, direct, suite, table.relation, query, expectation_suite, actions, " (read directly)"
            )
        for validation in result.run_results.values():
            evaluated += len(validation.results)
            failures.extend(_failures(table.relation, validation))
    return failures, evaluated


def _run_checkpoint(
    context: Any,
    datasource: Any,
    suite: Suite,
    relation: str,
    query: str,
    expectation_suite: Any,
    actions: list[Any],
    label: str = "",
) -> Any:
    """Validate the batch `query` of `relation` through `datasource`; the checkpoint's result."""
    import great_expectations as gx

    batch = datasource.add_query_asset(name=relation, query=query).add_batch_definition_whole_table(
        "rows in scope"
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{relation}{label}", data=batch, suite=expectation_suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite.name}.{relation}{label}", validation_definitions=[definition], actions=actions
        )
    )
    return checkpoint.run()


def summarise(failures: Sequence[FailedExpectation], limit: int = 3) -> str:
    """The first failures as one readable paragraph, key failures first."""
    ordered = sorted(failures, key=lambda failure: (not failure.is_key, failure.relation))
    lines = [failure.describe() for failure in ordered[:limit]]
    more = len(ordered) - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)
