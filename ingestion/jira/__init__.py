"""dlt source for Jira Cloud and Jira Data Center / Server: issues with their complete changelog.

Every Flow Metric is computed from the status history, so this source guarantees the *whole* changelog of
every issue it lands (Cloud's search embeds at most 20 histories; the rest come from the bulk changelog
endpoint), lands pages as Arrow tables (no nested normalisation), and reads incrementally on `updated`
with an overlap window, merging on primary keys so that reruns never duplicate and never miss.

The source itself (`@dlt.source`) is in `source.py` and is imported when `jira_source` is first used: the
reader processes that decode and flatten pages (`pages.read_batches`) import this package, and importing dlt
would add ~0.4 s to their ~1 s start-up, on the critical path of every refresh's Jira step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .helpers import JiraAuthError, JiraError
from .pages import JiraSettings, build_jql, connect

if TYPE_CHECKING:
    from .source import jira_source

__all__ = ["JiraAuthError", "JiraError", "JiraSettings", "build_jql", "connect", "jira_source"]


def __getattr__(name: str) -> Any:
    if name == "jira_source":
        from .source import jira_source

        return jira_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
