"""The demo tracker's GitHub and GitLab REST APIs: the endpoints the git sources call, in their real shapes.

GitHub answers as GitHub Enterprise Server does, under `/api/v3` (so `SOURCES__GITHUB__BASE_URL` is
`<tracker>/api/v3`):
- `GET /repos/{owner}/{repo}/issues`: issues and pull requests (`state` open|closed|all, default open;
  `sort` created|updated|comments; `direction`; `since`, which keeps items updated at or after it; `page`,
  `per_page` up to 100, default 30), paged by `Link: <...>; rel="next"` (with `last`, `prev`, `first`);
- `GET /repos/{owner}/{repo}/issues/{number}/timeline`: the item's timeline events, oldest first, paged
  alike.
It takes `Authorization: Bearer <token>` (or `token <token>`); anything else is GitHub's 401.

GitLab answers under `/api/v4` (so `SOURCES__GITLAB__BASE_URL` is the tracker's URL):
- `GET /projects/{id or URL-encoded path}/issues` and `/merge_requests` (`state`; `order_by`
  created_at|updated_at; `sort`; `updated_after` / `updated_before` / `created_after` / `created_before`,
  inclusive; `page`, `per_page` up to 100, default 20), paged by `X-Next-Page` (empty on the last page),
  `X-Page`, `X-Total`, `X-Total-Pages` and `Link`;
- `GET /projects/{id}/{issues|merge_requests}/{iid}/resource_state_events` and `.../resource_label_events`.
It takes `PRIVATE-TOKEN: <token>` (or `Authorization: Bearer <token>`); anything else is GitLab's 401.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Final, NamedTuple, Protocol
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .git_hosts import (
    GITHUB_BOT,
    DemoGitHubRepository,
    DemoGitLabProject,
    GitEvent,
    GitItem,
)

GITHUB_PREFIX: Final = "/api/v3"
GITLAB_PREFIX: Final = "/api/v4"
GITHUB_DEFAULT_PAGE: Final = 30
GITLAB_DEFAULT_PAGE: Final = 20
MAX_PAGE: Final = 100

_GITHUB_DOCS: Final = "https://docs.github.com/rest"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LABEL_COLOURS: Final = {
    "bug": "d73a4a",
    "security": "b60205",
    "tech-debt": "fbca04",
    "dependencies": "0366d6",
    "blocked": "000000",
}
# Event ids are `base + item ordinal * stride + position`: stable, unique, increasing within an item.
_ID_STRIDE: Final = 1000
_GITHUB_EVENT_BASE: Final = 11_000_000_000
_GITHUB_REVIEW_BASE: Final = 1_900_000_000
_GITLAB_STATE_EVENT_BASE: Final = 52_000_000
_GITLAB_LABEL_EVENT_BASE: Final = 710_000_000


class GitAnswer(NamedTuple):
    """An HTTP answer: status, JSON body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class GitRequest:
    path: str  # as sent, still percent-encoded (GitLab project paths are `group%2Fproject`)
    params: dict[str, str]
    server_url: str
    browse_url: str


Handler = Callable[["DemoGitHosts", GitRequest, re.Match[str]], GitAnswer]


class Headers(Protocol):
    """Request headers looked up case-insensitively (`http.server`'s message, or a plain dict in tests)."""

    def get(self, name: str, default: None = None, /) -> str | None: ...


class _BadParameterError(Exception):
    """A query parameter the API rejects; the host renders its own error body."""


def _github_error(status: int, message: str) -> GitAnswer:
    return GitAnswer(
        status, {"message": message, "documentation_url": _GITHUB_DOCS, "status": str(status)}, {}
    )


def _gitlab_error(status: int, message: str, key: str = "message") -> GitAnswer:
    return GitAnswer(status, {key: message}, {})


def _format_github(moment_ms: int | None) -> str | None:
    """GitHub's `2026-03-04T10:15:30Z` (whole seconds, UTC)."""
    if moment_ms is None:
        return None
    return f"{datetime.fromtimestamp(moment_ms // 1000, UTC):%Y-%m-%dT%H:%M:%SZ}"


def _format_gitlab(moment_ms: int | None) -> str | None:
    """GitLab's `2026-03-04T10:15:30.123Z` (milliseconds, UTC)."""
    if moment_ms is None:
        return None
    seconds, millis = divmod(moment_ms, 1000)
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def _parse_instant(value: str) -> int:
    """An ISO 8601 instant (`Z` or an offset; a date alone is its midnight UTC) as epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as error:
        raise _BadParameterError(value) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _paging(params: Mapping[str, str], default: int) -> tuple[int, int]:
    """`page` (1-based) and `per_page` (1..100), lenient like both APIs: junk falls back to the default."""

    def number(name: str, fallback: int) -> int:
        try:
            return int(params.get(name) or fallback)
        except ValueError:
            return fallback

    return max(1, number("page", 1)), min(max(1, number("per_page", default)), MAX_PAGE)


def _page_url(request: GitRequest, page: int, per_page: int) -> str:
    query = {**request.params, "page": str(page), "per_page": str(per_page)}
    return f"{request.server_url}{request.path}?{urlencode(query)}"


def _link_header(request: GitRequest, page: int, per_page: int, last: int) -> str:
    links = []
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links.append((1, "first"))
    return ", ".join(f'<{_page_url(request, number, per_page)}>; rel="{rel}"' for number, rel in links)


def _numeric_id(text: str) -> int:
    return int(hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:7], 16)


class DemoGitHosts:
    """Serves a DemoGitHubRepository and a DemoGitLabProject beside the demo tracker's Jira API."""

    def __init__(self, github: DemoGitHubRepository, gitlab: DemoGitLabProject, token: str) -> None:
        self.github = github
        self.gitlab = gitlab
        self.token = token

    # ---- routing and authentication ----------------------------------------------------------------------

    @staticmethod
    def handles(path: str) -> bool:
        """True for the paths this class answers (the rest is Jira's)."""
        return path.startswith((f"{GITHUB_PREFIX}/", f"{GITLAB_PREFIX}/"))

    def authorised(self, path: str, headers: Headers) -> bool:
        """GitHub: a Bearer (or `token`) Authorization; GitLab: PRIVATE-TOKEN or Bearer. Constant time."""
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        schemes = {"bearer", "token"} if path.startswith(GITHUB_PREFIX) else {"bearer"}
        if scheme.lower() in schemes and hmac.compare_digest(
            credential.strip().encode(), self.token.encode()
        ):
            return True
        private = headers.get("PRIVATE-TOKEN")
        return (
            path.startswith(GITLAB_PREFIX)
            and private is not None
            and hmac.compare_digest(private.strip().encode(), self.token.encode())
        )

    @staticmethod
    def unauthorised(path: str) -> GitAnswer:
        if path.startswith(GITHUB_PREFIX):
            return _github_error(401, "Bad credentials")
        return _gitlab_error(401, "401 Unauthorized")

    def respond(self, method: str, raw_path: str, server_url: str, browse_url: str) -> GitAnswer:
        """Route one authenticated request."""
        parts = urlsplit(raw_path)
        params = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path.rstrip("/")
        github = path.startswith(GITHUB_PREFIX)
        for pattern, handler in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            if method != "GET":
                return (
                    _github_error(404, "Not Found")
                    if github
                    else _gitlab_error(405, "405 Method Not Allowed")
                )
            request = GitRequest(path, params, server_url, browse_url)
            try:
                return handler(self, request, match)
            except _BadParameterError as error:
                if github:
                    return _github_error(422, f"Validation Failed: {error} is not a valid timestamp")
                return _gitlab_error(400, f"{error} is invalid", key="error")
        return _github_error(404, "Not Found") if github else _gitlab_error(404, "404 Not Found", key="error")

    # ---- GitHub ------------------------------------------------------------------------------------------

    @cached_property
    def _github_index(self) -> tuple[dict[int, int], dict[tuple[str, int], GitItem]]:
        """Each item's ordinal by number, and each item by its generator key (for cross-references)."""
        items = self.github.items
        return (
            {item.number: ordinal for ordinal, item in enumerate(items)},
            {item.key: item for item in items},
        )

    def github_issues(self, request: GitRequest, match: re.Match[str]) -> GitAnswer:
        if f"{match['owner']}/{match['repo']}".lower() != self.github.name:
            return _github_error(404, "Not Found")
        params = request.params
        state = params.get("state") or "open"
        sort = params.get("sort") or "created"
        direction = params.get("direction") or "desc"
        if state not in {"open", "closed", "all"} or sort not in {"created", "updated", "comments"}:
            return _github_error(422, "Validation Failed")
        if direction not in {"asc", "desc"}:
            return _github_error(422, "Validation Failed")
        items: Sequence[GitItem] = self.github.items
        if state != "all":
            items = [item for item in items if item.state == state]
        if params.get("since"):
            since = _parse_instant(params["since"])
            items = [item for item in items if item.updated_ms >= since]
        key: Callable[[GitItem], tuple[int, int]] = {
            "created": lambda item: (item.created_ms, item.number),
            "updated": lambda item: (item.updated_ms, item.number),
            "comments": lambda item: (item.comments, item.number),
        }[sort]
        ordered = sorted(items, key=key, reverse=direction == "desc")
        return self._github_page(request, ordered, lambda item: self._github_item(request, item))

    def github_timeline(self, request: GitRequest, match: re.Match[str]) -> GitAnswer:
        ordinals, _ = self._github_index
        ordinal = ordinals.get(int(match["number"]))
        if f"{match['owner']}/{match['repo']}".lower() != self.github.name or ordinal is None:
            return _github_error(404, "Not Found")
        item = self.github.items[ordinal]
        events = list(enumerate(item.events))
        return self._github_page(
            request, events, lambda pair: self._github_event(request, item, ordinal, pair[0], pair[1])
        )

    def _github_page(
        self, request: GitRequest, rows: Sequence[Any], render: Callable[[Any], Any]
    ) -> GitAnswer:
        page, per_page = _paging(request.params, GITHUB_DEFAULT_PAGE)
        last = max(1, math.ceil(len(rows) / per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {"X-GitHub-Media-Type": "github.v3; format=json"}
        link = _link_header(request, page, per_page, last)
        if link:
            headers["Link"] = link
        return GitAnswer(200, [render(row) for row in chunk], headers)

    def _github_user(self, request: GitRequest, login: str) -> dict[str, Any]:
        user_id = _numeric_id(login)
        return {
            "login": login,
            "id": user_id,
            "node_id": f"U_kgDO{user_id:08X}",
            "avatar_url": f"{request.browse_url}/avatars/{login}",
            "url": f"{request.server_url}{GITHUB_PREFIX}/users/{login}",
            "html_url": f"{request.browse_url}/{login}",
            "type": "Bot" if login == GITHUB_BOT else "User",
            "site_admin": False,
        }

    def _github_label(self, request: GitRequest, name: str) -> dict[str, Any]:
        label_id = _numeric_id(name)
        return {
            "id": label_id,
            "node_id": f"LA_kwDO{label_id:08X}",
            "url": f"{request.server_url}{GITHUB_PREFIX}/repos/{self.github.name}/labels/{name}",
            "name": name,
            "color": _LABEL_COLOURS.get(name, "ededed"),
            "default": name == "bug",
            "description": None,
        }

    def _github_item(self, request: GitRequest, item: GitItem) -> dict[str, Any]:
        """An item in the issues endpoint's shape; a pull request carries its `pull_request` object."""
        repo = self.github.name
        api = f"{request.server_url}{GITHUB_PREFIX}/repos/{repo}"
        pull = item.kind == "pull_request"
        html_url = f"{request.browse_url}/{repo}/{'pull' if pull else 'issues'}/{item.number}"
        users = [self._github_user(request, login) for login in item.assignees]
        body: dict[str, Any] = {
            "url": f"{api}/issues/{item.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{item.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{item.number}/comments",
            "events_url": f"{api}/issues/{item.number}/events",
            "html_url": html_url,
            "id": item.item_id,
            "node_id": f"{'PR' if pull else 'I'}_kwDO{item.item_id:010X}",
            "number": item.number,
            "title": item.title,
            "user": self._github_user(request, item.author),
            "labels": [self._github_label(request, name) for name in item.labels],
            "state": item.state,
            "locked": False,
            "assignee": users[0] if users else None,
            "assignees": users,
            "milestone": None,
            "comments": item.comments,
            "created_at": _format_github(item.created_ms),
            "updated_at": _format_github(item.updated_ms),
            "closed_at": _format_github(item.closed_ms),
            "author_association": "NONE" if item.author == GITHUB_BOT else "MEMBER",
            "type": None,
            "active_lock_reason": None,
            "body": f"{item.title}.",
            "timeline_url": f"{api}/issues/{item.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": item.state_reason,
        }
        if pull:
            body["draft"] = False
            body["pull_request"] = {
                "url": f"{api}/pulls/{item.number}",
                "html_url": html_url,
                "diff_url": f"{html_url}.diff",
                "patch_url": f"{html_url}.patch",
                "merged_at": _format_github(item.merged_ms),
            }
        return body

    def _github_event(
        self, request: GitRequest, item: GitItem, ordinal: int, position: int, event: GitEvent
    ) -> dict[str, Any]:
        """One timeline event in GitHub's shape (reviews and cross-references have their own)."""
        api = f"{request.server_url}{GITHUB_PREFIX}/repos/{self.github.name}"
        actor = self._github_user(request, event.actor)
        at = _format_github(event.at_ms)
        if event.kind == "reviewed":
            review_id = _GITHUB_REVIEW_BASE + ordinal * _ID_STRIDE + position
            html_url = (
                f"{request.browse_url}/{self.github.name}/pull/{item.number}#pullrequestreview-{review_id}"
            )
            return {
                "id": review_id,
                "node_id": f"PRR_kwDO{review_id:010X}",
                "user": actor,
                "body": "Looks good to me." if event.review_state == "approved" else "A few changes, please.",
                "commit_id": event.commit,
                "submitted_at": at,
                "state": event.review_state,
                "html_url": html_url,
                "pull_request_url": f"{api}/pulls/{item.number}",
                "author_association": "MEMBER",
                "_links": {
                    "html": {"href": html_url},
                    "pull_request": {"href": f"{api}/pulls/{item.number}"},
                },
                "event": "reviewed",
            }
        if event.kind == "cross-referenced":
            _, by_key = self._github_index
            source = by_key.get(event.reference) if event.reference else None
            return {
                "actor": actor,
                "created_at": at,
                "updated_at": at,
                "source": {"type": "issue", "issue": self._github_item(request, source) if source else None},
                "event": "cross-referenced",
            }
        event_id = _GITHUB_EVENT_BASE + ordinal * _ID_STRIDE + position
        body: dict[str, Any] = {
            "id": event_id,
            "node_id": f"E_kwDO{event_id:012X}",
            "url": f"{api}/issues/events/{event_id}",
            "actor": actor,
            "event": event.kind,
            "commit_id": event.commit,
            "commit_url": f"{api}/commits/{event.commit}" if event.commit else None,
            "created_at": at,
            "performed_via_github_app": None,
        }
        if event.kind == "commented":
            page = f"{request.browse_url}/{self.github.name}/issues/{item.number}"
            body |= {
                "html_url": f"{page}#issuecomment-{event_id}",
                "issue_url": f"{api}/issues/{item.number}",
                "user": actor,
                "updated_at": at,
                "author_association": "MEMBER",
                "body": "Any update on this?",
            }
        elif event.kind in {"labeled", "unlabeled"}:
            body["label"] = {"name": event.label, "color": _LABEL_COLOURS.get(event.label or "", "ededed")}
        elif event.kind == "assigned":
            assignee = self._github_user(request, event.assignee or event.actor)
            body |= {"assignee": assignee, "assigner": actor}
        elif event.kind == "review_requested":
            body |= {
                "review_requester": actor,
                "requested_reviewer": self._github_user(request, event.reviewer or event.actor),
            }
        elif event.kind == "closed":
            body["state_reason"] = event.state_reason
        elif event.kind == "reopened":
            body["state_reason"] = None
        return body

    # ---- GitLab ------------------------------------------------------------------------------------------

    @cached_property
    def _gitlab_index(self) -> dict[tuple[str, int], tuple[int, GitItem]]:
        """Each item and its ordinal by (kind, iid)."""
        return {(item.kind, item.number): (ordinal, item) for ordinal, item in enumerate(self.gitlab.items)}

    def _gitlab_project(self, match: re.Match[str]) -> bool:
        project = unquote(match["project"])
        return project in {str(self.gitlab.project_id), self.gitlab.name}

    def gitlab_items(self, request: GitRequest, match: re.Match[str]) -> GitAnswer:
        if not self._gitlab_project(match):
            return _gitlab_error(404, "404 Project Not Found")
        kind = "issue" if match["kind"] == "issues" else "merge_request"
        params = request.params
        order_by = params.get("order_by") or "created_at"
        sort = params.get("sort") or "desc"
        state = params.get("state") or "all"
        if order_by not in {"created_at", "updated_at"}:
            return _gitlab_error(400, "order_by does not have a valid value", key="error")
        if sort not in {"asc", "desc"}:
            return _gitlab_error(400, "sort does not have a valid value", key="error")
        items = [item for item in self.gitlab.items if item.kind == kind]
        if state != "all":
            items = [item for item in items if self._gitlab_state(item) == state]
        bounds = (
            ("updated_after", lambda item: item.updated_ms, 1),
            ("updated_before", lambda item: item.updated_ms, -1),
            ("created_after", lambda item: item.created_ms, 1),
            ("created_before", lambda item: item.created_ms, -1),
        )
        for name, value, sign in bounds:
            if params.get(name):
                try:
                    limit = _parse_instant(params[name])
                except _BadParameterError as error:
                    raise _BadParameterError(name) from error
                items = [item for item in items if (value(item) - limit) * sign >= 0]
        field = "updated_ms" if order_by == "updated_at" else "created_ms"
        items.sort(key=lambda item: (getattr(item, field), item.number), reverse=sort == "desc")
        return self._gitlab_page(request, items, lambda item: self._gitlab_item(request, item))

    def gitlab_events(self, request: GitRequest, match: re.Match[str]) -> GitAnswer:
        if not self._gitlab_project(match):
            return _gitlab_error(404, "404 Project Not Found")
        kind = "issue" if match["kind"] == "issues" else "merge_request"
        found = self._gitlab_index.get((kind, int(match["iid"])))
        if found is None:
            return _gitlab_error(404, "404 Not found")
        ordinal, item = found
        states = match["events"] == "resource_state_events"
        wanted = {"closed", "reopened", "merged"} if states else {"labeled", "unlabeled"}
        rows = [(position, event) for position, event in enumerate(item.events) if event.kind in wanted]
        render = self._gitlab_state_event if states else self._gitlab_label_event
        return self._gitlab_page(request, rows, lambda pair: render(request, item, ordinal, *pair))

    def _gitlab_page(
        self, request: GitRequest, rows: Sequence[Any], render: Callable[[Any], Any]
    ) -> GitAnswer:
        page, per_page = _paging(request.params, GITLAB_DEFAULT_PAGE)
        last = max(1, math.ceil(len(rows) / per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(rows)),
            "X-Total-Pages": str(last),
            "X-Next-Page": str(page + 1) if page < last else "",
            "X-Prev-Page": str(page - 1) if 1 < page <= last else "",
        }
        links = [(1, "first"), (last, "last")]
        if page < last:
            links.insert(0, (page + 1, "next"))
        if 1 < page <= last:
            links.insert(0, (page - 1, "prev"))
        headers["Link"] = ", ".join(
            f'<{_page_url(request, number, per_page)}>; rel="{rel}"' for number, rel in links
        )
        return GitAnswer(200, [render(row) for row in chunk], headers)

    @staticmethod
    def _gitlab_state(item: GitItem) -> str:
        if item.merged_ms is not None:
            return "merged"
        return "closed" if item.state == "closed" else "opened"

    def _gitlab_user(self, request: GitRequest, username: str) -> dict[str, Any]:
        return {
            "id": _numeric_id(username),
            "username": username,
            "name": username.replace(".", " ").replace("-", " ").title(),
            "state": "active",
            "locked": False,
            "avatar_url": f"{request.browse_url}/uploads/avatars/{username}.png",
            "web_url": f"{request.browse_url}/{username}",
        }

    def _gitlab_item(self, request: GitRequest, item: GitItem) -> dict[str, Any]:
        """An issue or merge request in the list endpoints' shape."""
        path, issue = self.gitlab.name, item.kind == "issue"
        marker = "#" if issue else "!"
        segment = "issues" if issue else "merge_requests"
        state = self._gitlab_state(item)
        users = [self._gitlab_user(request, name) for name in item.assignees]
        closer = self._last_actor(item, "closed") if state == "closed" else None
        body: dict[str, Any] = {
            "id": item.item_id,
            "iid": item.number,
            "project_id": self.gitlab.project_id,
            "title": item.title,
            "description": f"{item.title}.",
            "state": state,
            "created_at": _format_gitlab(item.created_ms),
            "updated_at": _format_gitlab(item.updated_ms),
            "closed_at": _format_gitlab(item.closed_ms) if state == "closed" else None,
            "closed_by": self._gitlab_user(request, closer) if closer else None,
            "labels": list(item.labels),
            "milestone": None,
            "author": self._gitlab_user(request, item.author),
            "assignees": users,
            "assignee": users[0] if users else None,
            "user_notes_count": item.comments,
            "upvotes": 0,
            "downvotes": 0,
            "discussion_locked": None,
            "web_url": f"{request.browse_url}/{path}/-/{segment}/{item.number}",
            "references": {
                "short": f"{marker}{item.number}",
                "relative": f"{marker}{item.number}",
                "full": f"{path}{marker}{item.number}",
            },
            "time_stats": {"time_estimate": 0, "total_time_spent": 0},
            "task_completion_status": {"count": 0, "completed_count": 0},
        }
        if issue:
            body |= {
                "type": "ISSUE",
                "issue_type": "issue",
                "confidential": False,
                "due_date": None,
                "severity": "UNKNOWN",
                "has_tasks": False,
            }
        else:
            merger = self._last_actor(item, "merged")
            body |= {
                "reference": f"!{item.number}",
                "target_branch": "main",
                "source_branch": f"{item.author.split('.')[0]}/{item.number}",
                "source_project_id": self.gitlab.project_id,
                "target_project_id": self.gitlab.project_id,
                "reviewers": [],
                "draft": False,
                "work_in_progress": False,
                "merge_status": "can_be_merged",
                "detailed_merge_status": "not_open" if state != "opened" else "mergeable",
                "merged_by": self._gitlab_user(request, merger) if merger else None,
                "merge_user": self._gitlab_user(request, merger) if merger else None,
                "merged_at": _format_gitlab(item.merged_ms),
                "sha": hashlib.sha1(f"{path}!{item.number}".encode(), usedforsecurity=False).hexdigest(),
                "squash": False,
            }
        return body

    @staticmethod
    def _last_actor(item: GitItem, kind: str) -> str | None:
        actors = [event.actor for event in item.events if event.kind == kind]
        return actors[-1] if actors else None

    def _resource(self, item: GitItem) -> str:
        return "Issue" if item.kind == "issue" else "MergeRequest"

    def _gitlab_state_event(
        self, request: GitRequest, item: GitItem, ordinal: int, position: int, event: GitEvent
    ) -> dict[str, Any]:
        return {
            "id": _GITLAB_STATE_EVENT_BASE + ordinal * _ID_STRIDE + position,
            "user": self._gitlab_user(request, event.actor),
            "created_at": _format_gitlab(event.at_ms),
            "resource_type": self._resource(item),
            "resource_id": item.item_id,
            "state": event.kind,
        }

    def _gitlab_label_event(
        self, request: GitRequest, item: GitItem, ordinal: int, position: int, event: GitEvent
    ) -> dict[str, Any]:
        name = event.label or ""
        return {
            "id": _GITLAB_LABEL_EVENT_BASE + ordinal * _ID_STRIDE + position,
            "user": self._gitlab_user(request, event.actor),
            "created_at": _format_gitlab(event.at_ms),
            "resource_type": self._resource(item),
            "resource_id": item.item_id,
            "label": {
                "id": _numeric_id(name),
                "name": name,
                "color": "#" + _LABEL_COLOURS.get(name, "6699cc"),
                "description": None,
            },
            "action": "add" if event.kind == "labeled" else "remove",
        }


_ROUTES: Final[tuple[tuple[re.Pattern[str], Handler], ...]] = (
    (
        re.compile(rf"^{GITHUB_PREFIX}/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues$"),
        DemoGitHosts.github_issues,
    ),
    (
        re.compile(
            rf"^{GITHUB_PREFIX}/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/timeline$"
        ),
        DemoGitHosts.github_timeline,
    ),
    (
        re.compile(rf"^{GITLAB_PREFIX}/projects/(?P<project>[^/]+)/(?P<kind>issues|merge_requests)$"),
        DemoGitHosts.gitlab_items,
    ),
    (
        re.compile(
            rf"^{GITLAB_PREFIX}/projects/(?P<project>[^/]+)/(?P<kind>issues|merge_requests)/(?P<iid>\d+)"
            r"/(?P<events>resource_state_events|resource_label_events)$"
        ),
        DemoGitHosts.gitlab_events,
    ),
)

__all__ = ["GITHUB_PREFIX", "GITLAB_PREFIX", "DemoGitHosts", "GitAnswer"]
