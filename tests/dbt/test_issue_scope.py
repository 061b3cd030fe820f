"""Which landed Jira issues are still in the tracker's scope does not depend on the reader's time zone.

dlt lands the listing's instants as `timestamp with time zone` and the issues' as naive UTC. Compared
directly, DuckDB reads the naive side in the session's time zone (the host's), so a host east of UTC dropped
issues Jira had just changed and a host west of it kept vanished ones.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from .crafted_warehouse import dbt_command

# The listing started at 12:00 UTC; issues Jira changed from 10:00 UTC on (the overlap) stay in scope.
RAW_TABLES = """
create schema raw_jira;
create table raw_jira.issues (id varchar, updated timestamp, _dlt_load_id varchar);
create table raw_jira.issue_scope (
    id varchar, listed_at timestamp with time zone, unchanged_before timestamp with time zone
);
set TimeZone = 'UTC';
insert into raw_jira.issues values
    ('1', '2026-03-01 09:00:00', 'l1'),  -- listed
    ('2', '2026-03-01 11:00:00', 'l1'),  -- not listed, changed inside the overlap: kept
    ('3', '2026-03-01 09:00:00', 'l1');  -- not listed, unchanged before the overlap: vanished
insert into raw_jira.issue_scope values ('1', '2026-03-01 12:00:00+00', '2026-03-01 10:00:00+00');
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("issue_scope")
    path = root / "vsm.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(RAW_TABLES)
    result = dbt_command("run", "--select", "stg_jira__issue_scope", warehouse=path, target=root)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return path


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_an_issue_is_in_scope_whatever_the_readers_time_zone(warehouse: Path, time_zone: str) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute(f"set TimeZone = '{time_zone}'")
        rows = connection.execute(
            "select issue_id, is_in_scope, scope_listed_at"
            " from staging.stg_jira__issue_scope order by issue_id"
        ).fetchall()
    listed_at = datetime(2026, 3, 1, 12)  # naive UTC, as every other instant in the warehouse
    assert rows == [("1", True, listed_at), ("2", True, listed_at), ("3", False, listed_at)]
