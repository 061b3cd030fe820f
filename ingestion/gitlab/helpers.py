"""HTTP client and page flattening for the GitLab source.

The client owns authentication (`PRIVATE-TOKEN`), GitLab's rate limits (429 with `Retry-After` or the
reset instant in `RateLimit-Reset`) and retries; pages follow `X-Next-Page` (or `Link: rel="next"`). The
flatteners turn items and resource events into Arrow tables of fixed schemas.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
import pyarrow as pa
import requests

from ingestion.rest import RateLimitedError, RestClient

from . import settings

__all__ = ["GitLabAuthError", "GitLabClient", "GitLabError", "RateLimitedError", "TransientGitLabError"]

logger = logging.getLogger(__name__)


class GitLabError(RuntimeError):
    """A failure the user can act on; its message names what to fix and never carries a credential."""


class GitLabNotFoundError(GitLabError):
    """GitLab answered 404 or 410: a wrong project, or an item gone since it was listed."""


class GitLabAuthError(GitLabError):
    """GitLab refused the token, or the token may not read the project."""


class TransientGitLabError(GitLabError):
    """A failure worth retrying: a 5xx, a timeout, a dropped connection."""


def rate_limit_wait(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds to wait for a 429: `Retry-After`, else until `RateLimit-Reset` (epoch seconds), else 60."""
    if response.status_code != 429:
        return None
    retry_after = response.headers.get("Retry-After")
    try:
        if retry_after is not None:
            return max(float(retry_after), 0.0)
        reset = response.headers.get("RateLimit-Reset")
        if reset is not None:
            return max(float(reset) - (time.time() if now is None else now), 0.0) + 1.0
    except ValueError:
        pass
    return 60.0


def next_page_url(response: requests.Response) -> str | None:
    """The next page: `Link: rel="next"` when present, else `X-Next-Page` applied to this URL."""
    link = (response.links.get("next") or {}).get("url")
    if link:
        return link
    page = (response.headers.get("X-Next-Page") or "").strip()
    if not page:
        return None
    request_url = requests.PreparedRequest()
    base, _, query = (response.url or "").partition("?")
    params = [part for part in query.split("&") if part and not part.startswith("page=")]
    request_url.prepare_url(f"{base}?{'&'.join([*params, f'page={page}'])}", None)
    return request_url.url


@dataclass
class GitLabClient(RestClient):
    """A GitLab REST v4 client for gitlab.com or a self-managed instance."""

    access_token: str | None = field(repr=False)  # a secret: out of the repr
    base_url: str = settings.DEFAULT_BASE_URL
    timeout: float = settings.REQUEST_TIMEOUT_SECONDS
    max_attempts: int = settings.MAX_RETRIES
    backoff_seconds: float = 1.0
    max_rate_limit_wait: float = settings.MAX_RATE_LIMIT_WAIT_SECONDS

    service: ClassVar[str] = "GitLab"
    error: ClassVar[type[Exception]] = GitLabError
    auth_error: ClassVar[type[Exception]] = GitLabAuthError
    transient_error: ClassVar[type[Exception]] = TransientGitLabError
    not_found_error: ClassVar[type[Exception]] = GitLabNotFoundError

    def __post_init__(self) -> None:
        if not self.access_token:
            raise GitLabError(
                "GitLab token is missing: set SOURCES__GITLAB__ACCESS_TOKEN "
                "(a token with the read_api scope)."
            )
        self.base_url = self.base_url.rstrip("/")
        self.session.headers.update({"PRIVATE-TOKEN": self.access_token, "Accept": "application/json"})

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{settings.API_PREFIX}"

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """Every page of a list endpoint."""
        url: str | None = f"{self.api_url}{path}"
        query = params
        while url:
            response = self.request(url, query)
            body = self.json(response, path)
            yield body if isinstance(body, list) else []
            url, query = next_page_url(response), None

    def rate_limit_wait(self, response: requests.Response) -> float | None:
        return rate_limit_wait(response)

    def auth_message(self, status: int, path: str) -> str:
        return (
            f"GitLab at {self.base_url} answered {status} to {path}: check SOURCES__GITLAB__ACCESS_TOKEN "
            "(read_api scope) and that it may read SOURCES__GITLAB__PROJECTS."
        )

    def not_found_message(self, status: int, path: str) -> str:
        return (
            f"GitLab answered {status} to {path}: check SOURCES__GITLAB__PROJECTS "
            "(ids or group/project paths) and SOURCES__GITLAB__BASE_URL."
        )


def parse_timestamp(value: str | None) -> datetime | None:
    """GitLab's `2019-06-20T15:04:58.946Z` (or any ISO offset) as naive UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def format_updated_after(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


ITEMS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("gitlab_id", pa.int64()),
        ("kind", pa.string()),
        ("project_id", pa.int64()),
        ("project_path", pa.string()),
        ("iid", pa.int64()),
        ("reference", pa.string()),
        ("web_url", pa.string()),
        ("title", pa.string()),
        ("state", pa.string()),
        ("issue_type", pa.string()),
        ("is_draft", pa.bool_()),
        ("labels", pa.string()),
        ("author_username", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
        ("closed_at", pa.timestamp("us")),
        ("merged_at", pa.timestamp("us")),
        ("events_loaded", pa.int64()),
        ("configured_project", pa.string()),
        ("moved_to_id", pa.int64()),
    ]
)

# `raw_gitlab.project_scope`: the projects (ids or paths, as configured) of the last run, replaced every run.
SCOPE_SCHEMA = pa.schema([("project", pa.string()), ("listed_at", pa.timestamp("us"))])

EVENTS_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("event_id", pa.string()),
        ("resource", pa.string()),
        ("event_type", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("actor_username", pa.string()),
        ("label_name", pa.string()),
        ("state", pa.string()),
    ]
)

MAX_TITLE_CHARS = 1000


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping


def item_id(kind: str, item: dict[str, Any]) -> str:
    """Issues and merge requests have separate id spaces: the warehouse id names the kind."""
    return f"{kind}/{item.get('id')}"


def project_path(item: dict[str, Any], fallback: str) -> str:
    """`group/project` from the item's full reference (`group/project#12`, `group/project!3`)."""
    reference = _get(item, "references", "full")
    if isinstance(reference, str):
        for marker in ("#", "!"):
            if marker in reference:
                return reference.rsplit(marker, 1)[0]
    web_url = item.get("web_url")
    if isinstance(web_url, str) and "/-/" in web_url:
        return web_url.split("/-/", 1)[0].split("://", 1)[-1].split("/", 1)[-1]
    return fallback


def item_row(kind: str, item: dict[str, Any], project: str, events_loaded: int) -> dict[str, Any]:
    """One `raw_gitlab.items` row from a list-endpoint payload; missing fields become nulls."""
    title = item.get("title")
    labels = item.get("labels") if isinstance(item.get("labels"), list) else []
    return {
        "id": item_id(kind, item),
        "gitlab_id": item.get("id"),
        "kind": kind,
        "project_id": item.get("project_id"),
        "project_path": project_path(item, project),
        "iid": item.get("iid"),
        "reference": _get(item, "references", "full"),
        "web_url": item.get("web_url"),
        "title": title[:MAX_TITLE_CHARS] if isinstance(title, str) else None,
        "state": item.get("state"),
        "issue_type": item.get("issue_type") if kind == "issue" else None,
        "is_draft": bool(item.get("draft") or item.get("work_in_progress")),
        "labels": orjson.dumps(
            [label if isinstance(label, str) else _get(label, "name") for label in labels]
        ).decode(),
        "author_username": _get(item, "author", "username"),
        "created_at": parse_timestamp(item.get("created_at")),
        "updated_at": parse_timestamp(item.get("updated_at")),
        "closed_at": parse_timestamp(item.get("closed_at")),
        "merged_at": parse_timestamp(item.get("merged_at")),
        "events_loaded": events_loaded,
        # The `SOURCES__GITLAB__PROJECTS` entry (id or path) the item was read under: staging matches it to
        # `project_scope`, whatever the project is called now.
        "configured_project": project,
        # Set on an issue moved to another project, which GitLab closes where it was (staging drops it).
        "moved_to_id": item.get("moved_to_id") if isinstance(item.get("moved_to_id"), int) else None,
    }


def event_rows(
    owner_id: str, state_events: Iterable[dict[str, Any]], label_events: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Resource state and label events of one item, one row each."""
    for event in state_events:
        created = parse_timestamp(event.get("created_at"))
        if event.get("id") is None or created is None:
            continue
        yield {
            "item_id": owner_id,
            "event_id": f"state-{event['id']}",
            "resource": "state",
            "event_type": event.get("state"),
            "created_at": created,
            "actor_username": _get(event, "user", "username"),
            "label_name": None,
            "state": event.get("state"),
        }
    for event in label_events:
        created = parse_timestamp(event.get("created_at"))
        if event.get("id") is None or created is None:
            continue
        action = event.get("action")
        yield {
            "item_id": owner_id,
            "event_id": f"label-{event['id']}",
            "resource": "label",
            "event_type": {"add": "labeled", "remove": "unlabeled"}.get(action, action),
            "created_at": created,
            "actor_username": _get(event, "user", "username"),
            "label_name": _get(event, "label", "name"),
            "state": None,
        }


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)
