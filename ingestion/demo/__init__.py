"""The demo tracker: a deterministic generated organisation served over loopback with Jira Cloud's REST API,
and its code hosts with GitHub's and GitLab's.

`make run` and the tests ingest from it, so a new user sees real numbers without any Jira account.
"""

from .faults import FaultPlan, FaultRule
from .generator import DemoOrganisation
from .git_api import DemoGitHosts
from .git_hosts import DemoGitHubRepository, DemoGitLabProject
from .server import DEMO_API_TOKEN, DEMO_EMAIL, DemoTracker

__all__ = [
    "DEMO_API_TOKEN",
    "DEMO_EMAIL",
    "DemoGitHosts",
    "DemoGitHubRepository",
    "DemoGitLabProject",
    "DemoOrganisation",
    "DemoTracker",
    "FaultPlan",
    "FaultRule",
]
