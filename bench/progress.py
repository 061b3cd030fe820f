"""Progress lines while a benchmark runs: items done, items per second and the time left."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints `label: done/total items (rate/s, ETA)` to stderr at most once per `every` seconds."""

    def __init__(self, label: str, total: int | None, unit: str = "issues", every: float = 2.0) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.every = every
        self.started = time.perf_counter()
        self._last = 0.0

    def update(self, done: int, elapsed: float | None = None, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.every:
            return
        self._last = now
        elapsed = now - self.started if elapsed is None else elapsed
        rate = done / max(elapsed, 1e-9)
        line = f"  {self.label}: {done:,}"
        if self.total:
            left = max(self.total - done, 0) / rate if rate > 0 else float("inf")
            line += f"/{self.total:,} {self.unit} ({done / self.total:.0%}) {rate:,.0f}/s, ETA {left:,.0f} s"
        else:
            line += f" {self.unit}, {rate:,.0f}/s, {elapsed:,.0f} s"
        print(line, file=sys.stderr, flush=True)

    def __call__(self, done: int, elapsed: float, expected: int | None = None) -> None:
        """The Jira source's progress callback signature."""
        if self.total is None and expected:
            self.total = expected
        self.update(done, elapsed)


def heartbeat(label: str, started: float) -> None:
    print(f"  {label}: {time.perf_counter() - started:,.0f} s", file=sys.stderr, flush=True)
