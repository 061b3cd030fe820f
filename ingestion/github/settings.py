"""GitHub REST endpoints, page sizes and the timeline events the warehouse keeps."""

from typing import Final

DEFAULT_BASE_URL: Final = "https://api.github.com"
DEFAULT_BROWSE_URL: Final = "https://github.com"
# The issues endpoint lists pull requests too (each with a `pull_request` object), filtered by `since`.
REPO_ISSUES: Final = "/repos/{repository}/issues"
ITEM_TIMELINE: Final = "/repos/{repository}/issues/{number}/timeline"
API_VERSION: Final = "2022-11-28"

PAGE_SIZE: Final = 100
# `since` is second-grained and compared with `updated_at`; re-read this much before the cursor.
DEFAULT_OVERLAP_MINUTES: Final = 10

# Timeline events that move an item through its lifecycle or carry a status / blocked label.
# Everything else (comments, commits, mentions, subscriptions ...) stays in GitHub.
TIMELINE_EVENTS: Final = frozenset(
    {
        "labeled",
        "unlabeled",
        "assigned",
        "unassigned",
        "review_requested",
        "review_request_removed",
        "reviewed",
        "ready_for_review",
        "convert_to_draft",
        "closed",
        "reopened",
        "merged",
        "connected",
        "disconnected",
        "cross-referenced",
    }
)

REQUEST_TIMEOUT_SECONDS: Final = 60
MAX_RETRIES: Final = 8
# A primary rate limit resets within the hour; waiting longer than this means something is wrong.
MAX_RATE_LIMIT_WAIT_SECONDS: Final = 3900.0
