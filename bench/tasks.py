"""The measured work, each run in a fresh interpreter by `bench.proc.run_task` so its RSS is its own.

`python -m bench.tasks NAME JSON_ARGUMENTS RESULT_PATH` runs `NAME(**arguments)` and writes its JSON result.
Imports are inside the tasks: the source's reader processes import this module again as their main module,
and in a refresh their main module is the `vsm` script, which imports nothing heavy.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _fresh(directory: str) -> Path:
    path = Path(directory)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _pipeline(work: Path, name: str, memory_limit: bool = True) -> Any:
    """A dlt pipeline into `work/raw.duckdb`, with the memory limit a refresh sets (or DuckDB's default)."""
    import dlt
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    from orchestration.paths import dlt_duckdb_memory_limit

    credentials = DuckDbCredentials(str(work / "raw.duckdb"))
    if memory_limit:
        credentials.global_config = {"memory_limit": dlt_duckdb_memory_limit()}
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(work / "dlt"),
        destination=dlt.destinations.duckdb(credentials),
        dataset_name="raw_jira",
    )


def _step_seconds(pipeline: Any) -> dict[str, float]:
    """extract / normalize / load durations from dlt's trace: where the time went."""
    trace = pipeline.last_trace
    steps: dict[str, float] = {}
    for step in trace.steps if trace else []:
        if step.finished_at and step.started_at:
            steps[step.step] = round((step.finished_at - step.started_at).total_seconds(), 2)
    return steps


def _counts(work: Path, tables: list[str]) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(work / "raw.duckdb"), read_only=True) as connection:
        return {
            table: int(connection.execute(f"select count(*) from raw_jira.{table}").fetchone()[0])  # type: ignore[index]
            for table in tables
        }


def ingest_source(url: str, issues: int, work: str) -> dict[str, Any]:
    """The Jira source (Arrow pages) into a fresh DuckDB file, exactly as a refresh configures dlt."""
    import dlt

    from ingestion.jira import jira_source

    from .progress import Progress
    from .replay import CREDENTIALS

    directory = _fresh(work)
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    pipeline = _pipeline(directory, "bench_source")
    progress = Progress("source", issues)
    started, cpu_started = time.perf_counter(), time.process_time()
    pipeline.run(jira_source(base_url=url, progress=progress, **CREDENTIALS))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "run_cpu_seconds": time.process_time() - cpu_started,
        "steps": _step_seconds(pipeline),
        "rows": _counts(directory, ["issues", "changelog_items"]),
    }


def ingest_naive_dlt(url: str, issues: int, work: str) -> dict[str, Any]:
    """The baseline: the same pages' raw issue dicts (complete changelog) with dlt's default nesting."""
    import dlt

    from ingestion.jira.pages import JiraSettings, build_jql, connect
    from ingestion.jira.pages import _complete_changelogs as complete_changelogs
    from ingestion.jira.pages import _merge_histories as merge_histories
    from ingestion.jira.pages import _search_pages as search_pages

    from .progress import Progress
    from .replay import CREDENTIALS

    directory = _fresh(work)
    progress = Progress("naive dlt", issues)

    @dlt.resource(name="issues", primary_key="id", write_disposition="merge")
    def raw_issues() -> Iterator[list[dict[str, Any]]]:
        instance = connect(JiraSettings(base_url=url, **CREDENTIALS))
        count = 0
        for page in search_pages(instance, build_jql((), None, instance.time_zone), 100):
            fetched = complete_changelogs(instance, page)
            for issue in page:
                more = fetched.get(str(issue["id"]))
                if more is not None:
                    changelog = issue["changelog"]
                    changelog["histories"] = merge_histories(changelog["histories"], more)
            count += len(page)
            progress.update(count)
            yield page

    pipeline = _pipeline(directory, "bench_naive", memory_limit=False)  # dlt as it comes
    started = time.perf_counter()
    pipeline.run(raw_issues())
    seconds = time.perf_counter() - started
    import duckdb

    with duckdb.connect(str(directory / "raw.duckdb"), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_jira'"
            ).fetchall()
        ]
    return {"seconds": seconds, "steps": _step_seconds(pipeline), "tables": sorted(tables)}


# The native-engine reference: DuckDB reads the recorded JSON and unnests it into the same two tables.
_DUCKDB_SQL = """
create table search_issues as
select unnest(issues) as issue
from read_json(
    '{pages}/search-*.json', columns = {{issues: 'JSON[]'}}, format = 'auto', maximum_object_size = 268435456
)
where issues is not null;

create table bulk_histories as
select log ->> 'issueId' as issue_id, unnest(from_json(log -> 'changeHistories', '["JSON"]')) as history
from (
    select unnest(issueChangeLogs) as log
    from read_json(
        '{pages}/bulk-*.json', columns = {{issueChangeLogs: 'JSON[]'}}, maximum_object_size = 268435456
    )
    where issueChangeLogs is not null
);

create table issues as
select
    issue ->> 'id' as id,
    issue ->> 'key' as key,
    issue ->> '$.fields.project.id' as project_id,
    issue ->> '$.fields.project.key' as project_key,
    issue ->> '$.fields.project.name' as project_name,
    issue ->> '$.fields.issuetype.id' as issue_type_id,
    issue ->> '$.fields.issuetype.name' as issue_type_name,
    coalesce(cast(issue ->> '$.fields.issuetype.subtask' as boolean), false) as is_subtask,
    issue ->> '$.fields.status.id' as status_id,
    issue ->> '$.fields.status.name' as status_name,
    issue ->> '$.fields.status.statusCategory.key' as status_category_key,
    issue ->> '$.fields.resolution.name' as resolution_name,
    cast(cast(issue ->> '$.fields.resolutiondate' as timestamptz) as timestamp) as resolution_date,
    cast(cast(issue ->> '$.fields.created' as timestamptz) as timestamp) as created,
    cast(cast(issue ->> '$.fields.updated' as timestamptz) as timestamp) as updated,
    left(issue ->> '$.fields.summary', 1000) as summary,
    issue -> '$.fields.labels' as labels,
    issue -> '$.fields.components[*].name' as components,
    issue -> '$.fields.fixVersions[*].name' as fix_versions,
    issue ->> '$.fields.parent.id' as parent_id,
    issue ->> '$.fields.parent.key' as parent_key,
    coalesce(json_array_length(issue -> '$.fields.{flagged}') > 0, false) as is_flagged,
    issue ->> '$.fields.assignee.accountId' as assignee_account_id,
    issue ->> '$.fields.assignee.displayName' as assignee_name,
    cast(issue ->> '$.changelog.total' as bigint) as changelog_total
from search_issues;

create table changelog_items as
with histories as (
    select
        issue ->> 'id' as issue_id,
        unnest(from_json(issue -> '$.changelog.histories', '["JSON"]')) as history
    from search_issues
    union all
    select issue_id, history from bulk_histories
),
items as (
    select
        issue_id,
        history ->> 'id' as history_id,
        cast(cast(history ->> 'created' as timestamptz) as timestamp) as created,
        history ->> '$.author.accountId' as author_account_id,
        history ->> '$.author.displayName' as author_name,
        unnest(from_json(history -> 'items', '["JSON"]')) as item,
        generate_subscripts(from_json(history -> 'items', '["JSON"]'), 1) - 1 as item_index
    from histories
)
select distinct on (issue_id, history_id, item_index)
    issue_id, history_id, item_index, created, author_account_id, author_name,
    item ->> 'field' as field, item ->> 'fieldId' as field_id,
    item ->> 'from' as from_value, item ->> 'fromString' as from_string,
    item ->> 'to' as to_value, item ->> 'toString' as to_string
from items
where lower(item ->> 'field') in ('status', 'flagged', 'resolution', 'issuetype', 'labels', 'project');
"""


def ingest_duckdb(pages: str, work: str, flagged: str, threads: int = 2) -> dict[str, Any]:
    """DuckDB's own read_json + unnest of the recorded pages into `issues` and `changelog_items`."""
    import duckdb

    directory = _fresh(work)
    started = time.perf_counter()
    with duckdb.connect(str(directory / "native.duckdb")) as connection:
        connection.execute(f"set threads = {threads}; set timezone = 'UTC'")
        connection.execute(_DUCKDB_SQL.format(pages=pages, flagged=flagged))
        connection.execute("drop table search_issues; drop table bulk_histories")
        rows = {
            table: int(connection.execute(f"select count(*) from {table}").fetchone()[0])  # type: ignore[index]
            for table in ("issues", "changelog_items")
        }
    return {"seconds": time.perf_counter() - started, "rows": rows}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest_source": ingest_source,
    "ingest_naive_dlt": ingest_naive_dlt,
    "ingest_duckdb": ingest_duckdb,
}


def main() -> None:
    name, arguments, result_path = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = TASKS[name](**arguments)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["max_rss_bytes"] = usage.ru_maxrss * 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result_path.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
