"""A scripted Jira for source tests: canned JSON answers per (method, path), with call counting."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Answer = tuple[int, dict[str, str], Any]
Handler = Callable[[dict[str, list[str]], Any], Answer]


@dataclass
class JiraMock:
    """Routes `(METHOD, path)` to handlers; records every request's query and body."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    calls: dict[tuple[str, str], list[tuple[dict, Any]]] = field(default_factory=lambda: defaultdict(list))
    auth_headers: list[str] = field(default_factory=list)

    def __enter__(self) -> JiraMock:
        mock = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                query = parse_qs(parsed.query)
                mock.calls[(method, parsed.path)].append((query, body))
                mock.auth_headers.append(self.headers.get("Authorization") or "")
                handler = mock.routes.get((method, parsed.path))
                status, headers, payload = (
                    handler(query, body) if handler else (404, {}, {"errorMessages": ["no"]})
                )
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

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

    def json(
        self, method: str, path: str, payload: Any, status: int = 200, headers: dict | None = None
    ) -> None:
        self.routes[(method, path)] = lambda _query, _body: (status, headers or {}, payload)

    def sequence(self, method: str, path: str, answers: list[Answer]) -> None:
        """Answer successive calls with successive answers (the last one repeats)."""
        remaining = list(answers)

        def handler(_query: dict, _body: Any) -> Answer:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

        self.routes[(method, path)] = handler


def status(status_id: str, name: str, category: str) -> dict:
    return {"id": status_id, "name": name, "statusCategory": {"id": 1, "key": category, "name": category}}


def history(history_id: int, created: str, *items: dict) -> dict:
    return {
        "id": str(history_id),
        "created": created,
        "author": {"accountId": "u1", "displayName": "Ann"},
        "items": list(items),
    }


def status_item(from_id: str, from_name: str, to_id: str, to_name: str) -> dict:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": from_id,
        "fromString": from_name,
        "to": to_id,
        "toString": to_name,
    }


def issue(
    issue_id: str,
    key: str,
    histories: list[dict],
    total: int | None = None,
    created: str = "2026-01-05T09:00:00.000+0000",
    status_name: str = "Done",
    status_id: str = "3",
    category: str = "done",
) -> dict:
    return {
        "id": issue_id,
        "key": key,
        "fields": {
            "summary": f"Issue {key}",
            "issuetype": {"id": "1", "name": "Story", "subtask": False},
            "status": status(status_id, status_name, category),
            "project": {"id": "100", "key": key.split("-")[0], "name": "Payments"},
            "created": created,
            "updated": histories[0]["created"] if histories else created,
            "resolution": None,
            "labels": ["backend"],
            "components": [{"name": "api"}],
            "fixVersions": [],
            "assignee": None,
        },
        "changelog": {
            "startAt": 0,
            "maxResults": 20,
            "total": len(histories) if total is None else total,
            "histories": histories,
        },
    }
