"""The `jira_source` dlt source: its resources, the incremental cursor and the scope listing.

Imported on first use of `ingestion.jira.jira_source` (see the package's `__init__`), so that the reader
processes, which import the package for `pages` and `helpers`, do not pay for importing dlt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ingestion import ProgressCallback

from . import settings
from .helpers import CHANGELOG_SCHEMA, OVERRIDE_FIELDS_SCHEMA, JiraError, to_table
from .pages import (
    JiraSettings,
    ReadPlan,
    _Instance,
    _scope_pages,
    build_jql,
    connect,
    expected_count,
    read_batches,
)

logger = logging.getLogger(__name__)

# Issue ids per item of the scope listing, and how often a long listing logs its progress.
SCOPE_BATCH_IDS = 50_000
LISTING_PROGRESS_SECONDS = 5.0
# Source state key: how many issues the last scope listing (or full read) found.
SCOPE_COUNT_STATE = "issues_in_scope"
# Source state key: the ids of the fields SOURCES__JIRA__OVERRIDE_FIELDS named at the last run.
OVERRIDE_FIELDS_STATE = "override_field_ids"
# Source state key: the id of the Flagged field the last run read the flag from.
FLAGGED_FIELD_STATE = "flagged_field_id"


# dlt's table hint that the staged rows are unique by primary key, so its merge needs no de-duplication.
STAGED_UNIQUE_HINT = "x-stage-data-deduplicated"


class _ReadIds:
    """The ids of the issues a run read, as compact Arrow strings (~12 MB at 1M issues), to tell whether
    the search returned any issue twice."""

    def __init__(self) -> None:
        self._batches: list[Any] = []

    def add(self, issue_ids: list[str]) -> None:
        import pyarrow as pa

        self._batches.append(pa.array(issue_ids, pa.string()))

    def each_once(self) -> bool:
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.chunked_array(self._batches, pa.string())
        return pc.count_distinct(ids).as_py() == len(ids)


def naive_utc_columns(*names: str) -> dict[str, dict[str, Any]]:
    """Timestamps the source already converted to UTC: stored without a zone, as the contract says."""
    return {name: {"data_type": "timestamp", "timezone": False, "nullable": True} for name in names}


def newest_wins(name: str) -> dict[str, dict[str, Any]]:
    """A naive UTC timestamp by which dlt's merge keeps the newest of the rows that share a primary key."""
    return {name: {**naive_utc_columns(name)[name], "dedup_sort": "desc"}}


def text_columns(*names: str) -> dict[str, dict[str, Any]]:
    """Columns that exist even when a whole load has only nulls in them (staging selects them)."""
    return {name: {"data_type": "text", "nullable": True} for name in names}


@dataclass
class ScopeListing:
    """Ids of issues the tracker lists in scope now, for the `issue_scope` table.

    `unchanged_before` is when the listing started, less the overlap window (clock skew between this machine
    and Jira): an issue missing from the listing has vanished only if Jira last changed it before then, since
    an issue created or moved in while the listing ran may be missing from it legitimately.
    """

    issue_ids: list[str]
    listed_at: datetime
    unchanged_before: datetime


@dataclass
class ReadEnd:
    """Sent after a run's last page: whether the search returned every issue once.

    It does unless an issue moved (or changed its sort position) while the search paged; then dlt's merge
    must keep one row per key of the staged changelog. When each issue came once, the staged rows are
    already unique by key (the flatteners land a history once per issue and a field once per history), and
    the merge can skip its de-duplication: a window over every staged row, ~36 s of a 1M-issue load.
    """

    each_issue_once: bool


@dataclass
class IssuePage:
    """A batch of issues with complete changelogs, flattened for the `issues` and `changelog_items` tables."""

    issues: Any  # pa.Table
    changelog: Any  # pa.Table
    field_values: Any  # pa.Table
    scope: ScopeListing | None = None


def scope_table(listing: ScopeListing) -> Any:
    import pyarrow as pa

    count = len(listing.issue_ids)
    return pa.table(
        {
            "id": pa.array(listing.issue_ids, pa.string()),
            "listed_at": pa.array([listing.listed_at] * count, pa.timestamp("us")),
            "unchanged_before": pa.array([listing.unchanged_before] * count, pa.timestamp("us")),
        }
    )


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _list_scope(jira: _Instance, state: dict[str, Any], config: JiraSettings) -> Iterator[ScopeListing]:
    """After an incremental read: list the ids of every issue in scope, so deleted and moved issues show.

    A listing that finds nothing where the last one found issues stops the run: lost permissions or a changed
    project list look exactly like that, and publishing it would empty every metric.
    """
    listed_at = _utc_now()
    unchanged_before = listed_at - timedelta(minutes=config.overlap_minutes)
    jql = build_jql(config.projects, None, jira.time_zone)
    batch: list[str] = []
    total = 0
    started = reported = time.perf_counter()
    for ids in _scope_pages(jira, jql):
        batch.extend(ids)
        total += len(ids)
        if (now := time.perf_counter()) - reported >= LISTING_PROGRESS_SECONDS:
            logger.info("Jira: listing the issues in scope, %d ids in %.0f s", total, now - started)
            reported = now
        if len(batch) >= SCOPE_BATCH_IDS:
            yield ScopeListing(batch, listed_at, unchanged_before)
            batch = []
    before = int(state.get(SCOPE_COUNT_STATE) or 0)
    if total == 0 and before:
        raise JiraError(
            f"Jira lists no issues in scope ({jql}) although the last refresh found {before}. The API user "
            "may have lost access, or SOURCES__JIRA__PROJECTS changed. Nothing was published; if the issues "
            "really are gone, run `vsm refresh --full`."
        )
    yield ScopeListing(batch, listed_at, unchanged_before)
    logger.info("Jira lists %d issues in scope (was %d)", total, before)
    state[SCOPE_COUNT_STATE] = total


def _project_pages(jira: _Instance) -> Iterator[list[dict[str, Any]]]:
    """The projects the API user can see: Cloud's paged `project/search`; Data Center's `project` list, which
    has no paged variant (`project/search` is Cloud only)."""
    if not jira.is_cloud:
        projects = jira.client.get(settings.DATACENTER_PROJECTS)
        yield projects if isinstance(projects, list) else []
        return
    start = 0
    while True:
        page = jira.client.get(settings.CLOUD_PROJECTS, startAt=start, maxResults=50)
        values = page.get("values") or []
        yield values
        start += len(values)
        if not values or page.get("isLast", True):
            return


@dlt.source(name="raw_jira", section="jira", max_table_nesting=0)
def jira_source(
    base_url: str = dlt.config.value,
    email: str | None = None,
    api_token: TSecretStrValue | None = None,
    personal_access_token: TSecretStrValue | None = None,
    projects: str | list[str] | None = None,
    deployment: str = "auto",
    overlap_minutes: int = settings.DEFAULT_OVERLAP_MINUTES,
    page_size: int = settings.SEARCH_PAGE_SIZE,
    browse_url: str | None = None,
    request_timeout: float = settings.REQUEST_TIMEOUT_SECONDS,
    progress: ProgressCallback | None = None,
    reader_process: bool = True,
    override_fields: str | list[str] | None = None,
) -> Sequence[DltResource]:
    """Issues, their status/flag/resolution changes, and the status, type and project catalogs.

    Configuration comes from dlt config and secrets: `SOURCES__JIRA__BASE_URL`, `SOURCES__JIRA__EMAIL`,
    `SOURCES__JIRA__API_TOKEN` (Cloud) or `SOURCES__JIRA__PERSONAL_ACCESS_TOKEN` (Data Center),
    optional `SOURCES__JIRA__PROJECTS` (comma-separated keys) and `SOURCES__JIRA__DEPLOYMENT`;
    `SOURCES__JIRA__OVERRIDE_FIELDS` (comma-separated field names or ids) lands those fields' values in
    `issue_field_values`, for the flow model's field overrides.
    `browse_url` is the address people open items at (default: `base_url`), stored as `instance_url`.
    `reader_process` reads and flattens the pages in a second process (see `pages.read_batches`); off, the
    same work runs in this one.
    """
    instance_url = (browse_url or base_url).rstrip("/")
    if isinstance(projects, str):
        projects = [key.strip() for key in projects.split(",") if key.strip()]
    if isinstance(override_fields, str):
        override_fields = [name.strip() for name in override_fields.split(",") if name.strip()]
    config = JiraSettings(
        base_url=base_url,
        email=email,
        api_token=api_token,
        personal_access_token=personal_access_token,
        projects=tuple(projects or ()),
        deployment=deployment,
        overlap_minutes=overlap_minutes,
        page_size=min(max(page_size, 1), settings.SEARCH_PAGE_SIZE),
        request_timeout=request_timeout,
        override_fields=tuple(override_fields or ()),
    )
    instance_holder: list[_Instance] = []

    def instance() -> _Instance:
        if not instance_holder:
            instance_holder.append(connect(config))
        return instance_holder[0]

    @dlt.resource(name="issue_pages", selected=False)
    def issue_pages() -> Iterator[IssuePage]:
        state = dlt.current.source_state()
        cursor = state.get("updated_cursor")
        jira = instance()
        override_field_ids = [field_id for field_id, _ in jira.override_fields]
        if cursor and set(override_field_ids) - set(state.get(OVERRIDE_FIELDS_STATE) or []):
            # Values of a newly named field exist only for issues read from now on: read them all again.
            # (A field taken off the list needs no read: staging reads only the fields named now.)
            logger.info("SOURCES__JIRA__OVERRIDE_FIELDS names a new field: reading every issue again")
            cursor = None
        # A state from before this key was kept read the field found by its display name.
        flagged_before = state.get(FLAGGED_FIELD_STATE, jira.flagged_field_id_by_name)
        if cursor and flagged_before != jira.flagged_field_id:
            # The issues read before carry the flag of another field (or none): read them all again.
            logger.info(
                "Jira's Flagged field is now %s (was %s): reading every issue again",
                jira.flagged_field_id or "missing",
                flagged_before or "missing",
            )
            cursor = None
        since = None
        if cursor:
            since = datetime.fromisoformat(cursor) - timedelta(minutes=config.overlap_minutes)
        run_started = _utc_now()

        def scope(issue_ids: list[str]) -> ScopeListing | None:
            """A full read lists the whole scope as it goes; an incremental one lists it afterwards."""
            if cursor:
                return None
            overlap = timedelta(minutes=config.overlap_minutes)
            return ScopeListing(issue_ids, run_started, run_started - overlap)

        jql = build_jql(config.projects, since, jira.time_zone)
        logger.info("reading Jira issues: %s", jql)
        expected = expected_count(jira, jql) if progress else None
        started, count, newest = time.perf_counter(), 0, None
        read_ids = _ReadIds()
        plan = ReadPlan.of(jira, config, jql, instance_url)
        for batch in read_batches(plan, separate_process=reader_process):
            count += batch.size
            read_ids.add(batch.issue_ids)
            if batch.newest_updated is not None and (newest is None or batch.newest_updated > newest):
                newest = batch.newest_updated
            if progress:
                progress(count, time.perf_counter() - started, expected)
            yield IssuePage(batch.issues, batch.changelog, batch.field_values, scope(batch.issue_ids))
        if cursor:
            yield from _list_scope(jira, state, config)
        else:
            state[SCOPE_COUNT_STATE] = count
        if newest is not None:
            # Never past the start of this read: the search is ordered by key, so an issue read on an early
            # page and changed later in the run keeps its old row, while an issue read after it may carry a
            # newer `updated`. From the read's start on, the next run reads every change again.
            state["updated_cursor"] = max(min(newest, run_started).isoformat(), cursor or "")
        state[OVERRIDE_FIELDS_STATE] = override_field_ids
        state[FLAGGED_FIELD_STATE] = jira.flagged_field_id
        yield ReadEnd(each_issue_once=read_ids.each_once())

    @dlt.transformer(
        data_from=issue_pages,
        name="issues",
        write_disposition="merge",
        primary_key="id",
        # An issue read twice in one run (moved between projects while the search paged) keeps its newest
        # version rather than either.
        columns={**naive_utc_columns("resolution_date", "created"), **newest_wins("updated")},
    )
    def issues(page: IssuePage | ScopeListing | ReadEnd) -> Iterator[Any]:
        if isinstance(page, IssuePage):
            yield page.issues

    @dlt.transformer(
        data_from=issue_pages,
        name="changelog_items",
        write_disposition="merge",
        # One row per (issue_id, history_id, field), as staging reads it. The source lands one item per field
        # and history; the key keeps one when an issue is read twice in a run (its items may come in another
        # order); and each read of an issue replaces all its earlier rows (merge key), stale ones included.
        merge_key="issue_id",
        primary_key=["issue_id", "history_id", "field"],
        columns=naive_utc_columns("created"),
    )
    def changelog_items(page: IssuePage | ScopeListing | ReadEnd) -> Iterator[Any]:
        if isinstance(page, IssuePage):
            yield page.changelog
        elif isinstance(page, ReadEnd):
            # Set at every run, either way: the schema keeps a table hint from one run to the next.
            hints = dlt.mark.make_hints(additional_table_hints={STAGED_UNIQUE_HINT: page.each_issue_once})
            yield dlt.mark.with_hints(CHANGELOG_SCHEMA.empty_table(), hints)

    @dlt.transformer(
        data_from=issue_pages,
        name="issue_field_values",
        write_disposition="merge",
        # Each landed issue's rows replace all its earlier ones (merge key), so a changed or cleared value
        # leaves no stale row; the primary key drops an issue read twice in one run.
        merge_key="issue_id",
        primary_key=["issue_id", "field_id", "value_index"],
        columns=newest_wins("issue_updated"),
    )
    def issue_field_values(page: IssuePage | ScopeListing | ReadEnd) -> Iterator[Any]:
        """Values of the fields named in SOURCES__JIRA__OVERRIDE_FIELDS; nothing (no table, no merge) when
        none are. Every issue read gets rows when some are, so the merge replaces each read issue's values."""
        if isinstance(page, IssuePage) and page.field_values.num_rows:
            yield page.field_values

    @dlt.resource(name="override_fields", write_disposition="replace")
    def override_fields_resource() -> Iterator[Any]:
        """The fields SOURCES__JIRA__OVERRIDE_FIELDS names at this run, replaced every run: staging reads the
        values of these fields only, so a field taken off the list stops overriding at once."""
        rows = [{"field_id": field_id, "field_name": name} for field_id, name in instance().override_fields]
        yield to_table(rows, OVERRIDE_FIELDS_SCHEMA)

    @dlt.transformer(data_from=issue_pages, name="issue_scope", write_disposition="replace")
    def issue_scope(page: IssuePage | ScopeListing | ReadEnd) -> Iterator[Any]:
        """The issues in the tracker's scope at this run, replaced every run (see `ScopeListing`)."""
        listing = page.scope if isinstance(page, IssuePage) else page
        if isinstance(listing, ScopeListing):
            yield scope_table(listing)

    @dlt.resource(
        name="statuses", write_disposition="merge", primary_key="id", columns=text_columns("scope_project_id")
    )
    def statuses() -> Iterator[list[dict[str, Any]]]:
        jira = instance()
        yield [
            {
                "id": str(status.get("id")),
                "name": status.get("name"),
                "status_category_key": (status.get("statusCategory") or {}).get("key"),
                "status_category_name": (status.get("statusCategory") or {}).get("name"),
                "scope_project_id": ((status.get("scope") or {}).get("project") or {}).get("id"),
            }
            for status in jira.client.get(settings.STATUSES.format(api=jira.api))
        ]

    @dlt.resource(
        name="issue_types",
        write_disposition="merge",
        primary_key="id",
        columns={
            "hierarchy_level": {"data_type": "bigint", "nullable": True},
            # Types match the flow model on this name (Cloud); `name` is in the API user's language.
            # Data Center has no such field: the column exists, null, and staging falls back to `name`.
            "untranslated_name": {"data_type": "text", "nullable": True},
        },
    )
    def issue_types() -> Iterator[list[dict[str, Any]]]:
        jira = instance()
        yield [
            {
                "id": str(issue_type.get("id")),
                "name": issue_type.get("name"),
                "untranslated_name": issue_type.get("untranslatedName"),
                "is_subtask": bool(issue_type.get("subtask")),
                "hierarchy_level": issue_type.get("hierarchyLevel"),
            }
            for issue_type in jira.client.get(settings.ISSUE_TYPES.format(api=jira.api))
        ]

    @dlt.resource(name="projects", write_disposition="merge", primary_key="id")
    def projects_resource() -> Iterator[list[dict[str, Any]]]:
        jira = instance()
        for values in _project_pages(jira):
            yield [
                {
                    "id": str(project.get("id")),
                    "key": project.get("key"),
                    "name": project.get("name"),
                    "instance_url": instance_url,
                }
                for project in values
                if isinstance(project, dict)
            ]

    # dlt starts the resources in this order, except that a transformer's parent starts where its last
    # transformer is listed. The search goes first: its reader processes start and read pages while this one
    # reads the catalogs and builds the small tables (the first Arrow table also imports pandas, ~0.2 s).
    return (
        issue_pages,
        issues,
        changelog_items,
        issue_field_values,
        issue_scope,
        override_fields_resource,
        statuses,
        issue_types,
        projects_resource,
    )
