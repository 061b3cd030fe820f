"""A small Jira organisation landed as raw tables, with one item per data-quality finding, built once by dbt.

Three value streams (the repo's seeds map PAY -> Payments, MOB -> Mobile, OPS -> Operations):
- Mobile is clean: its queues (`Selected for Development`, `Code Review`) are mapped waiting by the seeds.
- Operations has no waiting state at all: it must produce exactly one finding, `missing_wait_states`.
- Payments carries one crafted defect per item-level check (item key in CRAFTED_ITEMS).
The newest record is 12 hours before AS_OF, so `stale_source` is silent at the default 36 h limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration import paths

AS_OF = "2026-03-01 00:00:00"
LOAD_ID = "1767225600.0"
INSTANCE = "https://example.atlassian.net"

STATUSES = {
    "To Do": ("1", "new"),
    "Open": ("2", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("4", "indeterminate"),
    "Selected for Development": ("5", "indeterminate"),
    "Code Review": ("6", "indeterminate"),
    "Done": ("7", "done"),
    "Resolved": ("8", "done"),
}
UNCATALOGUED_STATUS = ("99", "Legacy Limbo")  # in no status catalog: maps to no flow state
PROJECTS = {"PAY": ("100", "Payments"), "MOB": ("101", "Mobile App"), "OPS": ("102", "Platform Ops")}
ISSUE_TYPES = {"Story": "10", "Bug": "11", "Spike": "12"}

CRAFTED_ITEMS = {
    "done_without_active": "PAY-2",
    "created_in_progress": "PAY-3",
    "incomplete_history": "PAY-4",
    "inconsistent_transition": "PAY-5",
    "invalid_timestamp": "PAY-6",
    "unmapped_item_type": "PAY-7",
    "unmapped_state": "PAY-8",
}

RAW_DDL = """
create schema if not exists raw_jira;
create table raw_jira.issues (
    id varchar, key varchar, instance_url varchar, project_id varchar, project_key varchar,
    project_name varchar, issue_type_id varchar, issue_type_name varchar, is_subtask boolean,
    status_id varchar, status_name varchar, status_category_key varchar, resolution_name varchar,
    resolution_date timestamp, created timestamp, updated timestamp, summary varchar, labels varchar,
    components varchar, fix_versions varchar, parent_id varchar, parent_key varchar, is_flagged boolean,
    assignee_account_id varchar, assignee_name varchar, changelog_total bigint, changelog_loaded bigint,
    _dlt_load_id varchar, _dlt_id varchar
);
create table raw_jira.changelog_items (
    issue_id varchar, history_id varchar, item_index bigint, created timestamp, author_account_id varchar,
    author_name varchar, field varchar, field_id varchar, from_value varchar, from_string varchar,
    to_value varchar, to_string varchar, _dlt_load_id varchar, _dlt_id varchar
);
create table raw_jira.statuses (
    scope_project_id varchar, id varchar, name varchar, status_category_key varchar,
    status_category_name varchar, _dlt_load_id varchar, _dlt_id varchar
);
create table raw_jira.issue_types (
    hierarchy_level bigint, id varchar, name varchar, is_subtask boolean,
    _dlt_load_id varchar, _dlt_id varchar, untranslated_name varchar
);
create table raw_jira.projects (
    id varchar, key varchar, name varchar, instance_url varchar, _dlt_load_id varchar, _dlt_id varchar
);
create table raw_jira.issue_scope (
    id varchar, listed_at timestamp, unchanged_before timestamp, _dlt_load_id varchar, _dlt_id varchar
);
"""


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _status(name: str) -> tuple[str, str]:
    if name == UNCATALOGUED_STATUS[1]:
        return UNCATALOGUED_STATUS[0], "indeterminate"
    return STATUSES[name]


@dataclass
class Item:
    """One issue: created in `path[0]`, then one status change per (`when`, `to`) step."""

    key: str
    created: str
    steps: list[tuple[str, str]]
    first_state: str = "To Do"
    item_type: str = "Story"
    changelog_total: int | None = None
    first_from: str | None = None  # the `from` of the first change, when it should differ from first_state
    from_overrides: dict[int, str] = field(default_factory=dict)  # step index -> recorded `from`

    @property
    def project(self) -> str:
        return self.key.split("-")[0]

    @property
    def current(self) -> str:
        return self.steps[-1][1] if self.steps else self.first_state


ITEMS = [
    # Mobile: clean, its queues are mapped waiting by the seeds.
    Item(
        "MOB-1",
        "2026-01-05 09:00",
        [
            ("2026-01-06 09:00", "Selected for Development"),
            ("2026-01-07 09:00", "In Progress"),
            ("2026-01-09 09:00", "Code Review"),
            ("2026-01-10 09:00", "Done"),
        ],
    ),
    Item(
        "MOB-2",
        "2026-02-01 09:00",
        [("2026-02-02 09:00", "In Progress"), ("2026-02-28 12:00", "Code Review")],
    ),
    # Operations: no waiting state in its workflow.
    Item(
        "OPS-1",
        "2026-01-05 09:00",
        [("2026-01-06 09:00", "In Progress"), ("2026-01-08 09:00", "Resolved")],
        first_state="Open",
        item_type="Bug",
    ),
    Item("OPS-2", "2026-02-01 09:00", [("2026-02-03 09:00", "In Progress")], first_state="Open"),
    # Payments: one clean item, then one crafted defect per check.
    Item(
        "PAY-1",
        "2026-01-05 09:00",
        [
            ("2026-01-06 09:00", "In Progress"),
            ("2026-01-08 09:00", "In Review"),
            ("2026-01-10 09:00", "Done"),
        ],
    ),
    Item("PAY-2", "2026-01-05 09:00", [("2026-01-12 09:00", "Done")]),
    Item("PAY-3", "2026-01-15 09:00", [("2026-01-16 09:00", "Done")], first_state="In Progress"),
    Item(
        "PAY-4",
        "2026-01-19 09:00",
        [
            ("2026-01-20 09:00", "In Progress"),
            ("2026-01-21 09:00", "In Review"),
            ("2026-01-22 09:00", "Done"),
        ],
        changelog_total=5,
    ),
    Item(
        "PAY-5",
        "2026-01-05 09:00",
        [("2026-01-06 09:00", "In Progress"), ("2026-01-09 09:00", "Done")],
        from_overrides={1: "In Review"},
    ),
    Item(
        "PAY-6",
        "2026-01-10 09:00",
        [
            ("2026-01-09 09:00", "Open"),  # dated before creation; new -> new, so it is no other finding
            ("2026-01-11 09:00", "In Progress"),
            ("2026-01-12 09:00", "In Review"),
            ("2026-01-13 09:00", "Done"),
        ],
    ),
    Item(
        "PAY-7",
        "2026-01-05 09:00",
        [
            ("2026-01-06 09:00", "In Progress"),
            ("2026-01-08 09:00", "In Review"),
            ("2026-01-10 09:00", "Done"),
        ],
        item_type="Spike",
    ),
    Item(
        "PAY-8",
        "2026-01-05 09:00",
        [
            ("2026-01-06 09:00", "In Progress"),
            ("2026-01-07 09:00", "Legacy Limbo"),
            ("2026-01-08 09:00", "In Review"),
            ("2026-01-10 09:00", "Done"),
        ],
    ),
]


def raw_warehouse(folder: Path, rows_sql: str) -> Path:
    """A warehouse file in `folder` holding `raw_jira.*` (empty, as dlt creates them), then `rows_sql`."""
    path = folder / "vsm.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(RAW_DDL + rows_sql)
    return path


def land_raw_tables(connection: duckdb.DuckDBPyConnection, items: list[Item] = ITEMS) -> None:
    """Create `raw_jira.*` with the columns the dlt source lands (docs/architecture.md) and fill them."""
    connection.execute(RAW_DDL)
    for name, (status_id, category) in STATUSES.items():
        connection.execute(
            "insert into raw_jira.statuses values (null, ?, ?, ?, ?, ?, ?)",
            [status_id, name, category, category, LOAD_ID, f"s{status_id}"],
        )
    for name, type_id in ISSUE_TYPES.items():
        connection.execute(
            "insert into raw_jira.issue_types values (0, ?, ?, false, ?, ?, null)",
            [type_id, name, LOAD_ID, f"t{type_id}"],
        )
    for key, (project_id, name) in PROJECTS.items():
        connection.execute(
            "insert into raw_jira.projects values (?, ?, ?, ?, ?, ?)",
            [project_id, key, name, INSTANCE, LOAD_ID, f"p{project_id}"],
        )
    for number, item in enumerate(items, start=1):
        issue_id = str(1000 + number)
        project_id, project_name = PROJECTS[item.project]
        status_id, category = _status(item.current)
        updated = max([_at(item.created), *(_at(when) for when, _ in item.steps)])
        resolved = updated if category == "done" else None
        loaded = len(item.steps)
        connection.execute(
            "insert into raw_jira.issues values (?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?, '[]',"
            " '[]', '[]', null, null, false, null, null, ?, ?, ?, ?)",
            [
                issue_id,
                item.key,
                INSTANCE,
                project_id,
                item.project,
                project_name,
                ISSUE_TYPES[item.item_type],
                item.item_type,
                status_id,
                item.current,
                category,
                "Done" if resolved else None,
                resolved,
                _at(item.created),
                updated,
                f"summary of {item.key}",
                item.changelog_total or loaded,
                loaded,
                LOAD_ID,
                f"i{issue_id}",
            ],
        )
        state = item.first_state
        for index, (when, to_state) in enumerate(item.steps):
            from_state = item.from_overrides.get(index, state)
            from_id, _ = _status(from_state)
            to_id, _ = _status(to_state)
            history_id = str(int(issue_id) * 100 + index)
            connection.execute(
                "insert into raw_jira.changelog_items values (?, ?, 0, ?, 'acc', 'Ann', 'status', 'status',"
                " ?, ?, ?, ?, ?, ?)",
                [
                    issue_id,
                    history_id,
                    _at(when),
                    from_id,
                    from_state,
                    to_id,
                    to_state,
                    LOAD_ID,
                    f"c{history_id}",
                ],
            )
            state = to_state


def dbt_command(*args: str, warehouse: Path, target: Path) -> subprocess.CompletedProcess[str]:
    """Run dbt on `warehouse` with its own target and log folders (never the project's)."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "VSM_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(dbt),
        *args,
        "--project-dir",
        str(paths.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(paths.DBT_PROJECT_DIR),
        "--target-path",
        str(target / "target"),
        "--log-path",
        str(target / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


def dbt_vars(**extra: object) -> str:
    return json.dumps({"as_of": AS_OF, "run_id": "crafted", **extra})


def crafted_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The crafted organisation, ingested and built by dbt once per test session (seeds and models only)."""
    root = tmp_path_factory.getbasetemp() / "dq_crafted"
    warehouse = root / "warehouse" / "vsm.duckdb"
    done = root / "built"
    if done.exists():
        return warehouse
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as connection:
        land_raw_tables(connection)
    result = dbt_command(
        "build",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--vars",
        dbt_vars(),
        warehouse=warehouse,
        target=root,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    done.touch()
    return warehouse


def newest_record_hours_before_as_of() -> float:
    newest = max(max([_at(i.created), *(_at(when) for when, _ in i.steps)]) for i in ITEMS)
    return (_at(AS_OF) - newest) / timedelta(hours=1)
