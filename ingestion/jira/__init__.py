"""dlt source for Jira Cloud and Jira Data Center / Server: issues with their complete changelog.

Every Flow Metric is computed from the status history, so this source guarantees the *whole* changelog of
every issue it lands (Cloud's search embeds at most 20 histories; the rest come from the bulk changelog
endpoint), lands pages as Arrow tables (no nested normalisation), and reads incrementally on `updated`
with an overlap window, merging on primary keys so that reruns never duplicate and never miss.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import requests
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from . import settings
from .helpers import (
    JiraAuthError,
    JiraClient,
    JiraError,
    changelog_table,
    format_jql_datetime,
    issues_table,
    parse_jira_timestamp,
)

__all__ = ["JiraAuthError", "JiraError", "JiraSettings", "jira_source"]

logger = logging.getLogger(__name__)

# (issues read, seconds elapsed, issues the search is expected to return or None when Jira cannot say)
ProgressCallback = Callable[[int, float, int | None], None]

# Issues handed to dlt per extracted item (several search pages): fewer, larger Arrow tables.
EXTRACT_BATCH_ISSUES = 1000
# Issue ids per item of the scope listing.
SCOPE_BATCH_IDS = 50_000
# Source state key: how many issues the last scope listing (or full read) found.
SCOPE_COUNT_STATE = "issues_in_scope"
# Search pages fetched ahead of the one being flattened (bounds memory: a page is ~100 issues).
READ_AHEAD_PAGES = 2


@dataclass(frozen=True)
class JiraSettings:
    """Where and how to read one Jira instance. Built from dlt config (`SOURCES__JIRA__*`)."""

    base_url: str
    email: str | None = None
    api_token: str | None = None
    personal_access_token: str | None = None
    projects: tuple[str, ...] = ()
    deployment: str = "auto"
    overlap_minutes: int = settings.DEFAULT_OVERLAP_MINUTES
    page_size: int = settings.SEARCH_PAGE_SIZE
    request_timeout: float = settings.REQUEST_TIMEOUT_SECONDS

    def client(self) -> JiraClient:
        return JiraClient(
            base_url=self.base_url,
            email=self.email,
            api_token=self.api_token,
            personal_access_token=self.personal_access_token,
            timeout=self.request_timeout,
        )


@dataclass
class _Instance:
    """What the source learns from the instance once per run."""

    client: JiraClient
    api: str
    is_cloud: bool
    time_zone: str | None
    flagged_field_id: str | None


def connect(config: JiraSettings) -> _Instance:
    """Check the credentials and learn the deployment type, the user's zone and the Flagged field id."""
    client = config.client()
    deployment = config.deployment.lower()
    if deployment not in {"auto", "cloud", "datacenter", "server"}:
        raise JiraError(f"SOURCES__JIRA__DEPLOYMENT is {config.deployment!r}: use auto, cloud or datacenter.")
    if deployment == "auto":
        info = client.get(settings.SERVER_INFO.format(api="2"))
        is_cloud = str(info.get("deploymentType", "")).lower() == "cloud"
    else:
        is_cloud = deployment == "cloud"
    api = "3" if is_cloud else "2"
    myself = client.get(settings.MYSELF.format(api=api))
    fields = client.get(settings.FIELDS.format(api=api))
    flagged = next(
        (f.get("id") for f in fields if f.get("name") == settings.FLAGGED_FIELD_NAME and f.get("id")), None
    )
    return _Instance(client, api, is_cloud, myself.get("timeZone"), flagged)


def build_jql(projects: Sequence[str], updated_since: datetime | None, time_zone: str | None) -> str:
    """Bounded JQL: the projects in scope, issues updated since the cursor, in a stable order."""
    clauses = []
    if projects:
        quoted = ", ".join(f'"{key}"' for key in projects)
        clauses.append(f"project in ({quoted})")
    since = updated_since or datetime(1970, 1, 1)
    clauses.append(f'updated >= "{format_jql_datetime(since, time_zone)}"')
    return " AND ".join(clauses) + " ORDER BY key ASC"


def _search_pages(instance: _Instance, jql: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Pages of issues, each with whatever changelog the search embedded."""
    fields = ",".join(
        [*settings.ISSUE_FIELDS, *([instance.flagged_field_id] if instance.flagged_field_id else [])]
    )
    return _paged_search(instance, jql, page_size, fields, expand="changelog")


def expected_count(instance: _Instance, jql: str) -> int | None:
    """How many issues `jql` will return, for progress: Cloud's approximate count, Data Center's total.

    Only a hint: None when the instance cannot say (an older Cloud without the endpoint answers 404).
    """
    bounded = jql.split(" ORDER BY ")[0]
    try:
        if instance.is_cloud:
            answer = instance.client.post(settings.CLOUD_APPROXIMATE_COUNT, {"jql": bounded})
            count = answer.get("count") if isinstance(answer, dict) else None
        else:
            answer = instance.client.get(settings.DATACENTER_SEARCH, jql=bounded, maxResults=0, fields="id")
            count = answer.get("total") if isinstance(answer, dict) else None
    except JiraError as error:
        logger.info("no issue count for progress: %s", error)
        return None
    return int(count) if isinstance(count, int | float) else None


def _scope_pages(instance: _Instance, jql: str) -> Iterator[list[str]]:
    """The ids of every issue `jql` matches now, a page at a time (id-only search: big pages, no fields)."""
    page_size = settings.SCOPE_PAGE_SIZE_CLOUD if instance.is_cloud else settings.SCOPE_PAGE_SIZE_DATACENTER
    for issues in _paged_search(instance, jql, page_size, "id", expand=None):
        yield [str(issue["id"]) for issue in issues if isinstance(issue, dict) and issue.get("id")]


def _paged_search(
    instance: _Instance, jql: str, page_size: int, fields: str, expand: str | None
) -> Iterator[list[dict[str, Any]]]:
    """Every page of one search: Cloud's token paging or Data Center's `startAt` paging."""
    if instance.is_cloud:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": fields}
            if expand:
                params["expand"] = expand
            if token:
                params["nextPageToken"] = token
            page = instance.client.get(settings.CLOUD_SEARCH, **params)
            yield page.get("issues") or []
            next_token = page.get("nextPageToken")
            if page.get("isLast", not next_token) or not next_token:
                return
            if next_token == token:
                raise JiraError(
                    "Jira's search returned the page token it was given, so paging would never advance; "
                    "stopped to avoid an incomplete load. Nothing was published: rerun `vsm refresh`."
                )
            token = next_token
    start = 0
    while True:
        params = {"jql": jql, "startAt": start, "maxResults": page_size, "fields": fields}
        if expand:
            params["expand"] = expand
        page = instance.client.get(settings.DATACENTER_SEARCH, **params)
        issues = page.get("issues") or []
        yield issues
        start += len(issues)
        if not issues or start >= int(page.get("total", 0)):
            return


def _completed_pages(
    instance: _Instance, jql: str, page_size: int
) -> Iterator[tuple[list[dict[str, Any]], int, dict[str, list[dict]]]]:
    """Search pages with the issue-less results dropped (and counted) and the partial changelogs fetched."""
    for page_issues in _search_pages(instance, jql, page_size):
        issues = [issue for issue in page_issues if isinstance(issue, dict) and issue.get("id") is not None]
        yield issues, len(page_issues) - len(issues), _complete_changelogs(instance, issues)


_END = object()


def _read_ahead(pages: Iterator[Any], depth: int = READ_AHEAD_PAGES) -> Iterator[Any]:
    """`pages`, produced by a background thread that stays up to `depth` pages ahead of the consumer.

    Token paging is sequential, but the next request can leave as soon as a page is decoded: while dlt
    flattens and writes page N, page N+1 is on the wire (the thread mostly waits on the socket, without the
    GIL). An error in the thread is raised here, in order; closing this generator stops the thread.
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stopped.is_set():
                    try:
                        buffer.put((page, None), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stopped.is_set():
                    return
            item: tuple[Any, BaseException | None] = (_END, None)
        except BaseException as error:  # handed to the consumer, which raises it
            item = (_END, error)
        while not stopped.is_set():
            try:
                buffer.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=produce, name="jira-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            page, error = buffer.get()
            if error is not None:
                raise error
            if page is _END:
                return
            yield page
    finally:
        stopped.set()
        close = getattr(pages, "close", None)
        thread.join(timeout=5)
        if close is not None and not thread.is_alive():
            close()


def _complete_changelogs(instance: _Instance, issues: list[dict[str, Any]]) -> dict[str, list[dict]]:
    """All histories of every issue whose embedded changelog is partial, keyed by issue id."""
    partial = [
        str(issue["id"])
        for issue in issues
        if int((issue.get("changelog") or {}).get("total", 0) or 0)
        > len((issue.get("changelog") or {}).get("histories") or [])
    ]
    if not partial:
        return {}
    if instance.is_cloud:
        try:
            return _bulk_changelogs(instance, partial)
        except JiraError as error:
            if "answered 404" not in str(error):
                raise
            logger.info("bulk changelog endpoint unavailable; paging changelogs issue by issue")
    return {issue_id: list(_paged_changelog(instance, issue_id)) for issue_id in partial}


def _bulk_changelogs(instance: _Instance, issue_ids: list[str]) -> dict[str, list[dict]]:
    histories: dict[str, list[dict]] = {issue_id: [] for issue_id in issue_ids}
    for start in range(0, len(issue_ids), settings.BULK_CHANGELOG_ISSUES):
        batch = issue_ids[start : start + settings.BULK_CHANGELOG_ISSUES]
        token: str | None = None
        while True:
            body: dict[str, Any] = {"issueIdsOrKeys": batch, "maxResults": settings.BULK_CHANGELOG_PAGE_SIZE}
            if token:
                body["nextPageToken"] = token
            page = instance.client.post(settings.CLOUD_BULK_CHANGELOG, body)
            for log in page.get("issueChangeLogs") or []:
                histories.setdefault(str(log.get("issueId")), []).extend(log.get("changeHistories") or [])
            token = page.get("nextPageToken")
            if not token:
                break
    return histories


def _paged_changelog(instance: _Instance, issue_id: str) -> Iterator[dict]:
    start = 0
    path = settings.ISSUE_CHANGELOG.format(api=instance.api, issue_id=issue_id)
    while True:
        page = instance.client.get(path, startAt=start, maxResults=settings.CHANGELOG_PAGE_SIZE)
        values = page.get("values") or []
        yield from values
        start += len(values)
        if not values or page.get("isLast", start >= int(page.get("total", 0))):
            return


def _merge_histories(embedded: list[dict], fetched: list[dict]) -> list[dict]:
    """Embedded and fetched histories, each history id once (order is settled later, in SQL)."""
    by_id: dict[str, dict] = {str(h.get("id")): h for h in embedded}
    for history in fetched:
        by_id[str(history.get("id"))] = history
    return list(by_id.values())


def naive_utc_columns(*names: str) -> dict[str, dict[str, Any]]:
    """Timestamps the source already converted to UTC: stored without a zone, as the contract says."""
    return {name: {"data_type": "timestamp", "timezone": False, "nullable": True} for name in names}


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
class IssuePage:
    """One search page with complete changelogs, handed to the `issues` and `changelog_items` tables."""

    issues: list[dict[str, Any]]
    instance_url: str
    flagged_field_id: str | None
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
    for ids in _scope_pages(jira, jql):
        batch.extend(ids)
        total += len(ids)
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


@dlt.source(name="raw_jira", max_table_nesting=0)
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
) -> Sequence[DltResource]:
    """Issues, their status/flag/resolution changes, and the status, type and project catalogs.

    Configuration comes from dlt config and secrets: `SOURCES__JIRA__BASE_URL`, `SOURCES__JIRA__EMAIL`,
    `SOURCES__JIRA__API_TOKEN` (Cloud) or `SOURCES__JIRA__PERSONAL_ACCESS_TOKEN` (Data Center),
    optional `SOURCES__JIRA__PROJECTS` (comma-separated keys) and `SOURCES__JIRA__DEPLOYMENT`.
    `browse_url` is the address people open items at (default: `base_url`), stored as `instance_url`.
    """
    instance_url = (browse_url or base_url).rstrip("/")
    if isinstance(projects, str):
        projects = [key.strip() for key in projects.split(",") if key.strip()]
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
        since = None
        if cursor:
            since = datetime.fromisoformat(cursor) - timedelta(minutes=config.overlap_minutes)
        jira = instance()
        run_started = _utc_now()

        def scope(batch: list[dict[str, Any]]) -> ScopeListing | None:
            """A full read lists the whole scope as it goes; an incremental one lists it afterwards."""
            if cursor:
                return None
            overlap = timedelta(minutes=config.overlap_minutes)
            return ScopeListing([str(issue["id"]) for issue in batch], run_started, run_started - overlap)

        jql = build_jql(config.projects, since, jira.time_zone)
        logger.info("reading Jira issues: %s", jql)
        expected = expected_count(jira, jql) if progress else None
        started, count, newest = time.perf_counter(), 0, None
        # Several search pages go to dlt as one item: dlt's per-item work (schema inference and validation
        # of each Arrow table) cost more than flattening a 100-issue page. Bounded, so memory stays flat.
        batch: list[dict[str, Any]] = []
        batches = 0
        # The read-ahead thread gets its own HTTP session: the catalog resources use the main one meanwhile.
        reader = replace(jira, client=replace(jira.client, session=requests.Session()))
        for issues, skipped, fetched in _read_ahead(_completed_pages(reader, jql, config.page_size)):
            if skipped:
                logger.warning("skipped %d search results without an issue id", skipped)
            for issue in issues:
                more = fetched.get(str(issue.get("id")))
                if more is not None:
                    changelog = dict(issue.get("changelog") or {})
                    changelog["histories"] = _merge_histories(changelog.get("histories") or [], more)
                    issue["changelog"] = changelog
                updated = parse_jira_timestamp((issue.get("fields") or {}).get("updated"))
                if updated is not None and (newest is None or updated > newest):
                    newest = updated
            count += len(issues)
            if progress:
                progress(count, time.perf_counter() - started, expected)
            batch.extend(issues)
            if len(batch) >= EXTRACT_BATCH_ISSUES:
                yield IssuePage(batch, instance_url, jira.flagged_field_id, scope(batch))
                batch, batches = [], batches + 1
        if batch or not batches:  # an empty search still lands (empty) tables
            yield IssuePage(batch, instance_url, jira.flagged_field_id, scope(batch))
        if cursor:
            yield from _list_scope(jira, state, config)
        else:
            state[SCOPE_COUNT_STATE] = count
        if newest is not None:
            state["updated_cursor"] = max(newest.isoformat(), cursor or "")

    @dlt.transformer(
        data_from=issue_pages,
        name="issues",
        write_disposition="merge",
        primary_key="id",
        columns=naive_utc_columns("resolution_date", "created", "updated"),
    )
    def issues(page: IssuePage | ScopeListing) -> Iterator[Any]:
        if isinstance(page, IssuePage):
            yield issues_table(page.issues, page.instance_url, page.flagged_field_id)

    @dlt.transformer(
        data_from=issue_pages,
        name="changelog_items",
        write_disposition="merge",
        primary_key=["issue_id", "history_id", "item_index"],
        columns=naive_utc_columns("created"),
    )
    def changelog_items(page: IssuePage | ScopeListing) -> Iterator[Any]:
        if isinstance(page, IssuePage):
            yield changelog_table(page.issues)

    @dlt.transformer(data_from=issue_pages, name="issue_scope", write_disposition="replace")
    def issue_scope(page: IssuePage | ScopeListing) -> Iterator[Any]:
        """The issues in the tracker's scope at this run, replaced every run (see `ScopeListing`)."""
        listing = page.scope if isinstance(page, IssuePage) else page
        if listing is not None:
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
        columns={"hierarchy_level": {"data_type": "bigint", "nullable": True}},
    )
    def issue_types() -> Iterator[list[dict[str, Any]]]:
        jira = instance()
        yield [
            {
                "id": str(issue_type.get("id")),
                "name": issue_type.get("name"),
                "is_subtask": bool(issue_type.get("subtask")),
                "hierarchy_level": issue_type.get("hierarchyLevel"),
            }
            for issue_type in jira.client.get(settings.ISSUE_TYPES.format(api=jira.api))
        ]

    @dlt.resource(name="projects", write_disposition="merge", primary_key="id")
    def projects_resource() -> Iterator[list[dict[str, Any]]]:
        jira = instance()
        start = 0
        while True:
            page = jira.client.get(settings.PROJECTS.format(api=jira.api), startAt=start, maxResults=50)
            values = page.get("values") or []
            yield [
                {
                    "id": str(project.get("id")),
                    "key": project.get("key"),
                    "name": project.get("name"),
                    "instance_url": instance_url,
                }
                for project in values
            ]
            start += len(values)
            if not values or page.get("isLast", True):
                return

    return (issue_pages, issues, changelog_items, issue_scope, statuses, issue_types, projects_resource)
