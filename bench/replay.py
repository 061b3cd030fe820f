"""Record the demo tracker's answers to the Jira source once, then replay them over loopback.

Recording asks the demo tracker (in-process, without HTTP) exactly the requests the source sends: the
instance metadata, every Cloud search page with `expand=changelog` (20 newest histories embedded) and the
bulk changelog fetches for issues with more. Each answer is stored as JSON bytes under
`bench/work/pages-<N>/`, keyed by method, path and canonical parameters. Replaying serves those bytes from
a tiny HTTP server on 127.0.0.1, so the measured run spends its time in the source, not in the generator.

`python -m bench.replay DIR [--repeat-first-issue]` serves DIR and prints `URL http://127.0.0.1:<port>`. With
`--repeat-first-issue` the last search page also lists the first page's first issue, as Jira does for an issue
moved between projects while the search pages: the source then reads that issue twice, and dlt's merge must
remove duplicate keys from the whole load (the path a read of each issue once skips).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from ingestion.demo import DEMO_API_TOKEN, DEMO_EMAIL, DemoOrganisation, DemoTracker
from ingestion.demo.server import encode_page_token
from ingestion.jira import settings
from ingestion.jira.pages import _complete_changelogs as complete_changelogs
from ingestion.jira.pages import _Instance, build_jql

from .env import SEED
from .progress import Progress

INDEX_NAME = "index.json"
META_NAME = "meta.json"


def request_key(method: str, path: str, params: Mapping[str, Any] | None, body: Any) -> str:
    """The same key for the recorded call and the replayed HTTP request."""
    query = urlencode(sorted((name, str(value)) for name, value in (params or {}).items()))
    key = f"{method} {path.rstrip('/')}?{query}"
    if body is not None:
        key += " " + orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    return key


class RecordingClient:
    """A JiraClient stand-in that asks the demo tracker directly and stores every answer's bytes."""

    def __init__(self, tracker: DemoTracker, directory: Path, prefix: str = "") -> None:
        self.tracker = tracker
        self.directory = directory
        self.prefix = prefix
        self.index: dict[str, str] = {}
        self.bytes_written = 0

    def _call(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any) -> Any:
        raw_path = path + ("?" + urlencode({k: str(v) for k, v in params.items()}) if params else "")
        response = self.tracker.dispatch(method, raw_path, body)
        if response.status != 200:
            raise RuntimeError(f"demo tracker answered {response.status} to {method} {raw_path}")
        payload = orjson.dumps(response.body)
        kind = "search" if path.endswith("/search/jql") else "bulk" if "bulkfetch" in path else "meta"
        name = f"{kind}-{self.prefix}{len(self.index):07d}.json"
        (self.directory / name).write_bytes(payload)
        self.index[request_key(method, path, params, body)] = name
        self.bytes_written += len(payload)
        return orjson.loads(payload)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params or None, None)

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, None, body)


def _record_shard(
    directory: str, issues: int, anchor: str, first_page: int, stop_page: int, rework: float
) -> dict[str, Any]:
    """Search pages [first_page, stop_page) and their bulk changelogs, asked for as the source asks for them.

    The full search matches every issue, so page k starts at issue 100k and its token is the demo tracker's
    token for that scan position: shards need not wait for each other's pages.
    """
    org = DemoOrganisation(seed=SEED, issues=issues, anchor=datetime.fromisoformat(anchor), rework=rework)
    client = RecordingClient(DemoTracker(org), Path(directory), prefix=f"s{first_page:06d}-")
    flagged = next(f["id"] for f in org.fields() if f.get("name") == settings.FLAGGED_FIELD_NAME)
    instance = _Instance(client, "3", True, org.time_zone, flagged)  # type: ignore[arg-type]
    jql = build_jql((), None, org.time_zone)
    fields = ",".join([*settings.ISSUE_FIELDS, flagged])
    progress = Progress(f"recording pages {first_page:,}-{stop_page:,}", (stop_page - first_page) * 100)
    stats = {"count": 0, "histories": 0, "status_changes": 0, "bulk_issues": 0}
    for page_number in range(first_page, stop_page):
        params: dict[str, Any] = {"jql": jql, "maxResults": 100, "fields": fields, "expand": "changelog"}
        if page_number:
            params["nextPageToken"] = encode_page_token(page_number * 100, jql)
        page = client.get(settings.CLOUD_SEARCH, **params)["issues"]
        _count(stats, page, complete_changelogs(instance, page))
        progress.update(stats["count"])
    return {"index": client.index, "bytes": client.bytes_written, **stats}


def _count(stats: dict[str, int], page: list[dict[str, Any]], fetched: dict[str, list[dict]]) -> None:
    stats["bulk_issues"] += len(fetched)
    for issue in page:
        embedded = (issue.get("changelog") or {}).get("histories") or []
        complete = {h["id"]: h for h in embedded} | {h["id"]: h for h in fetched.get(issue["id"], [])}
        stats["histories"] += len(complete)
        stats["status_changes"] += sum(
            1 for h in complete.values() for item in h.get("items") or [] if item.get("field") == "status"
        )
    stats["count"] += len(page)


def record(
    directory: Path, issues: int, anchor: datetime, rework: float = 0.0, workers: int = 2
) -> dict[str, Any]:
    """Record the pages of a `issues`-issue demo organisation once (reused while meta.json matches).

    `rework` is the generator's (`DemoOrganisation`): 0 for its usual ~5.4 status changes per issue. The
    generator costs ~0.4 ms per issue, so the pages are recorded by `workers` processes in parallel.
    """
    meta_path = directory / META_NAME
    wanted = {"issues": issues, "seed": SEED, "anchor": anchor.isoformat(), "format": 2, "rework": rework}
    if meta_path.exists():
        meta = {"rework": 0.0, **json.loads(meta_path.read_text())}  # recorded before `rework` existed: 0
        if all(meta.get(key) == value for key, value in wanted.items()):
            return meta
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):  # a stale recording of another size or format
        old.unlink()
    org = DemoOrganisation(seed=SEED, issues=issues, anchor=anchor, rework=rework)
    client = RecordingClient(DemoTracker(org), directory, prefix="meta-")
    # The calls `connect()` and the catalog resources make, with the source's exact parameters.
    client.get(settings.SERVER_INFO.format(api="2"))
    client.get(settings.MYSELF.format(api="3"))
    client.get(settings.FIELDS.format(api="3"))
    client.get(settings.STATUSES.format(api="3"))
    client.get(settings.ISSUE_TYPES.format(api="3"))
    client.get(settings.CLOUD_PROJECTS, startAt=0, maxResults=50)
    pages = max(1, -(-issues // 100))
    bounds = [pages * shard // workers for shard in range(workers + 1)]
    shards = [
        (str(directory), issues, anchor.isoformat(), bounds[k], bounds[k + 1], rework) for k in range(workers)
    ]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_record_shard_args, shards))
    index = dict(client.index)
    totals = {
        "count": 0,
        "histories": 0,
        "status_changes": 0,
        "bulk_issues": 0,
        "bytes": client.bytes_written,
    }
    for part in parts:
        index.update(part["index"])
        for key in totals:
            totals[key] += part[key]
    (directory / INDEX_NAME).write_text(json.dumps(index))
    meta = {
        **wanted,
        "responses": len(index),
        "bytes": totals["bytes"],
        "recorded_issues": totals["count"],
        "histories": totals["histories"],
        "status_changes": totals["status_changes"],
        "issues_needing_bulk_changelog": totals["bulk_issues"],
        "jql": build_jql((), None, org.time_zone),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def _record_shard_args(arguments: tuple[str, int, str, int, int, float]) -> dict[str, Any]:
    return _record_shard(*arguments)


class _ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    directory: Path
    index: dict[str, str]
    repeated_issue: dict[str, Any] | None = None  # listed again on the last search page


class _ReplayHandler(BaseHTTPRequestHandler):
    server: _ReplayServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body's last segment waits for the client's
    # delayed ACK (~40 ms per response on Linux loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._answer("GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._answer("POST", orjson.loads(raw) if raw else None)

    def _answer(self, method: str, body: Any) -> None:
        parts = urlsplit(self.path)
        params = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        name = self.server.index.get(request_key(method, parts.path, params, body))
        if name is None:
            status, payload = 404, b'{"errorMessages":["not recorded"]}'
            print(f"replay: not recorded: {method} {self.path}", file=sys.stderr, flush=True)
        else:
            status, payload = 200, (self.server.directory / name).read_bytes()
            if self.server.repeated_issue is not None and name.startswith("search-"):
                payload = _with_issue_on_last_page(payload, self.server.repeated_issue)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _with_issue_on_last_page(payload: bytes, issue: dict[str, Any]) -> bytes:
    """A search page's bytes, with `issue` appended when it is the last page (others unchanged)."""
    if b'"isLast":true' not in payload:
        return payload
    page = orjson.loads(payload)
    if page.get("isLast") is not True:
        return payload
    page["issues"] = [*page.get("issues", []), issue]
    return orjson.dumps(page)


def _first_issue(directory: Path, index: dict[str, str]) -> dict[str, Any]:
    """The first issue of the first search page (the search request without a page token)."""
    first = next(
        name for key, name in index.items() if name.startswith("search-") and "nextPageToken" not in key
    )
    return orjson.loads((directory / first).read_bytes())["issues"][0]


def serve(directory: Path, repeat_first_issue: bool = False) -> None:
    server = _ReplayServer(("127.0.0.1", 0), _ReplayHandler)
    server.directory = directory
    server.index = json.loads((directory / INDEX_NAME).read_text())
    if repeat_first_issue:
        server.repeated_issue = _first_issue(directory, server.index)
    print(f"URL http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


CREDENTIALS = {"email": DEMO_EMAIL, "api_token": DEMO_API_TOKEN}

if __name__ == "__main__":
    serve(Path(sys.argv[1]), repeat_first_issue="--repeat-first-issue" in sys.argv[2:])
