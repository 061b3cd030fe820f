"""Fault injection for the demo tracker: make the Nth request to a path misbehave the way real Jira can.

Tests of retries and resumption name the failures they want (`FaultRule("/rest/api/3/search/jql", 2,
"rate_limit")`) instead of mocking HTTP, so the real client code runs against a real socket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "bad_gateway",
    "unavailable",
    "slow",
    "truncated",
    "malformed",
    "stale_token",
]
FAULT_KINDS: Final = frozenset(
    {
        "rate_limit",
        "server_error",
        "bad_gateway",
        "unavailable",
        "slow",
        "truncated",
        "malformed",
        "stale_token",
    }
)


@dataclass(frozen=True)
class FaultRule:
    """The `request_number`-th request (1-based) whose path starts with `path_prefix` gets `kind`.

    `slow` sleeps `delay_seconds` and then answers normally (longer than the client's timeout, it is a
    timeout); `truncated` promises the full Content-Length and closes half-way; `malformed` is a 200 whose
    body is not JSON; `stale_token` answers a search page whose `nextPageToken` is the one the client sent,
    so a client that trusts it reads the same page again (a paging bug real trackers have had).
    """

    path_prefix: str
    request_number: int
    kind: FaultKind
    delay_seconds: float = 3.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(FAULT_KINDS)}")
        if self.request_number < 1:
            raise ValueError("request_number counts from 1")


class FaultPlan:
    """A thread-safe list of fault rules with a request counter per path prefix."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self.rules = tuple(rules)
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def fault_for(self, path: str) -> FaultRule | None:
        """Count this request against every matching prefix and return the first rule it triggers."""
        with self._lock:
            hits = {}
            for prefix in {rule.path_prefix for rule in self.rules if path.startswith(rule.path_prefix)}:
                self._counts[prefix] = self._counts.get(prefix, 0) + 1
                hits[prefix] = self._counts[prefix]
        for rule in self.rules:
            if hits.get(rule.path_prefix) == rule.request_number:
                return rule
        return None

    def count(self, path_prefix: str) -> int:
        """Requests seen so far under `path_prefix` (only prefixes named by a rule are counted)."""
        with self._lock:
            return self._counts.get(path_prefix, 0)
