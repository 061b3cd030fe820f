"""A failed run's summary: each failed step with the sentence that says what to do, not a library's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The asset that replaces the file BI tools read: a failure after it leaves them on the new warehouse.
PUBLISHED_ASSET_PATH = ("warehouse", "published")

# Errors raised by the project's own code: their messages name the setting or the next step
# (`ingestion.jira.helpers.JiraError: cannot connect to ...; check SOURCES__JIRA__BASE_URL`). Dagster and dlt
# wrap them, and they wrap the library error that caused them, so neither end of the chain is the one to show.
PROJECT_MODULES = ("ingestion.", "orchestration.")


def error_sentence(error: Any) -> str:
    """The message of the outermost project error in a chain of Dagster's `SerializableErrorInfo`s (a
    wrapper's cause, then its cause, ...), or of the innermost error when none is the project's."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    if not chain:
        return "failed"
    own = next((item for item in chain if item.message.startswith(PROJECT_MODULES)), chain[-1])
    return own.message.strip()


def failure_lines(events: Iterable[Any]) -> list[str]:
    """`step: sentence` for each failed step of a run's events; the run's own error when no step failed (a
    resource that could not be set up fails the run before any step)."""
    events = list(events)
    lines = [
        f"{event.step_key}: {error_sentence(event.step_failure_data.error)}"
        for event in events
        if event.is_step_failure and event.step_failure_data is not None
    ]
    if not lines:
        lines = [
            f"run: {error_sentence(event.event_specific_data.error)}"
            for event in events
            if event.is_run_failure and getattr(event.event_specific_data, "error", None) is not None
        ]
    return lines


def published_before_failing(events: Iterable[Any]) -> bool:
    """Whether a failed run had already published the warehouse (a step after it failed, e.g. the report)."""
    return any(
        event is not None
        and event.is_step_materialization
        and tuple(event.asset_key.path) == PUBLISHED_ASSET_PATH
        for event in events
    )


def outcome(events: Iterable[Any]) -> str:
    """What a failed refresh left BI tools: the sentence that opens its failure report."""
    if published_before_failing(events):
        return "Refresh failed after it published: BI tools read the new warehouse; a later step failed."
    return "Refresh failed; the published warehouse is unchanged."
