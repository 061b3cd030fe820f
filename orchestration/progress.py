"""Ingestion progress in the run log: what `vsm refresh` prints and what the Dagster UI shows for the run."""

from __future__ import annotations

import time
from types import TracebackType

from dagster import AssetExecutionContext


class ProgressLog:
    """A source's progress callback: logs items read, the rate and, when the tracker gives a count, the time
    left, at most every `every_seconds`.

    Used as a context manager around the source's run, it also logs, when the block ends (after the load, or
    on a failure), the last count it was given if that line was skipped: a read's final count always shows.
    """

    def __init__(
        self, context: AssetExecutionContext, tracker: str, unit: str, every_seconds: float = 5.0
    ) -> None:
        self._context = context
        self._tracker = tracker
        self._unit = unit
        self._every = every_seconds
        self._last = 0.0
        self._unlogged: tuple[int, float, int | None] | None = None

    def __call__(self, count: int, elapsed: float, expected: int | None = None) -> None:
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._unlogged = None
            self._context.log.info(progress_line(count, elapsed, expected, self._tracker, self._unit))
        else:
            self._unlogged = (count, elapsed, expected)

    def __enter__(self) -> ProgressLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._unlogged is not None:
            self._context.log.info(progress_line(*self._unlogged, self._tracker, self._unit))
            self._unlogged = None


def progress_line(
    count: int, elapsed: float, expected: int | None, tracker: str = "Jira", unit: str = "issues"
) -> str:
    """`Jira: 12,000 of ~100,000 issues (12%), 4,100/s, about 21 s left` (no total: count and rate only)."""
    rate = count / max(elapsed, 1e-9)
    if not expected or count > expected:
        return f"{tracker}: {count:,} {unit} read in {elapsed:.0f} s ({rate:,.0f}/s)"
    left = (expected - count) / rate if rate > 0 else float("inf")
    return (
        f"{tracker}: {count:,} of ~{expected:,} {unit} ({count / expected:.0%}) in {elapsed:.0f} s, "
        f"{rate:,.0f}/s, about {left:,.0f} s left"
    )
