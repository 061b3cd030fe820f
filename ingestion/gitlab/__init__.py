"""dlt source for GitLab (gitlab.com or self-managed): issues and merge requests with their resource events.

GitLab's workflow lives in scoped labels (`workflow::in dev`) and the open / closed / merged state, so this
source lands one row per item and one per resource state or label event; the flow model derives the tool
state history in SQL (`stg_gitlab__status_changes`). Reads are incremental on `updated_after`, per project
and item kind, with an overlap, and merge on primary keys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import dlt
import orjson
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ingestion import ProgressCallback

from . import settings
from .helpers import (
    EVENTS_SCHEMA,
    ITEMS_SCHEMA,
    SCOPE_SCHEMA,
    GitLabAuthError,
    GitLabClient,
    GitLabError,
    GitLabNotFoundError,
    event_rows,
    format_updated_after,
    item_id,
    item_row,
    parse_timestamp,
    to_table,
)

__all__ = ["GitLabAuthError", "GitLabError", "gitlab_is_configured", "gitlab_source", "parse_projects"]

logger = logging.getLogger(__name__)


def parse_projects(projects: str | Sequence[str | int] | None) -> tuple[str, ...]:
    """`"123,group/project"` (or a list) as project ids or paths."""
    if isinstance(projects, str | int):
        text = str(projects).strip()
        projects = orjson.loads(text) if text.startswith("[") else text.split(",")
    return tuple(str(name).strip().strip("/") for name in projects or () if str(name).strip())


def gitlab_is_configured() -> bool:
    """True when both a token and at least one project are configured (env or dlt config/secrets)."""
    token = dlt.secrets.get("sources.gitlab.access_token")
    return bool(token) and bool(parse_projects(dlt.config.get("sources.gitlab.projects")))


@dataclass
class ItemPage:
    """One page of issues or merge requests of one project, each with its resource events."""

    project: str
    kind: str
    items: list[dict[str, Any]]
    state_events: dict[str, list[dict[str, Any]]]
    label_events: dict[str, list[dict[str, Any]]]


def naive_utc_columns(*names: str) -> dict[str, dict[str, Any]]:
    return {name: {"data_type": "timestamp", "timezone": False, "nullable": True} for name in names}


@dlt.source(name="raw_gitlab", max_table_nesting=0)
def gitlab_source(
    access_token: TSecretStrValue = dlt.secrets.value,
    projects: str = dlt.config.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    overlap_minutes: int = settings.DEFAULT_OVERLAP_MINUTES,
    page_size: int = settings.PAGE_SIZE,
    client: GitLabClient | None = None,
    progress: ProgressCallback | None = None,
) -> Sequence[DltResource]:
    """Issues and merge requests (`items`), their resource state and label events (`events`) and the
    configured projects (`project_scope`).

    Configuration: `SOURCES__GITLAB__ACCESS_TOKEN`, `SOURCES__GITLAB__PROJECTS` (ids or paths,
    comma-separated) and `SOURCES__GITLAB__BASE_URL` (default https://gitlab.com; a self-managed instance's
    root URL). `progress` is called after every page with the items read so far in this run.
    """
    names = parse_projects(projects)
    size = min(max(page_size, 1), settings.PAGE_SIZE)
    clients: list[GitLabClient] = [client] if client else []

    def gitlab() -> GitLabClient:
        if not clients:
            clients.append(GitLabClient(access_token=access_token, base_url=base_url))
        return clients[0]

    def events(project: str, segment: str, iid: int, which: str) -> list[dict[str, Any]]:
        path = settings.ITEM_EVENTS.format(project=project, kind=segment, iid=iid, events=which)
        return [event for page in gitlab().pages(path, {"per_page": size}) for event in page]

    @dlt.resource(name="item_pages", selected=False)
    def item_pages() -> Iterator[ItemPage]:
        state = dlt.current.source_state()
        cursors: dict[str, str] = state.setdefault("updated_cursors", {})
        started, count = time.perf_counter(), 0
        for project in names:
            encoded = quote(project, safe="")
            for segment, kind in settings.ITEM_KINDS:
                key = f"{project}|{kind}"
                # Newest first, for the reason the GitHub source gives: paged by number, an item updated
                # during the read must not shift an unread one past the next page.
                params: dict[str, Any] = {
                    "scope": "all",
                    "order_by": "updated_at",
                    "sort": "desc",
                    "per_page": size,
                }
                cursor = cursors.get(key)
                if cursor:
                    since = datetime.fromisoformat(cursor) - timedelta(minutes=overlap_minutes)
                    params["updated_after"] = format_updated_after(since)
                since_text = f"updated after {params['updated_after']}" if cursor else "(all)"
                logger.info("reading GitLab %s %s %s", project, segment, since_text)
                newest: datetime | None = None
                path = settings.PROJECT_ITEMS.format(project=encoded, kind=segment)
                for items in gitlab().pages(path, params):
                    kept, state_events, label_events = [], {}, {}
                    for item in items:
                        if item.get("id") is None or item.get("iid") is None:
                            continue
                        iid, owner = int(item["iid"]), item_id(kind, item)
                        try:
                            state_events[owner] = events(encoded, segment, iid, settings.STATE_EVENTS)
                            label_events[owner] = events(encoded, segment, iid, settings.LABEL_EVENTS)
                        except GitLabNotFoundError:
                            # Deleted or moved since the list was read: as if it had not been listed.
                            logger.warning(
                                "GitLab %s %s %s is gone since it was listed (deleted or moved); left out",
                                project,
                                segment,
                                iid,
                            )
                            state_events.pop(owner, None)
                            continue
                        kept.append(item)
                    for item in kept:
                        updated = parse_timestamp(item.get("updated_at"))
                        if updated is not None and (newest is None or updated > newest):
                            newest = updated
                    yield ItemPage(project, kind, kept, state_events, label_events)
                    count += len(kept)
                    if progress:
                        progress(count, time.perf_counter() - started, None)
                if newest is not None:
                    cursors[key] = max(newest.isoformat(), cursor or "")

    @dlt.transformer(
        data_from=item_pages,
        name="items",
        write_disposition="merge",
        primary_key="id",
        columns=naive_utc_columns("created_at", "updated_at", "closed_at", "merged_at"),
    )
    def items(page: ItemPage) -> Iterator[Any]:
        rows = []
        for item in page.items:
            owner = item_id(page.kind, item)
            loaded = len(page.state_events.get(owner, [])) + len(page.label_events.get(owner, []))
            rows.append(item_row(page.kind, item, page.project, loaded))
        yield to_table(rows, ITEMS_SCHEMA)

    @dlt.transformer(
        data_from=item_pages,
        name="events",
        write_disposition="merge",
        primary_key=["item_id", "event_id"],
        columns=naive_utc_columns("created_at"),
    )
    def events_resource(page: ItemPage) -> Iterator[Any]:
        rows: list[dict[str, Any]] = []
        for item in page.items:
            owner = item_id(page.kind, item)
            rows.extend(event_rows(owner, page.state_events.get(owner, []), page.label_events.get(owner, [])))
        yield to_table(rows, EVENTS_SCHEMA)

    @dlt.resource(name="project_scope", write_disposition="replace", columns=naive_utc_columns("listed_at"))
    def project_scope() -> Iterator[Any]:
        """The projects this run reads, replaced every run: staging keeps only their items.

        A project removed from `SOURCES__GITLAB__PROJECTS` keeps its raw rows, but its items leave the facts
        and metrics, as a `--full` refresh (which starts from an empty warehouse) would drop them.
        """
        listed_at = datetime.now(UTC).replace(tzinfo=None)
        yield to_table([{"project": name, "listed_at": listed_at} for name in names], SCOPE_SCHEMA)

    return (item_pages, items, events_resource, project_scope)
