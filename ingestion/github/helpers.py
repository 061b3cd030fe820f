"""HTTP client and page flattening for the GitHub source.

The client owns authentication, rate limits and retries: GitHub's primary limit (403 or 429 with
`X-RateLimit-Remaining: 0` and the reset instant in `X-RateLimit-Reset`) and its secondary limits (403 or
429 with `Retry-After`) are waited out, never counted as failures. The flatteners turn items and timeline
events into Arrow tables of fixed schemas, so dlt loads them without its nested normalisation.
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

__all__ = ["GitHubAuthError", "GitHubClient", "GitHubError", "RateLimitedError", "TransientGitHubError"]

logger = logging.getLogger(__name__)


class GitHubError(RuntimeError):
    """A failure the user can act on; its message names what to fix and never carries a credential."""


class GitHubNotFoundError(GitHubError):
    """GitHub answered 404 or 410: a wrong repository, or an item gone since it was listed."""


class GitHubAuthError(GitHubError):
    """GitHub refused the token, or the token may not read the repository."""


class TransientGitHubError(GitHubError):
    """A failure worth retrying: a 5xx, a timeout, a dropped connection or a broken body."""


def rate_limit_wait(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds to wait when a response says a rate limit was hit, else None.

    Secondary limits send `Retry-After`; the primary limit sends `X-RateLimit-Remaining: 0` and the
    reset instant (epoch seconds) in `X-RateLimit-Reset`. Both come as 403 or 429.
    """
    if response.status_code not in (403, 429):
        return None
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            return 60.0
    if response.headers.get("X-RateLimit-Remaining") == "0":
        return _seconds_until_reset(response, now)
    if response.status_code == 429 or _says_rate_limit(response):
        return 60.0  # GitHub's advice for a secondary limit without a header: wait at least a minute
    return None


def _says_rate_limit(response: requests.Response) -> bool:
    """A secondary limit can come as a 403 with neither header, only its message ("You have exceeded a
    secondary rate limit"); a 403 that says nothing of a limit is a token or permission problem."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return False
    return isinstance(message, str) and "rate limit" in message.lower()


def _seconds_until_reset(response: requests.Response, now: float | None) -> float:
    reset = response.headers.get("X-RateLimit-Reset")
    try:
        return max(float(reset) - (time.time() if now is None else now), 0.0) + 1.0 if reset else 60.0
    except ValueError:
        return 60.0


def next_link(response: requests.Response) -> str | None:
    """The `rel="next"` URL of a `Link` header (GitHub and GitLab page this way)."""
    return (response.links.get("next") or {}).get("url")


@dataclass
class GitHubClient(RestClient):
    """A GitHub REST client (github.com or GitHub Enterprise Server's `/api/v3`)."""

    access_token: str | None = field(repr=False)  # a secret: out of the repr
    base_url: str = settings.DEFAULT_BASE_URL
    timeout: float = settings.REQUEST_TIMEOUT_SECONDS
    max_attempts: int = settings.MAX_RETRIES
    backoff_seconds: float = 1.0
    max_rate_limit_wait: float = settings.MAX_RATE_LIMIT_WAIT_SECONDS

    service: ClassVar[str] = "GitHub"
    error: ClassVar[type[Exception]] = GitHubError
    auth_error: ClassVar[type[Exception]] = GitHubAuthError
    transient_error: ClassVar[type[Exception]] = TransientGitHubError
    not_found_error: ClassVar[type[Exception]] = GitHubNotFoundError

    def __post_init__(self) -> None:
        if not self.access_token:
            raise GitHubError(
                "GitHub token is missing: set SOURCES__GITHUB__ACCESS_TOKEN (a fine-grained token with "
                "read access to issues, pull requests and metadata of the repositories)."
            )
        self.base_url = self.base_url.rstrip("/")
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self.access_token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": settings.API_VERSION,
            }
        )

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """Every page of a list endpoint, following `Link: rel="next"` until there is none."""
        url: str | None = f"{self.base_url}{path}"
        query = params
        while url:
            response = self.request(url, query)
            body = self.json(response, path)
            yield body if isinstance(body, list) else []
            url, query = next_link(response), None  # the next link carries the whole query

    def rate_limit_wait(self, response: requests.Response) -> float | None:
        return rate_limit_wait(response)

    def auth_message(self, status: int, path: str) -> str:
        return (
            f"GitHub at {self.base_url} answered {status} to {path}: check SOURCES__GITHUB__ACCESS_TOKEN "
            "and that it may read the issues and pull requests of SOURCES__GITHUB__REPOSITORIES."
        )

    def not_found_message(self, status: int, path: str) -> str:
        return (
            f"GitHub answered {status} to {path}: check the repository name in SOURCES__GITHUB__REPOSITORIES "
            "(owner/repo) and that the token may see it."
        )

    def after_response(self, response: requests.Response) -> None:
        """When the primary budget is spent, sleep until it resets instead of provoking a 403."""
        if response.headers.get("X-RateLimit-Remaining") == "0" and response.headers.get("X-RateLimit-Reset"):
            wait = _seconds_until_reset(response, None)
            if wait <= self.max_rate_limit_wait:
                logger.warning("GitHub rate limit budget spent; waiting %.0f s for its reset", wait)
                self.sleep(wait)


def parse_timestamp(value: str | None) -> datetime | None:
    """GitHub's `2025-03-04T10:15:30Z` (or any ISO offset) as naive UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def format_since(moment: datetime) -> str:
    """A naive UTC instant as the ISO 8601 `since` GitHub expects."""
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


ITEMS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("node_id", pa.string()),
        ("repository", pa.string()),
        ("number", pa.int64()),
        ("html_url", pa.string()),
        ("title", pa.string()),
        ("is_pull_request", pa.bool_()),
        ("is_draft", pa.bool_()),
        ("state", pa.string()),
        ("state_reason", pa.string()),
        ("issue_type_name", pa.string()),
        ("labels", pa.string()),
        ("author_login", pa.string()),
        ("assignee_logins", pa.string()),
        ("milestone_title", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
        ("closed_at", pa.timestamp("us")),
        ("merged_at", pa.timestamp("us")),
        ("events_loaded", pa.int64()),
    ]
)

# `raw_github.repository_scope`: the repositories configured at the last run (replaced every run).
SCOPE_SCHEMA = pa.schema([("repository", pa.string()), ("listed_at", pa.timestamp("us"))])

EVENTS_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("event_id", pa.string()),
        ("repository", pa.string()),
        ("item_number", pa.int64()),
        ("event_type", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("actor_login", pa.string()),
        ("label_name", pa.string()),
        ("review_state", pa.string()),
        ("state_reason", pa.string()),
        ("requested_reviewer_login", pa.string()),
        ("assignee_login", pa.string()),
        ("commit_id", pa.string()),
        ("source_item_url", pa.string()),
        ("source_is_pull_request", pa.bool_()),
    ]
)

MAX_TITLE_CHARS = 1000


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping


def _logins(users: Any) -> str:
    users = users if isinstance(users, list) else []
    return orjson.dumps([_get(user, "login") for user in users if _get(user, "login")]).decode()


def item_row(item: dict[str, Any], repository: str, events_loaded: int) -> dict[str, Any]:
    """One `raw_github.items` row from an issues-endpoint payload; missing fields become nulls."""
    pull_request = item.get("pull_request")
    title = item.get("title")
    labels = item.get("labels") if isinstance(item.get("labels"), list) else []
    return {
        "id": None if item.get("id") is None else str(item["id"]),
        "node_id": item.get("node_id"),
        "repository": repository,
        "number": item.get("number"),
        "html_url": item.get("html_url"),
        "title": title[:MAX_TITLE_CHARS] if isinstance(title, str) else None,
        "is_pull_request": isinstance(pull_request, dict),
        "is_draft": bool(item.get("draft")),
        "state": item.get("state"),
        "state_reason": item.get("state_reason"),
        "issue_type_name": _get(item, "type", "name"),
        "labels": orjson.dumps(
            [label if isinstance(label, str) else _get(label, "name") for label in labels]
        ).decode(),
        "author_login": _get(item, "user", "login"),
        "assignee_logins": _logins(item.get("assignees")),
        "milestone_title": _get(item, "milestone", "title"),
        "created_at": parse_timestamp(item.get("created_at")),
        "updated_at": parse_timestamp(item.get("updated_at")),
        "closed_at": parse_timestamp(item.get("closed_at")),
        "merged_at": parse_timestamp(_get(pull_request, "merged_at")),
        "events_loaded": events_loaded,
    }


def event_id(event: dict[str, Any]) -> str | None:
    """A stable id per timeline event. Reviews carry review ids, cross-references none of their own."""
    kind = event.get("event")
    if kind == "reviewed" and event.get("id") is not None:
        return f"review-{event['id']}"
    if kind == "cross-referenced":
        source_id = _get(event, "source", "issue", "id")
        return f"xref-{source_id}-{event.get('created_at')}" if source_id is not None else None
    return None if event.get("id") is None else str(event["id"])


def event_rows(
    item_id: str, repository: str, number: int | None, events: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The kept timeline events of one item, one row each, in whatever order the API gave them."""
    for event in events:
        kind = event.get("event")
        if kind not in settings.TIMELINE_EVENTS:
            continue
        identifier = event_id(event)
        created = parse_timestamp(event.get("created_at") or event.get("submitted_at"))
        if identifier is None or created is None:
            continue
        source_issue = _get(event, "source", "issue")
        yield {
            "item_id": item_id,
            "event_id": identifier,
            "repository": repository,
            "item_number": number,
            "event_type": kind,
            "created_at": created,
            "actor_login": _get(event, "actor", "login") or _get(event, "user", "login"),
            "label_name": _get(event, "label", "name"),
            "review_state": str(event.get("state") or "").lower() or None if kind == "reviewed" else None,
            "state_reason": event.get("state_reason"),
            "requested_reviewer_login": _get(event, "requested_reviewer", "login")
            or _get(event, "requested_team", "slug"),
            "assignee_login": _get(event, "assignee", "login"),
            "commit_id": event.get("commit_id"),
            "source_item_url": _get(source_issue, "html_url"),
            "source_is_pull_request": isinstance(_get(source_issue, "pull_request"), dict)
            if source_issue
            else None,
        }


def to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows to an Arrow table of a fixed schema, so every page lands with identical column types."""
    return pa.Table.from_pylist(rows, schema=schema)
