"""GitLab REST (v4) endpoints and page sizes for issues, merge requests and their resource events."""

from typing import Final

DEFAULT_BASE_URL: Final = "https://gitlab.com"
API_PREFIX: Final = "/api/v4"
PROJECT_ITEMS: Final = "/projects/{project}/{kind}"
ITEM_EVENTS: Final = "/projects/{project}/{kind}/{iid}/{events}"

# Both item kinds, by their URL segment and the name the warehouse gives them.
ITEM_KINDS: Final = (("issues", "issue"), ("merge_requests", "merge_request"))
STATE_EVENTS: Final = "resource_state_events"
LABEL_EVENTS: Final = "resource_label_events"

PAGE_SIZE: Final = 100
# `updated_after` compares with `updated_at`; re-read this much before the cursor.
DEFAULT_OVERLAP_MINUTES: Final = 10

REQUEST_TIMEOUT_SECONDS: Final = 60
MAX_RETRIES: Final = 8
MAX_RATE_LIMIT_WAIT_SECONDS: Final = 3900.0
