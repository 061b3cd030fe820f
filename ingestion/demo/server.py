"""A loopback HTTP server that answers like Jira Cloud (or Data Center) for a DemoOrganisation.

Only the endpoints and JSON shapes the Jira source calls are served, but those exactly as Jira serves them:
token-paged `search/jql` that embeds at most the 20 newest histories, the paged issue changelog, the bulk
changelog fetch, and the Data Center `search` with full changelogs. Paging is O(page): a page token holds the
scan position, and filters are decided on cheap per-issue facts before an issue is built.

Beside Jira, the same server answers as GitHub (under `/api/v3`) and GitLab (under `/api/v4`) for the demo
organisation's code hosts (see `git_api` and `git_hosts`), so one demo run reads three tools.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from .faults import FaultPlan, FaultRule
from .generator import MAX_ACTIVITY_DAYS, UPDATED_BLOCK, DemoOrganisation, History
from .git_api import GITHUB_PREFIX, DemoGitHosts, Headers
from .git_hosts import GITHUB_REPOSITORY, GITLAB_PROJECT, demo_hosts
from .jql import JqlError, Query, parse_jql

logger = logging.getLogger(__name__)

Flavor = Literal["cloud", "datacenter"]

EMBEDDED_HISTORIES: Final = 20
SEARCH_DEFAULT_PAGE: Final = 50
SEARCH_MAX_PAGE: Final = 100
# Cloud serves up to 5000 issues a page when only ids (or keys) are asked for.
ID_ONLY_MAX_PAGE: Final = 5000
DATACENTER_MAX_PAGE: Final = 1000
CHANGELOG_MAX_PAGE: Final = 100
BULK_DEFAULT_PAGE: Final = 1000
BULK_MAX_PAGE: Final = 10000
BULK_MAX_ISSUES: Final = 1000
# Issues one search request may examine; past it the page is returned short (still with a token), as
# Jira Cloud may return short pages. Keeps every request bounded on a million-issue organisation.
SCAN_BUDGET: Final = 250_000

# The demo's public credentials: they guard nothing but a loopback toy, and are printed on start.
DEMO_EMAIL: Final = "demo@example.com"
DEMO_API_TOKEN: Final = "demo-token"  # noqa: S105 - a published demo credential, not a secret

_NOT_AUTHENTICATED: Final = "Client must be authenticated to access this resource."
_NO_ISSUE: Final = "Issue does not exist or you do not have permission to see it."
_EXPIRED_PAGE_MESSAGE: Final = "The provided next page token is invalid or expired."


class ApiError(Exception):
    """An error answer: HTTP status plus Jira's `errorMessages` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return orjson.dumps(self.body)  # compact JSON like json.dumps(separators=...), several times faster


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    api: str


Handler = Callable[["DemoTracker", Request, re.Match[str]], Response]


def encode_page_token(position: int, jql: str) -> str:
    """An opaque search token holding the scan position and a checksum of the JQL it belongs to."""
    raw = json.dumps({"p": position, "q": zlib.crc32(jql.encode())}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, jql: str) -> int:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        position, checksum = int(raw["p"]), int(raw["q"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise ApiError(400, _EXPIRED_PAGE_MESSAGE) from error
    if checksum != zlib.crc32(jql.encode()) or position < 0:
        raise ApiError(400, _EXPIRED_PAGE_MESSAGE)
    return position


def _int_param(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ApiError(400, f"The value '{value}' is not valid for '{name}'.") from error


class DemoTracker:
    """Serves a DemoOrganisation over HTTP on 127.0.0.1, in a daemon thread.

    Use as a context manager (`with DemoTracker(org) as tracker: tracker.url`) or call start()/stop().
    Every Jira endpoint demands HTTP basic auth with `email:api_token` (Data Center also takes a Bearer
    token).
    It also serves the organisation's GitHub repository at `github_url` and GitLab project at `gitlab_url`
    (`git`, by default the hosts `demo_hosts` derives from the organisation), which take `api_token` the way
    GitHub and GitLab take tokens. Their items link to `browse_url` (default: this server), so that links
    do not change with the port.
    """

    def __init__(
        self,
        org: DemoOrganisation,
        host: str = "127.0.0.1",
        port: int = 0,
        email: str = DEMO_EMAIL,
        api_token: str = DEMO_API_TOKEN,
        flavor: Flavor = "cloud",
        faults: FaultPlan | None = None,
        git: DemoGitHosts | None = None,
        browse_url: str | None = None,
    ) -> None:
        if flavor not in ("cloud", "datacenter"):
            raise ValueError("flavor must be 'cloud' or 'datacenter'")
        if not _is_ipv4_loopback(host):
            raise ValueError(f"the demo tracker binds loopback only, not {host!r}")
        self.org = org
        self.host = host
        self.port = port
        self.email = email
        self.api_token = api_token
        self.flavor: Flavor = flavor
        self.faults = faults or FaultPlan()
        self.git = git or DemoGitHosts(*demo_hosts(org.seed, org.issues, org.anchor), token=api_token)
        self.browse_url = browse_url
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Data Center pages by startAt: remember where each page ended and each query's total.
        self._datacenter_positions: dict[tuple[str, int], int] = {}
        self._datacenter_totals: dict[str, int] = {}
        self._lock = threading.Lock()
        self._deleted: frozenset[int] = frozenset()

    def delete(self, *keys: str) -> None:
        """Delete issues (by key or id) as Jira does: gone from every search and issue endpoint."""
        indices = {self._index(key) for key in keys}
        with self._lock:
            self._deleted = self._deleted | indices
            self._datacenter_positions.clear()
            self._datacenter_totals.clear()

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. `http://127.0.0.1:53211` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def github_url(self) -> str:
        """`SOURCES__GITHUB__BASE_URL` for the demo repository (GitHub Enterprise Server's `/api/v3`)."""
        return f"{self.url}{GITHUB_PREFIX}"

    @property
    def gitlab_url(self) -> str:
        """`SOURCES__GITLAB__BASE_URL` for the demo project (the client adds `/api/v4`)."""
        return self.url

    @property
    def github_repository(self) -> str:
        return GITHUB_REPOSITORY

    @property
    def gitlab_project(self) -> str:
        return GITLAB_PROJECT

    @property
    def address(self) -> tuple[str, int]:
        """The socket address actually bound (tests check it is loopback)."""
        if self._server is None:
            raise RuntimeError("the demo tracker is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> DemoTracker:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _RequestHandler)
        server.tracker = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-tracker", daemon=True
        )
        self._thread.start()
        logger.info("demo tracker serving %d issues at %s", self.org.issues, self.url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DemoTracker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # ---- request handling --------------------------------------------------------------------------------

    def authorised(self, header: str | None) -> bool:
        """Basic `email:api_token` (Data Center also takes `Bearer api_token`), compared in constant time."""
        if not header:
            return False
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer":
            return self.flavor == "datacenter" and hmac.compare_digest(credential.strip(), self.api_token)
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(credential.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(decoded.encode(), f"{self.email}:{self.api_token}".encode())

    def refusal(self, path: str, headers: Headers) -> Response | None:
        """The 401, in the called API's shape, for a request without that API's credentials; else None."""
        if self.git.handles(path):
            return None if self.git.authorised(path, headers) else Response(*self.git.unauthorised(path))
        if self.authorised(headers.get("Authorization")):
            return None
        return Response(
            401, {"errorMessages": [_NOT_AUTHENTICATED]}, {"WWW-Authenticate": 'Basic realm="demo"'}
        )

    def fault_for(self, path: str) -> FaultRule | None:
        return self.faults.fault_for(path)

    def dispatch(self, method: str, raw_path: str, body: Any) -> Response:
        """Route one authenticated request; unknown paths are 404 and known paths with another verb 405."""
        parts = urlsplit(raw_path)
        if self.git.handles(parts.path):
            return Response(*self.git.respond(method, raw_path, self.url, self.browse_url or self.url))
        params = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path.rstrip("/") or "/"
        path_known = False
        for route in _ROUTES:
            match = route.pattern.match(path)
            if (
                not match
                or self.flavor not in route.flavors
                or match.group("api") not in route.apis(self.flavor)
            ):
                continue
            if route.method == method:
                return route.handler(self, Request(method, path, params, body, match.group("api")), match)
            path_known = True
        if path_known:
            raise ApiError(405, f"{method} is not allowed on {path}.")
        raise ApiError(404, f"No endpoint at {path} in the demo tracker.")

    # ---- metadata ----------------------------------------------------------------------------------------

    def server_info(self, request: Request, match: re.Match[str]) -> Response:
        cloud = self.flavor == "cloud"
        return Response(
            200,
            {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
                "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 15],
                "deploymentType": "Cloud" if cloud else "Server",
                "buildNumber": 100289 if cloud else 9120015,
                "serverTime": self.org.format_ms(int(time.time() * 1000)),
                "serverTitle": "Demo Tracker",
            },
        )

    def myself(self, request: Request, match: re.Match[str]) -> Response:
        body: dict[str, Any] = {
            "self": f"{self.url}/rest/api/{request.api}/myself",
            "emailAddress": self.email,
            "displayName": "Demo User",
            "active": True,
            "timeZone": self.org.time_zone,
            "locale": "en_US",
        }
        if self.flavor == "cloud":
            body |= {"accountId": "712020:00000000-de00-4000-8000-000000000000", "accountType": "atlassian"}
        else:
            body |= {"name": "demo", "key": "demo"}
        return Response(200, body)

    def project_search(self, request: Request, match: re.Match[str]) -> Response:
        projects = self.org.projects(self.url)
        start = max(0, _int_param(request.params.get("startAt"), 0, "startAt"))
        size = min(max(1, _int_param(request.params.get("maxResults"), 50, "maxResults")), 100)
        values = projects[start : start + size]
        return Response(
            200,
            {
                "self": f"{self.url}{request.path}",
                "maxResults": size,
                "startAt": start,
                "total": len(projects),
                "isLast": start + size >= len(projects),
                "values": values,
            },
        )

    def project_list(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.org.projects(self.url))

    def statuses(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.org.statuses(self.url))

    def issue_types(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.org.issue_types(self.url))

    def fields(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.org.fields())

    # ---- search ------------------------------------------------------------------------------------------

    def _search_inputs(self, request: Request) -> tuple[str, Query, int, set[str] | None, set[str]]:
        source = request.body if isinstance(request.body, dict) else request.params
        jql = str(source.get("jql") or "")
        try:
            query = parse_jql(jql, self.org)
        except JqlError as error:
            raise ApiError(400, str(error)) from error
        wanted = _field_set(source.get("fields"))
        cap = DATACENTER_MAX_PAGE if request.path.endswith("/search") else SEARCH_MAX_PAGE
        if wanted is not None and wanted <= {"id", "key"} and not request.path.endswith("/search"):
            cap = ID_ONLY_MAX_PAGE
        size = min(max(1, _int_param(source.get("maxResults"), SEARCH_DEFAULT_PAGE, "maxResults")), cap)
        return jql, query, size, wanted, _word_set(source.get("expand"))

    def search_jql(self, request: Request, match: re.Match[str]) -> Response:
        """Cloud's token-paged search: at most 100 issues, the 20 newest histories embedded, newest first."""
        source = request.body if isinstance(request.body, dict) else request.params
        jql, query, size, wanted, expand = self._search_inputs(request)
        start, stop = query.scan_range(self.org)
        token = source.get("nextPageToken")
        if token:
            start = max(start, decode_page_token(str(token), jql))
        found, resume = _scan(self.org, query, start, stop, size, deleted=self._deleted)
        issues = [
            self._issue(index, wanted, "changelog" in expand, embedded=EMBEDDED_HISTORIES) for index in found
        ]
        body: dict[str, Any] = {"issues": issues, "isLast": resume is None}
        if resume is not None:
            body["nextPageToken"] = encode_page_token(resume, jql)
        return Response(200, body)

    def approximate_count(self, request: Request, match: re.Match[str]) -> Response:
        """Cloud's `search/approximate-count`: how many issues a (bounded) JQL matches; exact here."""
        body = request.body if isinstance(request.body, dict) else {}
        try:
            query = parse_jql(str(body.get("jql") or ""), self.org)
        except JqlError as error:
            raise ApiError(400, str(error)) from error
        return Response(200, {"count": _count(self.org, query, self._deleted)})

    def search_legacy(self, request: Request, match: re.Match[str]) -> Response:
        """Data Center's startAt-paged search with full changelogs; Cloud removed it (410 Gone)."""
        if self.flavor == "cloud":
            raise ApiError(
                410,
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.",
            )
        source = request.body if isinstance(request.body, dict) else request.params
        jql, query, size, wanted, expand = self._search_inputs(request)
        start_at = max(0, _int_param(source.get("startAt"), 0, "startAt"))
        position = self._datacenter_position(jql, query, start_at)
        _, stop = query.scan_range(self.org)
        found, resume = _scan(self.org, query, position, stop, size, budget=None, deleted=self._deleted)
        if resume is not None:
            with self._lock:
                if len(self._datacenter_positions) > 10_000:
                    self._datacenter_positions.clear()
                self._datacenter_positions[(jql, start_at + len(found))] = resume
        issues = [self._issue(index, wanted, "changelog" in expand, embedded=None) for index in found]
        with self._lock:
            total = self._datacenter_totals.get(jql)
        if total is None:
            total = _count(self.org, query, self._deleted)
            with self._lock:
                self._datacenter_totals[jql] = total
        return Response(
            200,
            {
                "expand": "schema,names",
                "startAt": start_at,
                "maxResults": size,
                "total": total,
                "issues": issues,
            },
        )

    def _datacenter_position(self, jql: str, query: Query, start_at: int) -> int:
        """Where the `start_at`-th match sits: remembered from the previous page, else found by scanning."""
        with self._lock:
            known = self._datacenter_positions.get((jql, start_at))
        if known is not None:
            return known
        start, stop = query.scan_range(self.org)
        skipped = 0
        for index in _candidates(self.org, query, start, stop):
            if index not in self._deleted and query.matches(self.org, index):
                if skipped == start_at:
                    return index
                skipped += 1
        return stop

    def _issue(
        self, index: int, wanted: set[str] | None, changelog: bool, embedded: int | None
    ) -> dict[str, Any]:
        if wanted is not None and wanted <= {"id", "key"} and not changelog:
            return {"id": self.org.issue_id(index), "key": self.org.key(index), "fields": {}}
        issue = self.org.issue(index, self.url, changelog=False)
        if wanted is not None:
            issue["fields"] = {name: value for name, value in issue["fields"].items() if name in wanted}
        if changelog:
            histories = self.org.plan(index).histories
            total = len(histories)
            if embedded is None:
                shown = [self.org.history_json(history) for history in histories]
                issue["changelog"] = {"startAt": 0, "maxResults": total, "total": total, "histories": shown}
            else:
                newest = [self.org.history_json(history) for history in reversed(histories[-embedded:])]
                issue["changelog"] = {
                    "startAt": 0,
                    "maxResults": embedded,
                    "total": total,
                    "histories": newest,
                }
        return issue

    # ---- issues and changelogs ---------------------------------------------------------------------------

    def _index(self, id_or_key: str) -> int:
        index = self.org.index_of(id_or_key)
        if index is None or index in self._deleted:
            raise ApiError(404, _NO_ISSUE)
        return index

    def get_issue(self, request: Request, match: re.Match[str]) -> Response:
        index = self._index(match.group("issue"))
        changelog = "changelog" in _word_set(request.params.get("expand"))
        return Response(200, self._issue(index, _field_set(request.params.get("fields")), changelog, None))

    def issue_changelog(self, request: Request, match: re.Match[str]) -> Response:
        """One issue's histories, oldest first, 100 at most per page."""
        index = self._index(match.group("issue"))
        histories = self.org.plan(index).histories
        start = max(0, _int_param(request.params.get("startAt"), 0, "startAt"))
        size = min(
            max(1, _int_param(request.params.get("maxResults"), CHANGELOG_MAX_PAGE, "maxResults")),
            CHANGELOG_MAX_PAGE,
        )
        page = histories[start : start + size]
        is_last = start + size >= len(histories)
        base = f"{self.url}{request.path}"
        body: dict[str, Any] = {
            "self": f"{base}?{urlencode({'startAt': start, 'maxResults': size})}",
            "maxResults": size,
            "startAt": start,
            "total": len(histories),
            "isLast": is_last,
            "values": [self.org.history_json(history) for history in page],
        }
        if not is_last:
            body["nextPage"] = f"{base}?{urlencode({'startAt': start + size, 'maxResults': size})}"
        return Response(200, body)

    def bulk_changelog(self, request: Request, match: re.Match[str]) -> Response:
        """Cloud's bulk changelog: histories of many issues, oldest first, paged across issues."""
        body = request.body if isinstance(request.body, dict) else {}
        ids = body.get("issueIdsOrKeys")
        if not isinstance(ids, list) or not ids or len(ids) > BULK_MAX_ISSUES:
            raise ApiError(400, f"issueIdsOrKeys must list between 1 and {BULK_MAX_ISSUES} issues.")
        field_ids = body.get("fieldIds")
        wanted = {str(value) for value in field_ids} if isinstance(field_ids, list) and field_ids else None
        size = min(max(1, _int_param(body.get("maxResults"), BULK_DEFAULT_PAGE, "maxResults")), BULK_MAX_PAGE)
        key = json.dumps([ids, sorted(wanted or [])])
        issue_position, history_offset = 0, 0
        if body.get("nextPageToken"):
            packed = decode_page_token(str(body["nextPageToken"]), key)
            issue_position, history_offset = divmod(packed, 1 << 20)
        logs: list[dict[str, Any]] = []
        taken = 0
        while issue_position < len(ids) and taken < size:
            index = self.org.index_of(str(ids[issue_position]))
            histories = _filtered(self.org.plan(index).histories, wanted) if index is not None else []
            chunk = histories[history_offset : history_offset + size - taken]
            if chunk:
                logs.append(
                    {
                        "issueId": self.org.issue_id(index or 0),
                        "changeHistories": [self.org.history_json(history) for history in chunk],
                    }
                )
                taken += len(chunk)
            if history_offset + len(chunk) < len(histories):
                history_offset += len(chunk)
            else:
                issue_position, history_offset = issue_position + 1, 0
        answer: dict[str, Any] = {"issueChangeLogs": logs}
        if issue_position < len(ids):
            answer["nextPageToken"] = encode_page_token((issue_position << 20) + history_offset, key)
        return Response(200, answer)


def _with_stale_token(response: Response, raw_path: str, body: Any) -> Response:
    """The same page, but pointing its `nextPageToken` back at the token this request used."""
    sent = (body or {}).get("nextPageToken") if isinstance(body, dict) else None
    sent = sent or parse_qs(urlsplit(raw_path).query).get("nextPageToken", [None])[-1]
    if not sent or not isinstance(response.body, dict) or "nextPageToken" not in response.body:
        return response
    return Response(response.status, {**response.body, "nextPageToken": sent}, response.headers)


def _filtered(histories: tuple[History, ...], field_ids: set[str] | None) -> list[History]:
    """Histories cut down to the items of `field_ids` (those left with none are dropped)."""
    if field_ids is None:
        return list(histories)
    kept = []
    for history in histories:
        items = tuple(item for item in history.items if item.field_id in field_ids)
        if items:
            kept.append(history._replace(items=items))
    return kept


def _scan(
    org: DemoOrganisation,
    query: Query,
    start: int,
    stop: int,
    size: int,
    budget: int | None = SCAN_BUDGET,
    deleted: frozenset[int] = frozenset(),
) -> tuple[list[int], int | None]:
    """Up to `size` matching indices from `start`, and where the next page starts (None when none is left).

    It looks one match ahead so that `isLast` is exact, and stops early after `budget` examined issues.
    Deleted issues match nothing.
    """
    found: list[int] = []
    for examined, index in enumerate(_candidates(org, query, start, stop)):
        if budget is not None and examined >= budget:
            return found, index
        if index not in deleted and query.matches(org, index):
            if len(found) == size:
                return found, index
            found.append(index)
    return found, None


def _candidates(org: DemoOrganisation, query: Query, start: int, stop: int) -> Iterator[int]:
    """The indices worth checking, in order.

    With an `updated` cursor, only the daily-changed issues are visited where nothing else can match: before
    the activity window, after the anchor, or in a block whose issues all changed last before the cursor.
    """
    floor = query.updated_floor()
    if floor is None:
        yield from range(start, stop)
        return
    window = org.first_index_created_at_or_after(floor - MAX_ACTIVITY_DAYS * 86_400_000)
    index = start
    while index < stop:
        if floor > org.anchor_ms or index < window:
            end = stop if floor > org.anchor_ms else min(window, stop)
            yield from org.changed_indices(index, end)
            index = end
            continue
        block_end = min(stop, (index // UPDATED_BLOCK + 1) * UPDATED_BLOCK)
        if org.block_max_updated_ms(index // UPDATED_BLOCK) < floor:
            yield from org.changed_indices(index, block_end)
        else:
            yield from range(index, block_end)
        index = block_end


def _count(org: DemoOrganisation, query: Query, deleted: frozenset[int] = frozenset()) -> int:
    start, stop = query.scan_range(org)
    candidates = _candidates(org, query, start, stop)
    return sum(1 for index in candidates if index not in deleted and query.matches(org, index))


def _field_set(value: Any) -> set[str] | None:
    """The requested fields, or None for all (`*all`, `*navigable`, or no list: the demo serves them all)."""
    names = _word_set(value)
    if not names or names & {"*all", "*navigable"}:
        return None
    return {name for name in names if not name.startswith("-")}


def _word_set(value: Any) -> set[str]:
    if value is None:
        return set()
    items = value if isinstance(value, list) else str(value).split(",")
    return {str(item).strip() for item in items if str(item).strip()}


def _is_ipv4_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.version == 4 and address.is_loopback


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    flavors: tuple[Flavor, ...]

    @staticmethod
    def apis(flavor: Flavor) -> tuple[str, ...]:
        """Cloud answers on API v2 and v3; Data Center only has v2."""
        return ("2", "3") if flavor == "cloud" else ("2",)


def _route(
    method: str, pattern: str, handler: Handler, flavors: tuple[Flavor, ...] = ("cloud", "datacenter")
) -> _Route:
    return _Route(method, re.compile(rf"^/rest/api/(?P<api>[23]){pattern}$"), handler, flavors)


_ROUTES: Final = (
    _route("GET", "/serverInfo", DemoTracker.server_info),
    _route("GET", "/myself", DemoTracker.myself),
    _route("GET", "/project/search", DemoTracker.project_search, ("cloud",)),
    _route("GET", "/project", DemoTracker.project_list),
    _route("GET", "/status", DemoTracker.statuses),
    _route("GET", "/issuetype", DemoTracker.issue_types),
    _route("GET", "/field", DemoTracker.fields),
    _route("GET", "/search/jql", DemoTracker.search_jql, ("cloud",)),
    _route("POST", "/search/jql", DemoTracker.search_jql, ("cloud",)),
    _route("POST", "/search/approximate-count", DemoTracker.approximate_count, ("cloud",)),
    _route("GET", "/search", DemoTracker.search_legacy),
    _route("POST", "/search", DemoTracker.search_legacy),
    _route("GET", r"/issue/(?P<issue>[^/]+)", DemoTracker.get_issue),
    _route("GET", r"/issue/(?P<issue>[^/]+)/changelog", DemoTracker.issue_changelog),
    _route("POST", "/changelog/bulkfetch", DemoTracker.bulk_changelog, ("cloud",)),
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tracker: DemoTracker

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout test, a Ctrl-C) is normal here: log quietly, not to stderr."""
        logger.debug("demo tracker connection from %s ended with an error", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    """Turns HTTP into DemoTracker calls: auth, faults, routing, JSON out. Logs at debug, never headers."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "DemoTracker/1.0"
    # Headers and body leave in two writes; with Nagle on, the body's tail waits for the client's delayed
    # ACK (~40 ms per response on Linux loopback), which capped a client at ~25 pages a second.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("demo tracker: " + format, *args)

    def _handle(self, method: str) -> None:
        tracker = self.server.tracker
        raw_body = self._read_body()
        refusal = tracker.refusal(urlsplit(self.path).path, self.headers)
        if refusal is not None:
            self._send(refusal)
            return
        fault = tracker.fault_for(urlsplit(self.path).path)
        if fault is not None and self._early_fault(fault):
            return
        body = None
        try:
            body = json.loads(raw_body) if raw_body else None
            response = tracker.dispatch(method, self.path, body)
        except json.JSONDecodeError:
            response = Response(400, {"errorMessages": ["The request body is not valid JSON."], "errors": {}})
        except ApiError as error:
            response = Response(error.status, {"errorMessages": [str(error)], "errors": {}})
        except Exception:
            logger.exception("demo tracker failed on %s %s", method, urlsplit(self.path).path)
            response = Response(500, {"errorMessages": ["Internal server error"], "errors": {}})
        if fault is not None and fault.kind == "truncated":
            self._send_truncated(response)
        elif fault is not None and fault.kind == "malformed":
            self._send(Response(200, b'{"issues": [{"id": "10000", "key": '))
        elif fault is not None and fault.kind == "stale_token":
            self._send(_with_stale_token(response, self.path, body))
        else:
            self._send(response)

    def _early_fault(self, fault: FaultRule) -> bool:
        """Faults that replace the answer; `slow` only delays it. Returns True when the answer was sent."""
        if fault.kind == "slow":
            time.sleep(fault.delay_seconds)
            return False
        if fault.kind == "rate_limit":
            self._send(Response(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "1"}))
        elif fault.kind == "bad_gateway":
            self._send(
                Response(
                    502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"}
                )
            )
        elif fault.kind in {"server_error", "unavailable"}:
            status = 500 if fault.kind == "server_error" else 503
            self._send(Response(status, {"errorMessages": ["Internal server error"], "errors": {}}))
        else:
            return False
        return True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_truncated(self, response: Response) -> None:
        """Promise the whole body, send half, hang up: what a dropped proxy connection looks like."""
        payload = response.encoded()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
