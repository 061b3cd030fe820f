"""dlt source for GitHub: issues and pull requests of a set of repositories, with their timelines.

GitHub has no workflow status, so the flow model derives one in SQL (`stg_github__status_changes`) from
lifecycle events (opened, review requested, closed, reopened, merged) and status labels. This source lands
what that needs: one row per item and one per kept timeline event, as Arrow tables. It reads incrementally
on `updated_at` (the issues endpoint's `since`, which lists pull requests too) with an overlap, per
repository, and merges on primary keys, so a rerun never duplicates and never misses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    event_rows,
    format_since,
    item_row,
    parse_timestamp,
    to_table,
)

__all__ = [
    "GitHubAuthError",
    "GitHubError",
    "github_is_configured",
    "github_source",
    "parse_repositories",
]

logger = logging.getLogger(__name__)


def parse_repositories(repositories: str | Sequence[str] | None) -> tuple[str, ...]:
    """`"owner/repo,owner/repo"` (or a list) as a tuple of `owner/repo`, each checked for its shape."""
    if isinstance(repositories, str):
        text = repositories.strip()
        repositories = orjson.loads(text) if text.startswith("[") else text.split(",")
    names = tuple(name.strip().strip("/") for name in repositories or () if name and name.strip())
    for name in names:
        if name.count("/") != 1 or not all(name.split("/")):
            raise GitHubError(
                f"SOURCES__GITHUB__REPOSITORIES has {name!r}: "
                "list repositories as owner/repo, comma-separated."
            )
    return names


def github_is_configured() -> bool:
    """True when both a token and at least one repository are configured (env or dlt config/secrets)."""
    token = dlt.secrets.get("sources.github.access_token")
    repositories = dlt.config.get("sources.github.repositories")
    return bool(token) and bool(parse_repositories(repositories))


@dataclass
class ItemPage:
    """One page of issues / pull requests of one repository, each with its complete timeline."""

    repository: str
    items: list[dict[str, Any]]
    timelines: dict[str, list[dict[str, Any]]]


def _timeline(client: GitHubClient, repository: str, number: int) -> list[dict[str, Any]]:
    path = settings.ITEM_TIMELINE.format(repository=repository, number=number)
    return [event for page in client.pages(path, {"per_page": settings.PAGE_SIZE}) for event in page]


def naive_utc_columns(*names: str) -> dict[str, dict[str, Any]]:
    """Timestamps the source already converted to UTC: stored without a zone, as the contract says."""
    return {name: {"data_type": "timestamp", "timezone": False, "nullable": True} for name in names}


@dlt.source(name="raw_github", max_table_nesting=0)
def github_source(
    access_token: TSecretStrValue = dlt.secrets.value,
    repositories: str = dlt.config.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    overlap_minutes: int = settings.DEFAULT_OVERLAP_MINUTES,
    page_size: int = settings.PAGE_SIZE,
    client: GitHubClient | None = None,
    progress: ProgressCallback | None = None,
) -> Sequence[DltResource]:
    """Issues and pull requests (`items`), their lifecycle timeline events (`events`) and the configured
    repositories (`repository_scope`).

    Configuration comes from dlt config and secrets: `SOURCES__GITHUB__ACCESS_TOKEN` and
    `SOURCES__GITHUB__REPOSITORIES` (`owner/repo,owner/repo`, or a list in a TOML file);
    `SOURCES__GITHUB__BASE_URL` for GitHub Enterprise Server (`https://github.example.com/api/v3`).
    An empty repository list loads nothing (the tables appear with the first load that has rows).
    `progress` is called after every page with the items read so far in this run (GitHub gives no total).
    """
    names = parse_repositories(repositories)
    size = min(max(page_size, 1), settings.PAGE_SIZE)
    clients: list[GitHubClient] = [client] if client else []

    def github() -> GitHubClient:
        if not clients:
            clients.append(GitHubClient(access_token=access_token, base_url=base_url))
        return clients[0]

    @dlt.resource(name="item_pages", selected=False)
    def item_pages() -> Iterator[ItemPage]:
        state = dlt.current.source_state()
        cursors: dict[str, str] = state.setdefault("updated_cursors", {})
        started, count = time.perf_counter(), 0
        for repository in names:
            # Newest first: the list is paged by number, and an item updated while the run reads moves to
            # the front, where it shifts the unread items back (one is read twice) rather than forward past
            # the next page (one is never read). Its new version is newer than the cursor, for the next run.
            params: dict[str, Any] = {
                "state": "all",
                "sort": "updated",
                "direction": "desc",
                "per_page": size,
            }
            cursor = cursors.get(repository)
            if cursor:
                since = datetime.fromisoformat(cursor) - timedelta(minutes=overlap_minutes)
                params["since"] = format_since(since)
            logger.info("reading GitHub %s items updated since %s", repository, params.get("since", "ever"))
            newest: datetime | None = None
            path = settings.REPO_ISSUES.format(repository=repository)
            for listed in github().pages(path, params):
                timelines: dict[str, list[dict[str, Any]]] = {}
                items = []
                for item in listed:
                    if item.get("id") is None or item.get("number") is None:
                        items.append(item)
                        continue
                    try:
                        timelines[str(item["id"])] = _timeline(github(), repository, int(item["number"]))
                    except GitHubNotFoundError:
                        # Deleted or transferred since the list was read: as if it had not been listed.
                        logger.warning(
                            "GitHub %s#%s is gone since it was listed (deleted or transferred); left out",
                            repository,
                            item["number"],
                        )
                        continue
                    items.append(item)
                for item in items:
                    updated = parse_timestamp(item.get("updated_at"))
                    if updated is not None and (newest is None or updated > newest):
                        newest = updated
                yield ItemPage(repository, items, timelines)
                count += len(items)
                if progress:
                    progress(count, time.perf_counter() - started, None)
            if newest is not None:
                cursors[repository] = max(newest.isoformat(), cursor or "")

    @dlt.transformer(
        data_from=item_pages,
        name="items",
        write_disposition="merge",
        primary_key="id",
        columns=naive_utc_columns("created_at", "updated_at", "closed_at", "merged_at"),
    )
    def items(page: ItemPage) -> Iterator[Any]:
        rows = [
            item_row(item, page.repository, len(page.timelines.get(str(item.get("id")), [])))
            for item in page.items
            if item.get("id") is not None
        ]
        yield to_table(rows, ITEMS_SCHEMA)

    @dlt.transformer(
        data_from=item_pages,
        name="events",
        write_disposition="merge",
        primary_key=["item_id", "event_id"],
        columns=naive_utc_columns("created_at"),
    )
    def events(page: ItemPage) -> Iterator[Any]:
        rows: list[dict[str, Any]] = []
        for item in page.items:
            item_id = str(item.get("id"))
            rows.extend(
                event_rows(item_id, page.repository, item.get("number"), page.timelines.get(item_id, []))
            )
        yield to_table(rows, EVENTS_SCHEMA)

    @dlt.resource(
        name="repository_scope", write_disposition="replace", columns=naive_utc_columns("listed_at")
    )
    def repository_scope() -> Iterator[Any]:
        """The repositories this run reads, replaced every run: staging keeps only their items.

        A repository removed from `SOURCES__GITHUB__REPOSITORIES` keeps its raw rows, but its items leave the
        facts and metrics, as a `--full` refresh (which starts from an empty warehouse) would drop them.
        """
        listed_at = datetime.now(UTC).replace(tzinfo=None)
        yield to_table([{"repository": name, "listed_at": listed_at} for name in names], SCOPE_SCHEMA)

    return (item_pages, items, events, repository_scope)
