"""Great Expectations suites over the landed raw tables and the staged Jira tables.

dbt computes every finding about flow; these suites guard what dbt stands on: ids and timestamps present and
parseable, known status categories, and unique keys. A failed key expectation (a duplicate or a null key)
breaks a model invariant, so the check that runs the suite returns an ERROR and stops publication; every
other failed expectation is a WARN. The suites run on pandas frames read from the warehouse with DuckDB
(`.df()`): at a tracker's scale that is cheap and needs no SQLAlchemy driver. Great Expectations is imported
only when a suite runs, so loading the Dagster definitions stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

STATUS_CATEGORIES = ("new", "indeterminate", "done")
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Expect:
    """One expectation, as data: built into a Great Expectations expectation only when a suite runs.

    `kind` is one of `not_null`, `unique`, `compound_unique`, `in_set`, `parseable` (dateutil-parseable;
    the table's query renders timestamps as text so a column landed as text is judged the same way).
    `is_key` marks a model invariant (a unique or non-null key): its failure is an ERROR that blocks.
    """

    kind: str
    columns: tuple[str, ...]
    values: tuple[str, ...] = ()
    is_key: bool = False


@dataclass(frozen=True)
class TableSuite:
    """The expectations for one relation, and the query that reads the columns they judge."""

    relation: str
    query: str
    expectations: tuple[Expect, ...]


@dataclass(frozen=True)
class Suite:
    name: str
    tables: tuple[TableSuite, ...]


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

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def has_key_failure(self) -> bool:
        return any(failure.is_key for failure in self.failed)


def _not_null(*columns: str, is_key: bool = False) -> tuple[Expect, ...]:
    return tuple(Expect("not_null", (column,), is_key=is_key) for column in columns)


def _timestamps(*columns: str) -> tuple[Expect, ...]:
    return _not_null(*columns) + tuple(Expect("parseable", (column,)) for column in columns)


RAW_SUITE = Suite(
    name="great_expectations_raw_suite",
    tables=(
        TableSuite(
            relation="raw_jira.issues",
            query=(
                "select id, key, project_key, status_id, status_category_key,"
                " cast(created as varchar) as created, cast(updated as varchar) as updated"
                " from raw_jira.issues"
            ),
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
            query=(
                "select issue_id, history_id, item_index, field, cast(created as varchar) as created"
                " from raw_jira.changelog_items"
            ),
            expectations=(
                *_not_null("issue_id", "history_id", "item_index", is_key=True),
                Expect("compound_unique", ("issue_id", "history_id", "item_index"), is_key=True),
                *_not_null("field"),
                *_timestamps("created"),
            ),
        ),
        TableSuite(
            relation="raw_jira.statuses",
            query="select id, name, status_category_key from raw_jira.statuses",
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
    tables=(
        TableSuite(
            relation="staging.stg_jira__issues",
            query=(
                "select issue_id, issue_key, status_category_key, cast(created_at as varchar) as created_at"
                " from staging.stg_jira__issues"
            ),
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
            query=(
                "select change_id, issue_id, to_status_name, cast(changed_at as varchar) as changed_at"
                " from staging.stg_jira__status_changes"
            ),
            expectations=(
                *_not_null("change_id", is_key=True),
                Expect("unique", ("change_id",), is_key=True),
                *_not_null("issue_id", "to_status_name"),
                *_timestamps("changed_at"),
            ),
        ),
    ),
)


def _gx_expectation(expect: Expect) -> Any:
    import great_expectations.expectations as gxe

    meta = {"is_key": expect.is_key}
    column = expect.columns[0]
    if expect.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta)
    if expect.kind == "unique":
        return gxe.ExpectColumnValuesToBeUnique(column=column, meta=meta)
    if expect.kind == "compound_unique":
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(expect.columns), meta=meta)
    if expect.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(expect.values), meta=meta)
    if expect.kind == "parseable":
        return gxe.ExpectColumnValuesToBeDateutilParseable(column=column, meta=meta)
    raise ValueError(f"unknown expectation kind {expect.kind!r}")


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


def _failures(relation: str, validation: Any) -> list[FailedExpectation]:
    """The failed expectations of one validation; `meta.is_key` says which ones are model invariants."""
    failures = []
    for result in validation.results:
        if result.success:
            continue
        configuration = result.expectation_config
        kwargs = configuration.kwargs
        details = result.result or {}
        unexpected = [] if "not_be_null" in configuration.type else details.get("partial_unexpected_list")
        sample = tuple(str(value) for value in (unexpected or [])[:SAMPLE_SIZE])
        failures.append(
            FailedExpectation(
                relation=relation,
                expectation=configuration.type,
                columns=tuple(kwargs.get("column_list") or [kwargs.get("column")]),
                unexpected_count=int(details.get("unexpected_count") or 0),
                sample=sample,
                is_key=bool((configuration.meta or {}).get("is_key")),
            )
        )
    return failures


def run_suite(
    suite: Suite, connection: duckdb.DuckDBPyConnection, data_docs_dir: Path | None = None
) -> SuiteOutcome:
    """Validate every relation of `suite` read through `connection`; write Data Docs when a folder is given.

    A relation that does not exist counts as one failed (non-key) expectation: the suite says what is
    missing instead of failing the run.
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    context = _context(data_docs_dir)
    datasource = context.data_sources.add_pandas(name=suite.name)
    failures: list[FailedExpectation] = []
    evaluated = 0
    for table in suite.tables:
        try:
            frame = connection.execute(table.query).df()
        except duckdb.CatalogException:
            failures.append(
                FailedExpectation(table.relation, "expect_table_to_exist", (), 1, (), is_key=False)
            )
            evaluated += 1
            continue
        batch = datasource.add_dataframe_asset(name=table.relation).add_batch_definition_whole_dataframe(
            "all_rows"
        )
        expectation_suite = context.suites.add(
            gx.ExpectationSuite(
                name=f"{suite.name}.{table.relation}",
                expectations=[_gx_expectation(expect) for expect in table.expectations],
            )
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=table.relation, data=batch, suite=expectation_suite)
        )
        actions = [UpdateDataDocsAction(name="data_docs", site_names=["vsm"])] if data_docs_dir else []
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{suite.name}.{table.relation}", validation_definitions=[definition], actions=actions
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        for validation in result.run_results.values():
            evaluated += len(validation.results)
            failures.extend(_failures(table.relation, validation))
    index = (
        data_docs_dir / "index.html" if data_docs_dir and (data_docs_dir / "index.html").exists() else None
    )
    return SuiteOutcome(
        suite=suite.name,
        evaluated=evaluated,
        failed=tuple(failures),
        data_docs_index=index,
        relations=tuple(table.relation for table in suite.tables),
    )


def summarise(failures: Sequence[FailedExpectation], limit: int = 3) -> str:
    """The first failures as one readable paragraph, key failures first."""
    ordered = sorted(failures, key=lambda failure: (not failure.is_key, failure.relation))
    lines = [failure.describe() for failure in ordered[:limit]]
    more = len(ordered) - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)
