"""Jira REST endpoints, page sizes and the changelog fields the warehouse keeps."""

from typing import Final

CLOUD_SEARCH: Final = "/rest/api/3/search/jql"
DATACENTER_SEARCH: Final = "/rest/api/2/search"
CLOUD_BULK_CHANGELOG: Final = "/rest/api/3/changelog/bulkfetch"
CLOUD_APPROXIMATE_COUNT: Final = "/rest/api/3/search/approximate-count"
ISSUE_CHANGELOG: Final = "/rest/api/{api}/issue/{issue_id}/changelog"
SERVER_INFO: Final = "/rest/api/{api}/serverInfo"
MYSELF: Final = "/rest/api/{api}/myself"
STATUSES: Final = "/rest/api/{api}/status"
ISSUE_TYPES: Final = "/rest/api/{api}/issuetype"
FIELDS: Final = "/rest/api/{api}/field"
CLOUD_PROJECTS: Final = "/rest/api/3/project/search"
DATACENTER_PROJECTS: Final = "/rest/api/2/project"

# Jira Cloud returns at most 100 issues per page when fields are requested.
SEARCH_PAGE_SIZE: Final = 100
# Issues per bulk changelog request; the endpoint accepts up to 1000 ids.
BULK_CHANGELOG_ISSUES: Final = 100
BULK_CHANGELOG_PAGE_SIZE: Final = 1000
CHANGELOG_PAGE_SIZE: Final = 100
# The id-only scope listing: Cloud returns up to 5000 issues per page when only ids are requested; Data
# Center's default `jira.search.views.default.max` is 1000.
SCOPE_PAGE_SIZE_CLOUD: Final = 5000
SCOPE_PAGE_SIZE_DATACENTER: Final = 1000
# Issues each Data Center page reads again from the page before, to find where that one ended (see
# `pages._datacenter_pages`): up to this many issues leaving the results between two pages cost no re-read.
DATACENTER_PAGE_OVERLAP: Final = 5

# Issue fields the flow model needs (spec sections 2-4); everything else stays in the tracker.
ISSUE_FIELDS: Final = (
    "summary",
    "issuetype",
    "status",
    "project",
    "created",
    "updated",
    "resolution",
    "resolutiondate",
    "labels",
    "components",
    "fixVersions",
    "parent",
    "assignee",
)
# Changelog items kept: status and flag drive the intervals, resolution decides won't-do cancels,
# type/project/label moves explain an item's history in findings.
CHANGELOG_FIELDS: Final = frozenset({"status", "flagged", "resolution", "issuetype", "labels", "project"})
FLAGGED_FIELD_NAME: Final = "Flagged"
# Data Center links a story to its epic in this custom field (Cloud gives the epic as `parent`); its name
# may be translated, its type is not.
EPIC_LINK_FIELD_TYPE: Final = "com.pyxis.greenhopper.jira:gh-epic-link"

# JQL dates are minute-grained and in the Jira user's time zone: re-read this much before the cursor.
DEFAULT_OVERLAP_MINUTES: Final = 120
REQUEST_TIMEOUT_SECONDS: Final = 60
MAX_RETRIES: Final = 6
# How long one request may wait in all for a throttling Jira (429 with Retry-After) before the run gives up.
THROTTLE_BUDGET_SECONDS: Final = 900.0
