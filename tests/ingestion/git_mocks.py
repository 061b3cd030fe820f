"""Loopback GitHub and GitLab APIs for source tests, serving recorded payloads in each API's page shape.

GitHub pages with `Link: <...>; rel="next"`; GitLab with `X-Next-Page` (and `Link`). Both record every
request and can be told to answer the next calls of a path with scripted faults (rate limits, outages).
"""

from __future__ import annotations

import csv
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlparse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
Answer = tuple[int, dict[str, str], Any]
Handler = Callable[[re.Match[str], dict[str, list[str]]], Answer]


def recorded(path: Path) -> list[dict[str, Any]]:
    """The `data` objects of a recorded CSV (columns id, params, data, url, input, created_at)."""
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8") as handle:
        return [json.loads(row["data"]) for row in csv.DictReader(handle)]


def _stamp(value: str | None) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass
class HttpMock:
    """A threaded HTTP server on 127.0.0.1 routing GET paths (regexes) to handlers."""

    routes: list[tuple[re.Pattern[str], Handler]] = field(default_factory=list)
    calls: dict[str, list[dict[str, list[str]]]] = field(default_factory=lambda: defaultdict(list))
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    faults: dict[str, list[Answer]] = field(default_factory=dict)

    def __enter__(self) -> HttpMock:
        mock = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                path, query = unquote(parsed.path), parse_qs(parsed.query)
                mock.calls[path].append(query)
                mock.headers_seen.append(dict(self.headers))
                status, headers, payload = mock.answer(path, query)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, pattern: str, handler: Handler) -> None:
        self.routes.append((re.compile(f"^{pattern}$"), handler))

    def fail_next(self, path: str, answers: list[Answer]) -> None:
        """Answer the next calls of `path` with these answers, then serve it normally again."""
        self.faults.setdefault(path, []).extend(answers)

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if self.faults.get(path):
            return self.faults[path].pop(0)
        for pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                return handler(match, query)
        return 404, {}, {"message": "Not Found"}

    def page(self, path: str, query: dict[str, list[str]], rows: list[Any], gitlab: bool = False) -> Answer:
        """One page of `rows` by `page` / `per_page`, with the next page's link the way the API sends it."""
        number = int((query.get("page") or ["1"])[0])
        size = int((query.get("per_page") or ["30" if not gitlab else "20"])[0])
        chunk = rows[(number - 1) * size : number * size]
        headers: dict[str, str] = {}
        if number * size < len(rows):
            flat = {key: values[0] for key, values in query.items()}
            next_url = f"{self.url}{quote(path)}?{urlencode({**flat, 'page': number + 1, 'per_page': size})}"
            headers["Link"] = f'<{next_url}>; rel="next"'
            if gitlab:
                headers["X-Next-Page"] = str(number + 1)
        elif gitlab:
            headers["X-Next-Page"] = ""
        return 200, headers, chunk


# --- GitHub ------------------------------------------------------------------------------------------


@dataclass
class GitHubRepository:
    """Items (issues and pull requests, issues-endpoint shape) and each item's timeline, by number."""

    items: list[dict[str, Any]]
    timelines: dict[int, list[dict[str, Any]]]


def ants_repository() -> GitHubRepository:
    """panjf2000/ants as recorded: issues, plus the issues embedded in issue events, with their timelines.

    Issue events become the timeline of their issue (without the embedded `issue`, as the timeline
    endpoint sends them); pull request reviews become `reviewed` timeline events of their pull request.
    """
    folder = FIXTURES / "github"
    items: dict[int, dict[str, Any]] = {}
    for item in recorded(folder / "_raw_github_api_issues.csv"):
        items.setdefault(item["id"], item)
    timelines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in recorded(folder / "_raw_github_api_events.csv"):
        issue = event.pop("issue")
        items.setdefault(issue["id"], issue)
        timelines[issue["number"]].append(event)
    for review in recorded(folder / "_raw_github_api_pull_request_reviews.csv"):
        number = int(review["pull_request_url"].rsplit("/", 1)[1])
        timelines[number].append({**review, "event": "reviewed"})
    return GitHubRepository(list(items.values()), dict(timelines))


class GitHubMock(HttpMock):
    """`/repos/{owner}/{repo}/issues` (state=all, since, sort=updated, direction) and issue timelines."""

    def __init__(self) -> None:
        super().__init__()
        self.repositories: dict[str, GitHubRepository] = {}
        self.route(r"/repos/(?P<repo>[^/]+/[^/]+)/issues", self._issues)
        self.route(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/timeline", self._timeline)

    def add(self, name: str, repository: GitHubRepository) -> GitHubMock:
        self.repositories[name] = repository
        return self

    def _issues(self, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
        repository = self.repositories.get(match["repo"])
        if repository is None:
            return 404, {}, {"message": "Not Found"}
        newest_first = (query.get("direction") or ["desc"])[0] == "desc"
        rows = sorted(
            repository.items,
            key=lambda item: (_stamp(item["updated_at"]), item["number"]),
            reverse=newest_first,
        )
        if query.get("since"):
            since = _stamp(query["since"][0])
            rows = [item for item in rows if _stamp(item["updated_at"]) >= since]
        return self.page(match.group(0), query, rows)

    def _timeline(self, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
        repository = self.repositories.get(match["repo"])
        if repository is None:
            return 404, {}, {"message": "Not Found"}
        return self.page(match.group(0), query, repository.timelines.get(int(match["number"]), []))


def github_user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10_000_000, "type": "User"}


def github_item(
    item_id: int,
    number: int,
    created: str,
    updated: str,
    *,
    repository: str = "acme/app",
    pull_request: bool = False,
    state: str = "open",
    state_reason: str | None = None,
    closed: str | None = None,
    merged: str | None = None,
    labels: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A crafted item in the issues endpoint's shape."""
    kind = "pull" if pull_request else "issues"
    item: dict[str, Any] = {
        "id": item_id,
        "node_id": f"I_{item_id}",
        "number": number,
        "html_url": f"https://github.com/{repository}/{kind}/{number}",
        "title": f"Item {number}",
        "user": github_user("ann"),
        "labels": [{"id": index, "name": name} for index, name in enumerate(labels)],
        "state": state,
        "state_reason": state_reason,
        "assignees": [],
        "milestone": None,
        "created_at": created,
        "updated_at": updated,
        "closed_at": closed,
        "draft": False,
    }
    if pull_request:
        item["pull_request"] = {
            "url": f"https://api.github.com/repos/{repository}/pulls/{number}",
            "merged_at": merged,
        }
    return item


def github_event(event_id: int, kind: str, created: str, **extra: Any) -> dict[str, Any]:
    """A crafted timeline event."""
    return {"id": event_id, "event": kind, "created_at": created, "actor": github_user("ann"), **extra}


# --- GitLab ------------------------------------------------------------------------------------------


@dataclass
class GitLabProject:
    """Issues and merge requests (list-endpoint shape) and their resource events, keyed (kind, iid)."""

    project_id: int
    path: str
    issues: list[dict[str, Any]]
    merge_requests: list[dict[str, Any]]
    state_events: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    label_events: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)


def _derived_events(kind: str, item: dict[str, Any], next_id: Callable[[], int]) -> tuple[list, list]:
    """State and label events consistent with an item's recorded state, timestamps and labels."""
    resource = "Issue" if kind == "issues" else "MergeRequest"
    states = []
    if item.get("merged_at"):
        states.append({"state": "merged", "created_at": item["merged_at"]})
    elif item.get("closed_at"):
        states.append({"state": "closed", "created_at": item["closed_at"]})
    state_events = [
        {
            "id": next_id(),
            "user": {"username": "recorded"},
            "resource_type": resource,
            "resource_id": item["id"],
            "state": state["state"],
            "created_at": state["created_at"],
        }
        for state in states
    ]
    label_events = [
        {
            "id": next_id(),
            "user": {"username": "recorded"},
            "resource_type": resource,
            "resource_id": item["id"],
            "action": "add",
            "created_at": item["created_at"],
            "label": {"id": index, "name": name},
        }
        for index, name in enumerate(item.get("labels") or [])
    ]
    return state_events, label_events


def snowflake_spend_project() -> GitLabProject:
    """gitlab-data/snowflake_spend as recorded, with resource events derived from each item."""
    folder = FIXTURES / "gitlab"
    project = GitLabProject(
        project_id=12345678,
        path="gitlab-data/snowflake_spend",
        issues=recorded(folder / "_raw_gitlab_api_issues.csv"),
        merge_requests=recorded(folder / "_raw_gitlab_api_merge_requests.csv"),
    )
    counter = iter(range(900_000, 10_000_000))
    for kind, rows in (("issues", project.issues), ("merge_requests", project.merge_requests)):
        for item in rows:
            states, labels = _derived_events(kind, item, lambda: next(counter))
            project.state_events[(kind, item["iid"])] = states
            project.label_events[(kind, item["iid"])] = labels
    return project


class GitLabMock(HttpMock):
    """`/api/v4/projects/{id}/{issues|merge_requests}` and their per-item resource events."""

    def __init__(self) -> None:
        super().__init__()
        self.projects: dict[str, GitLabProject] = {}
        prefix = r"/api/v4/projects/(?P<project>[^/]+(?:/[^/]+)?)/(?P<kind>issues|merge_requests)"
        self.route(prefix, self._items)
        self.route(
            prefix + r"/(?P<iid>\d+)/(?P<events>resource_state_events|resource_label_events)", self._events
        )

    def add(self, project: GitLabProject) -> GitLabMock:
        self.projects[str(project.project_id)] = project
        self.projects[project.path] = project
        return self

    def _items(self, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
        project = self.projects.get(match["project"])
        if project is None:
            return 404, {}, {"message": "404 Project Not Found"}
        rows = project.issues if match["kind"] == "issues" else project.merge_requests
        newest_first = (query.get("sort") or ["desc"])[0] == "desc"
        rows = sorted(rows, key=lambda item: (_stamp(item["updated_at"]), item["iid"]), reverse=newest_first)
        if query.get("updated_after"):
            after = _stamp(query["updated_after"][0])
            rows = [item for item in rows if _stamp(item["updated_at"]) >= after]
        return self.page(match.group(0), query, rows, gitlab=True)

    def _events(self, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
        project = self.projects.get(match["project"])
        if project is None:
            return 404, {}, {"message": "404 Project Not Found"}
        source = project.state_events if match["events"] == "resource_state_events" else project.label_events
        return self.page(
            match.group(0), query, source.get((match["kind"], int(match["iid"])), []), gitlab=True
        )
