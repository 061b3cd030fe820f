"""Data-quality checks of spec section 6 as Dagster asset checks, on the assets they judge.

dbt has already computed every finding in `marts.dq_findings`; a check here only reads the findings of its
`check_name` from the run's working copy and reports them on its asset with their severity, count, value
streams and first messages (each message says what to change). No metric is computed in Python.

Blocking follows the spec: a finding never stops the run unless it is an error on a model's own invariants.
- The nine finding checks run in one step (`dq_findings_checks`). The WARN-only ones are declared
  `blocking`: Dagster then runs them before any asset downstream of the asset they judge (so before
  `warehouse/published`), and a WARN result never stops anything. `incomplete_history` (an ERROR for the
  item, not a model invariant) and `stale_source` (on the raw issues, upstream of dbt) are not blocking.
- The Great Expectations suites (`great_expectations_raw_suite`, `great_expectations_staging_suite`) are
  blocking: a duplicate or null key is a model invariant, an ERROR that stops publication; any other failed
  expectation is a WARN. They judge the rows of the run's own loads (every row on `--full`), see
  `orchestration.expectations`.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from . import expectations
from .resources import WarehouseResource, normalise_as_of

DQ_FINDINGS = AssetKey(["marts", "dq_findings"])
FCT_FLOW_ITEMS = AssetKey(["marts", "fct_flow_items"])
FCT_STATE_INTERVALS = AssetKey(["marts", "fct_state_intervals"])
METRICS_FLOW_EFFICIENCY = AssetKey(["marts", "metrics_flow_efficiency"])
RAW_ISSUES = AssetKey(["raw_jira", "issues"])
RAW_CHANGELOG_ITEMS = AssetKey(["raw_jira", "changelog_items"])
RAW_STATUSES = AssetKey(["raw_jira", "statuses"])
STG_ISSUES = AssetKey(["staging", "stg_jira__issues"])
STG_STATUS_CHANGES = AssetKey(["staging", "stg_jira__status_changes"])

SAMPLE_MESSAGES = 5
DESCRIPTION_MESSAGES = 3
DATA_DOCS_DIR_NAME = "data_docs"


@dataclass(frozen=True)
class FindingCheck:
    """One check of spec section 6: its stable name, the asset it judges, and whether it gates publication."""

    name: str
    asset: AssetKey
    severity: str
    blocking: bool
    description: str


FINDING_CHECKS: tuple[FindingCheck, ...] = (
    FindingCheck(
        "missing_wait_states",
        METRICS_FLOW_EFFICIENCY,
        "warn",
        True,
        "A value stream whose tool states in use include no waiting state, or whose items completed in the "
        "last 90 days show flow efficiency >= 0.99: its flow efficiency is blindness, not speed.",
    ),
    FindingCheck(
        "unmapped_state",
        FCT_STATE_INTERVALS,
        "warn",
        True,
        "Tool states that map to no flow state, with the items affected.",
    ),
    FindingCheck(
        "inconsistent_transition",
        FCT_STATE_INTERVALS,
        "warn",
        True,
        "Status changes whose `from` disagrees with the state the history had the item in.",
    ),
    FindingCheck(
        "unmapped_item_type",
        FCT_FLOW_ITEMS,
        "warn",
        True,
        "Item types that map to no flow item type: their items are left out of every metric.",
    ),
    FindingCheck(
        "done_without_active",
        FCT_FLOW_ITEMS,
        "warn",
        True,
        "Flow items that reached done without an active stay (no active time).",
    ),
    FindingCheck(
        "created_in_progress",
        FCT_FLOW_ITEMS,
        "warn",
        True,
        "Flow items created directly in a waiting or active state (flow time starts at creation).",
    ),
    FindingCheck(
        "invalid_timestamp",
        FCT_FLOW_ITEMS,
        "warn",
        True,
        "Items or status changes dated in the future or before the item's creation.",
    ),
    FindingCheck(
        "incomplete_history",
        RAW_CHANGELOG_ITEMS,
        "error",
        False,
        "Items whose loaded changelog is shorter than the tracker reported: an error for those items "
        "(their intervals may be wrong), not a model invariant, so it does not stop publication.",
    ),
    FindingCheck(
        "stale_source",
        RAW_ISSUES,
        "warn",
        False,
        "The newest raw record is older than var `stale_source_hours` before as-of.",
    ),
)


@dataclass(frozen=True)
class Finding:
    severity: str
    value_stream: str | None
    item_key: str | None
    message: str


def read_findings(connection: duckdb.DuckDBPyConnection, check_name: str) -> list[Finding]:
    """The findings of one check, errors first, then by value stream and item."""
    rows = connection.execute(
        """
        select severity, value_stream, item_key, message
        from marts.dq_findings
        where check_name = $check_name
        order by severity = 'error' desc, value_stream nulls last, item_key nulls last, message
        """,
        {"check_name": check_name},
    ).fetchall()
    return [Finding(*row) for row in rows]


def finding_result(check: FindingCheck, findings: Sequence[Finding]) -> AssetCheckResult:
    """The check's result: passed when dbt found nothing; else the findings' severity, count and messages."""
    value_streams = sorted({finding.value_stream for finding in findings if finding.value_stream})
    is_error = any(finding.severity == "error" for finding in findings)
    messages = [finding.message for finding in findings]
    if findings:
        shown = messages[:DESCRIPTION_MESSAGES]
        more = len(messages) - len(shown)
        description = "\n".join(shown) + (f"\n(+{more} more findings in marts.dq_findings)" if more else "")
    else:
        description = f"No {check.name} finding."
    by_value_stream: dict[str, int] = {}
    for finding in findings:
        key = finding.value_stream or "(none)"
        by_value_stream[key] = by_value_stream.get(key, 0) + 1
    return AssetCheckResult(
        check_name=check.name,
        asset_key=check.asset,
        passed=not findings,
        severity=AssetCheckSeverity.ERROR if is_error else AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "count": MetadataValue.int(len(findings)),
            "value_streams": MetadataValue.text(", ".join(value_streams)),
            "findings_by_value_stream": MetadataValue.json(by_value_stream),
            "sample_messages": MetadataValue.md(
                "\n".join(f"- {message}" for message in messages[:SAMPLE_MESSAGES]) or "(none)"
            ),
            "findings_table": MetadataValue.text("marts.dq_findings"),
        },
    )


def evaluate_findings(
    warehouse_file: Path, checks: Sequence[FindingCheck] = FINDING_CHECKS
) -> list[AssetCheckResult]:
    """One result per check, read from `marts.dq_findings` of `warehouse_file` (read-only)."""
    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        return [finding_result(check, read_findings(connection, check.name)) for check in checks]


@multi_asset_check(
    name="dq_findings_checks",
    specs=[
        AssetCheckSpec(
            name=check.name,
            asset=check.asset,
            description=f"[{check.severity}] {check.description}",
            additional_deps=[DQ_FINDINGS],
            blocking=check.blocking,
            metadata={"severity": check.severity, "source": "marts.dq_findings"},
        )
        for check in FINDING_CHECKS
    ],
    can_subset=True,
    compute_kind="duckdb",
    description="Reports the findings dbt wrote to marts.dq_findings on the assets they judge.",
)
def dq_findings_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    selected = {key.name for key in context.selected_asset_check_keys}
    checks = [check for check in FINDING_CHECKS if check.name in selected]
    yield from evaluate_findings(warehouse.working_copy().path, checks)


def data_docs_dir(warehouse: WarehouseResource) -> Path:
    """Data Docs live beside the published warehouse file, so they outlive the run's working copy."""
    return warehouse.published_path().parent / DATA_DOCS_DIR_NAME


def suite_result(outcome: expectations.SuiteOutcome) -> AssetCheckResult:
    """A suite's result: ERROR when a key expectation failed (blocking), WARN for any other failure."""
    metadata: dict[str, MetadataValue] = {
        "evaluated_expectations": MetadataValue.int(outcome.evaluated),
        "failed_expectations": MetadataValue.int(len(outcome.failed)),
        "relations": MetadataValue.text(", ".join(outcome.relations)),
        "rows_judged": MetadataValue.text(outcome.scope),
        "failures": MetadataValue.json([failure.as_metadata() for failure in outcome.failed]),
    }
    if outcome.data_docs_index is not None:
        metadata["data_docs"] = MetadataValue.path(str(outcome.data_docs_index))
    description = (
        f"All {outcome.evaluated} expectations passed."
        if outcome.passed
        else expectations.summarise(outcome.failed)
    )
    return AssetCheckResult(
        passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR if outcome.has_key_failure else AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def run_suite_on(warehouse: WarehouseResource, suite: expectations.Suite) -> AssetCheckResult:
    """Run `suite` on the run's working copy: every row on a full refresh, else the rows of its loads."""
    working_copy = warehouse.working_copy().path
    scope = (
        expectations.EVERY_ROW
        if warehouse.from_scratch
        else expectations.scope_of_run(working_copy, warehouse.published_path())
    )
    as_of = datetime.fromisoformat(normalise_as_of(warehouse.as_of)) if warehouse.as_of else None
    outcome = expectations.run_suite(suite, working_copy, data_docs_dir(warehouse), scope=scope, as_of=as_of)
    return suite_result(outcome)


@asset_check(
    asset=RAW_ISSUES,
    name="great_expectations_raw_suite",
    additional_deps=[RAW_CHANGELOG_ITEMS, RAW_STATUSES],
    blocking=True,
    compute_kind="great_expectations",
    description=(
        "Great Expectations over the landed raw tables (issues, changelog items, statuses), evaluated in "
        "DuckDB on the rows this run loaded (every row on a full refresh): ids present, timestamps in a sane "
        "range, known status categories, keys unique against the whole table. A duplicate or null key is "
        "an ERROR that stops publication; other failures are WARN. Data Docs: <warehouse dir>/data_docs/."
    ),
)
def great_expectations_raw_suite(warehouse: WarehouseResource) -> AssetCheckResult:
    return run_suite_on(warehouse, expectations.RAW_SUITE)


@asset_check(
    asset=STG_STATUS_CHANGES,
    name="great_expectations_staging_suite",
    additional_deps=[STG_ISSUES],
    blocking=True,
    compute_kind="great_expectations",
    description=(
        "Great Expectations over the staged Jira issues and status changes of the issues this run loaded "
        "(every row on a full refresh), evaluated in DuckDB: unique, non-null issue_id and change_id, "
        "timestamps in a sane range, known status categories. A duplicate or null key is an ERROR that "
        "stops publication; other failures are WARN. Data Docs: <warehouse dir>/data_docs/."
    ),
)
def great_expectations_staging_suite(warehouse: WarehouseResource) -> AssetCheckResult:
    return run_suite_on(warehouse, expectations.STAGING_SUITE)


dq_asset_checks: list[AssetChecksDefinition] = [
    dq_findings_checks,
    great_expectations_raw_suite,
    great_expectations_staging_suite,
]
