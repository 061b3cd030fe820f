"""Which landed values of the override fields staging passes on to the flow model's field overrides."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .crafted_warehouse import dbt_command, raw_warehouse

RAW_ROWS = """
insert into raw_jira.issues (id, key, project_key, issue_type_name, created, updated, labels, _dlt_load_id)
values
    ('1', 'PAY-1', 'PAY', 'Story', '2026-01-05 09:00', '2026-03-01 09:00', '[]', 'l2'),
    ('2', 'PAY-2', 'PAY', 'Story', '2026-01-05 09:00', '2026-03-01 09:00', '[]', 'l2'),
    ('3', 'PAY-3', 'PAY', 'Story', '2026-01-05 09:00', '2026-03-01 09:00', '[]', 'l2'),
    ('4', 'PAY-4', 'PAY', 'Story', '2026-01-05 09:00', '2026-03-01 09:00', '[]', 'l2'),
    ('6', 'PAY-6', 'PAY', 'Story', '2026-01-05 09:00', '2026-03-01 09:00', '[]', 'l2'),
    ('5', 'PAY-5', 'PAY', 'Story', '2026-01-05 09:00', '2026-01-06 09:00', '[]', 'l1');
-- The last listing (12:00, overlap from 10:00) misses PAY-5, last changed before it: PAY-5 vanished.
insert into raw_jira.issue_scope (id, listed_at, unchanged_before) values
    ('1', '2026-03-01 12:00', '2026-03-01 10:00'), ('2', '2026-03-01 12:00', '2026-03-01 10:00'),
    ('3', '2026-03-01 12:00', '2026-03-01 10:00'), ('4', '2026-03-01 12:00', '2026-03-01 10:00'),
    ('6', '2026-03-01 12:00', '2026-03-01 10:00');
create table raw_jira.override_fields (field_id varchar, field_name varchar);
insert into raw_jira.override_fields values ('customfield_10050', 'Work Category');
create table raw_jira.issue_field_values (
    issue_id varchar, field_id varchar, value_index bigint, field_name varchar, value varchar,
    issue_updated timestamp, _dlt_load_id varchar
);
insert into raw_jira.issue_field_values values
    ('1', 'customfield_10050', 0, 'Work Category', 'Tech Debt', '2026-03-01 09:00', 'l2'),
    ('2', 'customfield_10050', 0, 'Work Category', null, '2026-03-01 09:00', 'l2'),        -- an empty field
    ('3', 'customfield_10099', 0, 'Team', 'Platform', '2026-03-01 09:00', 'l2'),           -- no longer named
    ('4', 'customfield_10050', 0, 'Work Category', 'Old', '2026-01-09 09:00', 'l1'),       -- an older load's
    ('4', 'customfield_10050', 0, 'Work Category', 'Security', '2026-03-01 09:00', 'l2'),
    ('4', 'customfield_10050', 1, 'Work Category', 'Compliance', '2026-03-01 09:00', 'l2'),
    ('5', 'customfield_10050', 0, 'Work Category', 'Tech Debt', '2026-01-06 09:00', 'l1'), -- a vanished issue
    -- PAY-6 read twice in one run: its second read (newer) has one value, the first read's second value goes
    ('6', 'customfield_10050', 0, 'Work Category', 'Risk', '2026-03-01 09:00', 'l2'),
    ('6', 'customfield_10050', 1, 'Work Category', 'Stale', '2026-02-01 09:00', 'l2');
"""


def test_only_current_values_of_the_fields_named_now_of_issues_in_scope_reach_the_flow_model(
    tmp_path: Path,
) -> None:
    path = raw_warehouse(tmp_path, RAW_ROWS)
    result = dbt_command("run", "--select", "+stg_jira__issue_field_values", warehouse=path, target=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "select issue_id, field_name, field_value from staging.stg_jira__issue_field_values order by all"
        ).fetchall()
    assert rows == [
        ("1", "Work Category", "Tech Debt"),
        ("4", "Work Category", "Compliance"),
        ("4", "Work Category", "Security"),
        ("6", "Work Category", "Risk"),
    ]
