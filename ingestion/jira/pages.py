"""Reading Jira: connecting, paging searches, completing changelogs, and flattening pages into Arrow tables.

`read_batches` runs the whole read (HTTP, JSON decoding, changelog completion, flattening) in a reader
process by default, so that it overlaps dlt's writing in the main process instead of sharing one GIL with
it. Batches cross the process boundary as Arrow tables; the reader's log records and errors follow them.
"""

from __future__ import annotations

import importlib.abc
import logging
import multiprocessing
import queue
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import requests

from . import settings
from .helpers import (
    FlatBatch,
    JiraAuthError,
    JiraClient,
    JiraConfigurationError,
    JiraError,
    changelog_table,
    field_values_table,
    format_jql_datetime,
    issues_table,
    jql_zone,
    loads_without_gc,
    parse_jira_timestamp,
)
from .typed_pages import IrregularPage, TypedReader

logger = logging.getLogger(__name__)

# Search pages fetched ahead of the one being flattened (bounds memory: a page is ~100 issues).
READ_AHEAD_PAGES = 2
# Issues per flattened batch handed to dlt (several search pages): fewer, larger Arrow tables.
EXTRACT_BATCH_ISSUES = 1000
# Flattened batches the reader processes may be ahead of dlt (bounds memory: a batch is a few MB).
PROCESS_QUEUE_BATCHES = 3
# Processes decoding and flattening Cloud search pages side by side.
READER_PROCESSES = 2


@dataclass(frozen=True)
class JiraSettings:
    """Where and how to read one Jira instance. Built from dlt config (`SOURCES__JIRA__*`)."""

    base_url: str
    email: str | None = None
    # Secrets stay out of the dataclass's repr (a log line or an error that prints the settings).
    api_token: str | None = field(default=None, repr=False)
    personal_access_token: str | None = field(default=None, repr=False)
    projects: tuple[str, ...] = ()
    deployment: str = "auto"
    overlap_minutes: int = settings.DEFAULT_OVERLAP_MINUTES
    page_size: int = settings.SEARCH_PAGE_SIZE
    request_timeout: float = settings.REQUEST_TIMEOUT_SECONDS
    # Field names or ids whose values the flow model's field overrides match (SOURCES__JIRA__OVERRIDE_FIELDS).
    override_fields: tuple[str, ...] = ()

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
    override_fields: tuple[tuple[str, str], ...] = ()  # (field id, field name) per configured field
    # Data Center's "Epic Link" custom field: a story's epic where `parent` does not give it.
    epic_link_field_id: str | None = None
    # The Flagged field as earlier versions found it (by display name only): what a run whose source state
    # holds no Flagged field id read the flag from.
    flagged_field_id_by_name: str | None = None


def connect(config: JiraSettings) -> _Instance:
    """Check the credentials and learn the deployment type, the user's zone and the Flagged field id."""
    client = config.client()
    deployment = config.deployment.lower()
    if deployment not in {"auto", "cloud", "datacenter", "server"}:
        raise JiraConfigurationError(
            f"SOURCES__JIRA__DEPLOYMENT is {config.deployment!r}: use auto, cloud or datacenter."
        )
    if deployment == "auto":
        try:
            info = client.get(settings.SERVER_INFO.format(api="2"))
        except JiraError as error:
            if isinstance(error, JiraAuthError) or "answered 404" not in str(error):
                raise
            probe = settings.SERVER_INFO.format(api="2")
            raise JiraConfigurationError(
                f"{config.base_url} does not answer like Jira ({probe} answered 404): set "
                "SOURCES__JIRA__BASE_URL to the site's root address, for example "
                "https://acme.atlassian.net, without a path such as /jira/software."
            ) from error
        is_cloud = str(info.get("deploymentType", "")).lower() == "cloud"
    else:
        is_cloud = deployment == "cloud"
    api = "3" if is_cloud else "2"
    myself = client.get(settings.MYSELF.format(api=api))
    fields = client.get(settings.FIELDS.format(api=api))
    flagged = flagged_field_id(fields)
    overrides = resolve_override_fields(config.override_fields, fields)
    epic_link = next((f.get("id") for f in fields if _is_epic_link(f) and f.get("id")), None)
    time_zone = myself.get("timeZone")
    if jql_zone(time_zone) is None:
        logger.warning(
            "Jira gives the API user no time zone this machine knows (%r): JQL dates are written at UTC-12, "
            "so incremental reads re-read up to 14 hours more than they need. Set the user's time zone in "
            "Jira to a region (e.g. Europe/Paris).",
            time_zone,
        )
    by_name = flagged_field_id(fields, keys=("name",))
    return _Instance(client, api, is_cloud, time_zone, flagged, overrides, epic_link, by_name)


def flagged_field_id(fields: Any, keys: Sequence[str] = ("untranslatedName", "name")) -> str | None:
    """The id of Jira Software's Flagged field in the field catalog, if the site has one.

    Cloud names each field in the API user's language and gives custom fields their `untranslatedName`
    too, so the field is found by that first, whatever the user's language; Data Center gives only the
    name.
    """
    for key in keys:
        found = next(
            (f["id"] for f in fields if f.get(key) == settings.FLAGGED_FIELD_NAME and f.get("id")), None
        )
        if found is not None:
            return str(found)
    return None


def _is_epic_link(field: Any) -> bool:
    """Data Center's Epic Link field: by its custom type (its name may be translated), else by its name."""
    if not isinstance(field, dict):
        return False
    custom_type = (field.get("schema") or {}).get("custom")
    return custom_type == settings.EPIC_LINK_FIELD_TYPE or field.get("name") == "Epic Link"


def resolve_override_fields(wanted: Sequence[str], fields: Any) -> tuple[tuple[str, str], ...]:
    """Each configured field (an id such as `customfield_10050`, or a name, case-insensitively) as (id, name).

    A name that matches no field, or several, stops the run with a message naming the setting: a silently
    missing field would leave every override of it unmatched.
    """
    known = [f for f in fields if isinstance(f, dict) and f.get("id")] if isinstance(fields, list) else []
    resolved: list[tuple[str, str]] = []
    for entry in wanted:
        by_id = [f for f in known if str(f["id"]).lower() == entry.lower()]
        matches = by_id or [f for f in known if str(f.get("name") or "").strip().lower() == entry.lower()]
        if len(matches) != 1:
            problem = "names several Jira fields; use the field id" if matches else "matches no Jira field"
            ids = ", ".join(str(f["id"]) for f in matches)
            raise JiraConfigurationError(
                f"SOURCES__JIRA__OVERRIDE_FIELDS has {entry!r}, which {problem}"
                + (f" ({ids})" if ids else "")
                + ": list field names or ids (customfield_NNNNN) as Jira shows them."
            )
        field = matches[0]
        if all(str(field["id"]) != field_id for field_id, _ in resolved):  # named twice (by name and by id)
            resolved.append((str(field["id"]), str(field.get("name") or field["id"])))
    return tuple(resolved)


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
    return _paged_search(instance, jql, page_size, _issue_fields(instance), expand="changelog")


def _issue_fields(instance: _Instance) -> str:
    return ",".join(
        [
            *settings.ISSUE_FIELDS,
            *([instance.flagged_field_id] if instance.flagged_field_id else []),
            *([instance.epic_link_field_id] if instance.epic_link_field_id else []),
            *(field_id for field_id, _ in instance.override_fields),
        ]
    )


def _cloud_params(
    jql: str, page_size: int, fields: str, expand: str | None, token: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": fields}
    if expand:
        params["expand"] = expand
    if token:
        params["nextPageToken"] = token
    return params


_PAGING_STUCK = (
    "Jira's search returned the page token it was given, so paging would never advance; "
    "stopped to avoid an incomplete load. Nothing was published: rerun `vsm refresh`."
)


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
            page = instance.client.get(
                settings.CLOUD_SEARCH, **_cloud_params(jql, page_size, fields, expand, token)
            )
            yield page.get("issues") or []
            next_token = page.get("nextPageToken")
            if page.get("isLast", not next_token) or not next_token:
                return
            if next_token == token:
                raise JiraError(_PAGING_STUCK)
            token = next_token
    yield from _datacenter_pages(instance, jql, page_size, fields, expand)


def _datacenter_pages(
    instance: _Instance, jql: str, page_size: int, fields: str, expand: str | None
) -> Iterator[list[dict[str, Any]]]:
    """Data Center's `startAt` paging, each page anchored on the one before.

    An offset counts positions in the results as they are when the page is asked for: an issue read earlier
    and then deleted or moved out of scope shifts every later issue back a place, and the first issue of the
    next page would never be read. So each page starts a few issues before the previous one ended and keeps
    only the issues after the last of those it had already read; when it finds none of them there (more
    issues left than it looked back, or the page came back empty), it looks further back, up to the start.
    An issue that comes back is read twice, which the merge absorbs. A page of one issue cannot look back.
    """
    look_back = min(settings.DATACENTER_PAGE_OVERLAP, page_size // 2)
    start, overlap, previous_ids = 0, 0, set[str]()
    while True:
        asked = max(start - overlap, 0)
        params = {"jql": jql, "startAt": asked, "maxResults": page_size, "fields": fields}
        if expand:
            params["expand"] = expand
        page = instance.client.get(settings.DATACENTER_SEARCH, **params)
        issues = page.get("issues") or []
        ids = [str(issue.get("id")) if isinstance(issue, dict) else "" for issue in issues]
        fresh = issues
        if previous_ids and look_back:
            # Only the issues asked for again anchor the page: an issue read before can also come back later
            # in it (moved to another project in scope: the same id under a later key).
            again = ids[: start - asked]
            read = [position for position, issue_id in enumerate(again) if issue_id in previous_ids]
            if read:
                fresh = issues[read[-1] + 1 :]
            elif asked > 0:
                overlap = min(max(2 * overlap, page_size), start)  # further back, at most to the start
                continue
        if fresh or not previous_ids:  # the first page even when empty: an empty search still lands tables
            yield fresh
        start, overlap, previous_ids = asked + len(issues), look_back, set(ids)
        if not issues or start >= int(page.get("total", 0)):
            return


def _completed_pages(
    instance: _Instance, pages: Iterable[list[Any]]
) -> Iterator[tuple[list[dict[str, Any]], dict[str, list[dict]]]]:
    """Search pages with issue-less results dropped (with a warning) and the partial changelogs fetched."""
    for page_issues in pages:
        issues = [issue for issue in page_issues if isinstance(issue, dict) and issue.get("id") is not None]
        if len(issues) < len(page_issues):
            logger.warning("skipped %d search results without an issue id", len(page_issues) - len(issues))
        yield issues, _complete_changelogs(instance, issues)


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


@dataclass(frozen=True)
class ReadPlan:
    """One search to read and flatten: everything a reader needs, picklable for the reader process."""

    config: JiraSettings
    api: str
    is_cloud: bool
    time_zone: str | None
    flagged_field_id: str | None
    jql: str
    instance_url: str
    override_fields: tuple[tuple[str, str], ...] = ()
    epic_link_field_id: str | None = None

    @classmethod
    def of(cls, instance: _Instance, config: JiraSettings, jql: str, instance_url: str) -> ReadPlan:
        return cls(
            config,
            instance.api,
            instance.is_cloud,
            instance.time_zone,
            instance.flagged_field_id,
            jql,
            instance_url,
            instance.override_fields,
            instance.epic_link_field_id,
        )

    def instance(self) -> _Instance:
        return _Instance(
            self.config.client(),
            self.api,
            self.is_cloud,
            self.time_zone,
            self.flagged_field_id,
            self.override_fields,
            self.epic_link_field_id,
        )


def flat_batches(plan: ReadPlan) -> Iterator[FlatBatch]:
    """Read the plan's search page by page, flattened in batches (an empty search: one empty batch)."""
    instance = plan.instance()
    # The read-ahead thread gets its own HTTP session: the caller may use the instance's meanwhile.
    reader = replace(instance, client=replace(instance.client, session=requests.Session()))
    batcher = _Batcher(plan)
    pages = _search_pages(reader, plan.jql, plan.config.page_size)
    for issues, fetched in _read_ahead(_completed_pages(reader, pages)):
        if (batch := batcher.add(issues, fetched)) is not None:
            yield batch
    if (batch := batcher.finish()) is not None:
        yield batch


class _Batcher:
    """Completes issues' changelogs with the fetched histories and flattens them a batch at a time; pages
    flattened on the typed path (`typed_pages`) join the batch as they are."""

    def __init__(self, plan: ReadPlan, empty_batch: bool = True) -> None:
        self._plan = plan
        self._empty_batch = empty_batch
        self._issues: list[dict[str, Any]] = []
        self._newest: datetime | None = None  # of `_issues`
        self._pages: list[FlatBatch] = []
        self._flushed = 0

    def add_page(self, page: FlatBatch) -> FlatBatch | None:
        # An empty page adds nothing pending: an empty search's tables land from the main process.
        self._pages.append(page)
        return self._flush() if self._pending() >= EXTRACT_BATCH_ISSUES else None

    def add(self, issues: list[dict[str, Any]], fetched: dict[str, list[dict]]) -> FlatBatch | None:
        for issue in issues:
            more = fetched.get(str(issue.get("id")))
            if more is not None:
                changelog = dict(issue.get("changelog") or {})
                changelog["histories"] = _merge_histories(changelog.get("histories") or [], more)
                issue["changelog"] = changelog
            updated = parse_jira_timestamp((issue.get("fields") or {}).get("updated"))
            if updated is not None and (self._newest is None or updated > self._newest):
                self._newest = updated
        self._issues.extend(issues)
        return self._flush() if self._pending() >= EXTRACT_BATCH_ISSUES else None

    def finish(self) -> FlatBatch | None:
        """The last, partial batch; with `empty_batch`, an empty one if nothing was read (tables land)."""
        return self._flush() if self._pending() or (self._empty_batch and not self._flushed) else None

    def _pending(self) -> int:
        return len(self._issues) + sum(page.size for page in self._pages)

    def _flush(self) -> FlatBatch:
        batch, plan, parts = self._issues, self._plan, self._pages
        if batch or not parts:
            parts = [
                *parts,
                FlatBatch(
                    issues=issues_table(
                        batch, plan.instance_url, plan.flagged_field_id, plan.epic_link_field_id
                    ),
                    changelog=changelog_table(batch, plan.flagged_field_id),
                    field_values=field_values_table(batch, plan.override_fields),
                    issue_ids=[str(issue["id"]) for issue in batch],
                    newest_updated=self._newest,
                ),
            ]
        newest = [part.newest_updated for part in parts if part.newest_updated is not None]
        flat = FlatBatch(
            issues=_concatenated([part.issues for part in parts]),
            changelog=_concatenated([part.changelog for part in parts]),
            field_values=_concatenated([part.field_values for part in parts]),
            issue_ids=[issue_id for part in parts for issue_id in part.issue_ids],
            newest_updated=max(newest, default=None),
        )
        self._issues, self._newest, self._pages, self._flushed = [], None, [], self._flushed + 1
        return flat


def _concatenated(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def read_batches(plan: ReadPlan, separate_process: bool = True) -> Iterator[FlatBatch]:
    """`flat_batches(plan)` (in any order), computed in reader processes (default) or in this one.

    Jira Cloud: a thread here pages through the search (token paging is sequential, and the next token is
    read from the raw body without decoding it) and hands each raw page to one of `READER_PROCESSES`
    processes, which decode it, complete its changelogs and flatten it. Data Center: one reader process
    does all of it. The readers' errors are raised here with their message (a `JiraError` stays one); a
    reader that dies (killed, out of memory) is an error too, never a silently short read. Closing the
    iterator stops them all.
    """
    if not separate_process:
        yield from flat_batches(plan)
        return
    context = multiprocessing.get_context("spawn")
    results = context.Queue(maxsize=PROCESS_QUEUE_BATCHES)
    pages = context.Queue(maxsize=2 * READER_PROCESSES) if plan.is_cloud else None
    workers = [
        context.Process(
            target=_page_reader_main if pages is not None else _reader_main,
            args=(plan, pages, results) if pages is not None else (plan, results),
            name=f"jira-reader-{number}",
            daemon=True,
        )
        for number in range(READER_PROCESSES if pages is not None else 1)
    ]
    for worker in workers:
        worker.start()
    stopped = threading.Event()
    feed_failure: list[BaseException] = []
    feeder = None
    if pages is not None:
        feeder = threading.Thread(
            target=_feed_pages, args=(plan, pages, len(workers), stopped, feed_failure), name="jira-pages"
        )
        feeder.start()
    try:
        finished, batches = 0, 0
        while finished < len(workers):
            try:
                kind, payload = results.get(timeout=1.0)
            except queue.Empty:
                if feed_failure:
                    raise feed_failure[0] from None
                dead = [worker for worker in workers if worker.exitcode not in (None, 0)]
                if dead:
                    raise JiraError(
                        f"the Jira reader process stopped unexpectedly (exit code {dead[0].exitcode}); "
                        "nothing was published: rerun `vsm refresh`."
                    ) from None
                continue
            if kind == "batch":
                batches += 1
                yield payload
            elif kind == "log":
                level, message = payload
                logger.log(level, "%s", message)
            elif kind == "error":
                is_auth, is_jira, message = payload
                raise (JiraAuthError if is_auth else JiraError if is_jira else RuntimeError)(message)
            else:
                finished += 1
        if feed_failure:
            raise feed_failure[0]
        if not batches:
            yield _Batcher(plan).finish()  # type: ignore[misc] # an empty search still lands (empty) tables
    finally:
        stopped.set()
        if feeder is not None:
            feeder.join(timeout=10)
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(timeout=10)
        for channel in (results, pages):
            if channel is not None:
                channel.close()
                channel.cancel_join_thread()


_NEXT_TOKEN = re.compile(rb'"nextPageToken"\s*:\s*("(?:[^"\\]|\\.)*")')
_IS_LAST = re.compile(rb'"isLast"\s*:\s*(true|false)')


def _page_links(raw: bytes) -> tuple[bytes, str | None, bool]:
    """A Cloud search page's raw body with its `nextPageToken` and `isLast`, read without decoding the page.

    Keys inside string values are escaped (`\\"isLast\\"`), so a match is a real key; when either key is not
    found exactly once the whole body is decoded instead (a ValueError if it is not JSON: retried).
    """
    tokens, lasts = _NEXT_TOKEN.findall(raw), _IS_LAST.findall(raw)
    if len(tokens) <= 1 and len(lasts) == 1:
        return raw, (orjson.loads(tokens[0]) if tokens else None), lasts[0] == b"true"
    page = loads_without_gc(raw)
    if not isinstance(page, dict):
        raise ValueError("a search page is a JSON object")
    token = page.get("nextPageToken")
    return raw, token, bool(page.get("isLast", not token))


def _raw_cloud_pages(instance: _Instance, jql: str, page_size: int) -> Iterator[tuple[str | None, bytes]]:
    """Every page of a Cloud search, undecoded, with the token it was asked for with."""
    fields, token = _issue_fields(instance), None
    while True:
        params = _cloud_params(jql, page_size, fields, "changelog", token)
        raw, next_token, is_last = instance.client.get_raw(settings.CLOUD_SEARCH, _page_links, **params)
        yield token, raw
        if is_last or not next_token:
            return
        if next_token == token:
            raise JiraError(_PAGING_STUCK)
        token = next_token


def _feed_pages(
    plan: ReadPlan, pages: Any, readers: int, stopped: threading.Event, failure: list[BaseException]
) -> None:
    """The feeding thread: raw pages to the reader processes, then one end marker per reader."""

    def put(item: Any) -> bool:
        while not stopped.is_set():
            try:
                pages.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        instance = plan.instance()
        for item in _raw_cloud_pages(instance, plan.jql, plan.config.page_size):
            if not put(item):
                return
        for _ in range(readers):
            put(None)
    except BaseException as error:  # raised by the consuming generator
        failure.append(error)


class _ChannelLogHandler(logging.Handler):
    """Sends the reader process's log records to the main process, which logs them as its own."""

    def __init__(self, channel: Any) -> None:
        super().__init__(logging.INFO)
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._channel.put(("log", (record.levelno, record.getMessage())))
        except Exception:
            self.handleError(record)


def _reader_main(plan: ReadPlan, channel: Any) -> None:
    """A reader process doing the whole read: every batch of the plan, then "end"; or its error."""
    with _reporting(channel):
        for batch in flat_batches(plan):
            channel.put(("batch", batch))


def _page_reader_main(plan: ReadPlan, pages: Any, channel: Any) -> None:
    """A reader process decoding, completing and flattening the raw pages it is handed, until `None`."""
    with _reporting(channel):
        instance = plan.instance()
        fields = _issue_fields(instance)
        batcher = _Batcher(plan, empty_batch=False)  # the main process lands the tables of an empty search
        typed = TypedReader(
            plan.instance_url, plan.flagged_field_id, plan.epic_link_field_id, plan.override_fields
        )
        while (item := pages.get()) is not None:
            token, raw = item
            if typed.usable:
                try:
                    page_read = typed.read(instance.client, raw)
                except IrregularPage as irregular:
                    logger.info("a search page is read the slower way, from dicts: %s", irregular)
                else:
                    if (batch := batcher.add_page(page_read)) is not None:
                        channel.put(("batch", batch))
                    continue
            try:
                page = loads_without_gc(raw)
            except orjson.JSONDecodeError:  # passed the quick look but is broken: ask for it again
                params = _cloud_params(plan.jql, plan.config.page_size, fields, "changelog", token)
                page = instance.client.get(settings.CLOUD_SEARCH, **params)
            for issues, fetched in _completed_pages(instance, [page.get("issues") or []]):
                if (batch := batcher.add(issues, fetched)) is not None:
                    channel.put(("batch", batch))
        if (batch := batcher.finish()) is not None:
            channel.put(("batch", batch))


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """Makes pandas unimportable in a reader process, which only builds Arrow arrays from Python lists.

    pyarrow imports pandas, if it is installed, on its first `pa.array` call (to recognise pandas inputs):
    0.3 s and ~50 MB in each reader, before its first batch. Without pandas it converts lists the same way.
    """

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"{fullname} is not used in a Jira reader process", name=fullname)


@contextmanager
def _reporting(channel: Any) -> Iterator[None]:
    """Inside a reader process: log records to the main process, then "end", or the error that stopped it."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    package = logging.getLogger("ingestion")
    package.addHandler(_ChannelLogHandler(channel))
    package.setLevel(logging.INFO)
    package.propagate = False
    try:
        yield
        channel.put(("end", None))
    except BaseException as error:  # reported to the main process, which raises it
        message = str(error) if isinstance(error, JiraError) else f"{type(error).__name__}: {error}"
        channel.put(("error", (isinstance(error, JiraAuthError), isinstance(error, JiraError), message)))
    finally:
        channel.close()
        channel.join_thread()
