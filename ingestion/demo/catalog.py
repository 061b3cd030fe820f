"""The demo organisation's fixed Jira catalog: projects, statuses, issue types, fields, people, workflows.

Everything here is constant data, identical for every seed, so that ids stay stable between runs and the dbt
seeds can name the demo's states and types. The workflows say how items move; `generator` walks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

NEW: Final = "new"
INDETERMINATE: Final = "indeterminate"
DONE: Final = "done"

# Jira's three status categories, with Jira Cloud's own ids and colours.
STATUS_CATEGORIES: Final[dict[str, dict[str, Any]]] = {
    NEW: {"id": 2, "key": NEW, "name": "To Do", "colorName": "blue-gray"},
    INDETERMINATE: {"id": 4, "key": INDETERMINATE, "name": "In Progress", "colorName": "yellow"},
    DONE: {"id": 3, "key": DONE, "name": "Done", "colorName": "green"},
}


@dataclass(frozen=True)
class Status:
    """One Jira status; a name shared by two workflows is one status, as in Jira."""

    id: str
    name: str
    category: str


@dataclass(frozen=True)
class IssueType:
    """One Jira issue type with its generation weight (percent of all items)."""

    id: str
    name: str
    weight: float
    subtask: bool = False
    hierarchy_level: int = 0


@dataclass(frozen=True)
class Person:
    """A demo user; account ids look like Cloud's so that parsers meet the real shape."""

    account_id: str
    display_name: str


@dataclass(frozen=True)
class Resolution:
    id: str
    name: str


RESOLUTION_DONE: Final = Resolution("10000", "Done")
RESOLUTION_WONT_DO: Final = Resolution("10001", "Won't Do")

_STATUS_LIST: Final = (
    Status("10000", "To Do", NEW),
    Status("10001", "Ready for Dev", INDETERMINATE),
    Status("3", "In Progress", INDETERMINATE),
    Status("10002", "In Review", INDETERMINATE),
    Status("10003", "Ready for QA", INDETERMINATE),
    Status("10004", "In QA", INDETERMINATE),
    Status("10005", "Blocked", INDETERMINATE),
    Status("10006", "Done", DONE),
    Status("10007", "Won't Do", DONE),
    Status("10008", "Backlog", NEW),
    Status("10009", "Selected for Development", INDETERMINATE),
    Status("10010", "In Development", INDETERMINATE),
    Status("10011", "Code Review", INDETERMINATE),
    Status("10012", "Awaiting Release", INDETERMINATE),
    Status("6", "Closed", DONE),
    Status("10013", "Rejected", DONE),
    Status("1", "Open", NEW),
    Status("5", "Resolved", DONE),
)
STATUSES: Final[dict[str, Status]] = {status.name: status for status in _STATUS_LIST}

ISSUE_TYPES: Final = (
    IssueType("10001", "Story", 38.0),
    IssueType("10004", "Bug", 22.0),
    IssueType("10002", "Task", 10.0),
    IssueType("10005", "Tech Debt", 10.0),
    IssueType("10006", "Vulnerability", 5.0),
    IssueType("10000", "Epic", 3.0, hierarchy_level=1),
    IssueType("10003", "Sub-task", 12.0, subtask=True, hierarchy_level=-1),
)
ISSUE_TYPES_BY_NAME: Final[dict[str, IssueType]] = {issue_type.name: issue_type for issue_type in ISSUE_TYPES}

PEOPLE: Final = tuple(
    Person(f"712020:{index:08x}-5e0c-4a7b-9d3f-{index * 7919:012x}", name)
    for index, name in enumerate(
        (
            "Amara Okafor",
            "Bruno Costa",
            "Chen Wei",
            "Dana Levi",
            "Emil Novak",
            "Fatima Zahra",
            "Gustav Lind",
            "Hana Sato",
            "Ivan Petrov",
            "Julia Schmidt",
            "Kofi Mensah",
            "Lucia Romero",
        ),
        start=1,
    )
)

FLAGGED_FIELD_ID: Final = "customfield_10021"
FLAGGED_OPTION: Final = {"id": "10019", "value": "Impediment"}


@dataclass(frozen=True)
class Workflow:
    """How items of one project move: a happy path plus the detours real teams take.

    `stay_hours` gives each status a lognormal stay (median hours, sigma). Waiting states get longer medians
    than working states so that flow efficiency lands where real teams are (15-45%), not at 100%.
    """

    path: tuple[str, ...]
    cancel_to: str
    reopen_to: str
    stay_hours: dict[str, tuple[float, float]]
    back_moves: dict[str, tuple[float, str]] = field(default_factory=dict)
    detour: tuple[str, float, str] | None = None
    after_done: tuple[float, str] | None = None
    flag_states: tuple[str, ...] = ()

    @property
    def initial(self) -> str:
        return self.path[0]

    @property
    def done(self) -> str:
        return self.path[-1]

    @property
    def lead_time_median_hours(self) -> float:
        """The sum of the median stays along the happy path: the centre of the item lead times."""
        return sum(self.stay_hours[status][0] for status in self.path[:-1])


@dataclass(frozen=True)
class Project:
    """A Jira project, one value stream of the demo, with its share of new items and its vocabulary."""

    id: str
    key: str
    name: str
    share: int
    workflow: Workflow
    components: tuple[str, ...]
    labels: tuple[str, ...]
    nouns: tuple[str, ...]


_PAY_WORKFLOW: Final = Workflow(
    path=("To Do", "Ready for Dev", "In Progress", "In Review", "Ready for QA", "In QA", "Done"),
    cancel_to="Won't Do",
    reopen_to="In Progress",
    stay_hours={
        "To Do": (96.0, 1.3),
        "Ready for Dev": (90.0, 1.0),
        "In Progress": (34.0, 0.9),
        "In Review": (18.0, 1.0),
        "Ready for QA": (60.0, 1.0),
        "In QA": (9.0, 0.8),
        "Blocked": (40.0, 0.9),
        "Done": (110.0, 1.0),
    },
    back_moves={"In Review": (0.15, "In Progress"), "In QA": (0.10, "In Progress")},
    detour=("In Progress", 0.08, "Blocked"),
    flag_states=("In Progress", "In Review", "In QA"),
)

_MOB_WORKFLOW: Final = Workflow(
    path=(
        "Backlog",
        "Selected for Development",
        "In Development",
        "Code Review",
        "Awaiting Release",
        "Closed",
    ),
    cancel_to="Rejected",
    reopen_to="In Development",
    stay_hours={
        "Backlog": (120.0, 1.3),
        "Selected for Development": (40.0, 1.0),
        "In Development": (40.0, 0.9),
        "Code Review": (12.0, 0.9),
        "Awaiting Release": (230.0, 0.6),
        "Closed": (130.0, 1.0),
    },
    back_moves={"Code Review": (0.20, "In Development")},
    flag_states=("In Development", "Code Review"),
)

# Platform Ops models no waiting at all: the data-quality check must notice it.
_OPS_WORKFLOW: Final = Workflow(
    path=("Open", "In Progress", "Resolved"),
    cancel_to="Closed",
    reopen_to="In Progress",
    stay_hours={
        "Open": (30.0, 1.4),
        "In Progress": (20.0, 1.1),
        "Resolved": (60.0, 0.8),
        "Closed": (100.0, 1.0),
    },
    after_done=(0.6, "Closed"),
)

PROJECTS: Final = (
    Project(
        "10000",
        "PAY",
        "Payments",
        9,
        _PAY_WORKFLOW,
        ("checkout", "ledger", "payouts", "fraud"),
        ("backend", "api", "customer-reported", "regression", "security", "tech-debt", "pci"),
        (
            "card tokenisation",
            "refund flow",
            "payout batch",
            "ledger export",
            "3DS challenge",
            "webhook retry",
        ),
    ),
    Project(
        "10001",
        "MOB",
        "Mobile App",
        7,
        _MOB_WORKFLOW,
        ("ios", "android", "design-system", "onboarding"),
        ("ios", "android", "ux", "customer-reported", "regression", "accessibility", "tech-debt"),
        ("login screen", "push notifications", "offline mode", "dark theme", "settings page", "deep links"),
    ),
    Project(
        "10002",
        "OPS",
        "Platform Ops",
        4,
        _OPS_WORKFLOW,
        ("kubernetes", "observability", "ci", "databases"),
        ("infra", "on-call", "security", "cost", "toil"),
        ("node pool", "alert routing", "CI runners", "backup job", "TLS certificates", "log retention"),
    ),
)
PROJECT_CYCLE: Final = sum(project.share for project in PROJECTS)

VERBS: Final = ("Add", "Fix", "Refactor", "Speed up", "Document", "Harden", "Migrate", "Clean up", "Support")


def status_json(status: Status, base_url: str) -> dict[str, Any]:
    """A status as `GET /rest/api/3/status` returns it (company-managed, so no `scope`)."""
    category = STATUS_CATEGORIES[status.category]
    return {
        "self": f"{base_url}/rest/api/3/status/{status.id}",
        "description": "",
        "iconUrl": f"{base_url}/images/icons/statuses/generic.png",
        "name": status.name,
        "untranslatedName": status.name,
        "id": status.id,
        "statusCategory": {"self": f"{base_url}/rest/api/3/statuscategory/{category['id']}", **category},
    }


def issue_type_json(issue_type: IssueType, base_url: str) -> dict[str, Any]:
    return {
        "self": f"{base_url}/rest/api/3/issuetype/{issue_type.id}",
        "id": issue_type.id,
        "description": "",
        "name": issue_type.name,
        "untranslatedName": issue_type.name,
        "subtask": issue_type.subtask,
        "hierarchyLevel": issue_type.hierarchy_level,
    }


def project_json(project: Project, base_url: str) -> dict[str, Any]:
    return {
        "self": f"{base_url}/rest/api/3/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
    }


def person_json(person: Person) -> dict[str, Any]:
    return {"accountId": person.account_id, "displayName": person.display_name, "active": True}


def resolution_json(resolution: Resolution, base_url: str) -> dict[str, Any]:
    return {
        "self": f"{base_url}/rest/api/3/resolution/{resolution.id}",
        "id": resolution.id,
        "name": resolution.name,
        "description": "",
    }


def _field(field_id: str, name: str, schema: dict[str, Any], *, custom: bool = False) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "untranslatedName": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [name.lower()] if not custom else [f"cf[{field_id.split('_')[-1]}]", name],
        "schema": schema,
    }


def fields_json() -> list[dict[str, Any]]:
    """The field catalog `GET /rest/api/3/field` returns: the system fields served plus Flagged."""
    flagged_schema = {
        "type": "array",
        "items": "option",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes",
        "customId": 10021,
    }
    return [
        _field("summary", "Summary", {"type": "string", "system": "summary"}),
        _field("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}),
        _field("status", "Status", {"type": "status", "system": "status"}),
        _field("project", "Project", {"type": "project", "system": "project"}),
        _field("created", "Created", {"type": "datetime", "system": "created"}),
        _field("updated", "Updated", {"type": "datetime", "system": "updated"}),
        _field("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
        _field("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}),
        _field("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
        _field("components", "Components", {"type": "array", "items": "component", "system": "components"}),
        _field("fixVersions", "Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}),
        _field("parent", "Parent", {"type": "issuelink", "system": "parent"}),
        _field("assignee", "Assignee", {"type": "user", "system": "assignee"}),
        _field(FLAGGED_FIELD_ID, "Flagged", flagged_schema, custom=True),
    ]
