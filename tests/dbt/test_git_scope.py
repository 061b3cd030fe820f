"""Which landed GitHub and GitLab items staging keeps: those of the repositories and projects configured now.

Each run of the two sources replaces a listing of its configured repositories (`raw_github.repository_scope`)
or project entries (`raw_gitlab.project_scope`); a host no longer configured gets an empty listing. Items of
anything else stay in the raw tables but leave staging, and with it every fact and metric, as they would after
a full refresh. A warehouse landed before the sources wrote a listing keeps every item.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from .crafted_warehouse import dbt_command

LISTED = """
create schema raw_github;
create table raw_github.items (id varchar, repository varchar, updated_at timestamp, _dlt_load_id varchar);
insert into raw_github.items values
    ('1', 'Acme/API', '2026-03-01 09:00:00', 'l1'),   -- listed as acme/api: names compare case-insensitively
    ('2', 'acme/web', '2026-03-01 09:00:00', 'l1');   -- removed from the configuration
create table raw_github.repository_scope (repository varchar, listed_at timestamp);
insert into raw_github.repository_scope values ('acme/api', '2026-03-01 12:00:00');

create schema raw_gitlab;
create table raw_gitlab.items (
    id varchar, kind varchar, project_id bigint, project_path varchar, iid bigint, updated_at timestamp,
    configured_project varchar, moved_to_id bigint, _dlt_load_id varchar
);
insert into raw_gitlab.items values
    -- read under the entry 1234; the project was renamed since: the entry still matches
    ('issue/1', 'issue', 1234, 'grp/renamed', 1, '2026-03-01 09:00:00', '1234', null, 'l1'),
    -- read under an entry removed from the configuration
    ('issue/2', 'issue', 5678, 'grp/gone', 2, '2026-03-01 09:00:00', 'grp/gone', null, 'l1'),
    -- landed before items recorded their entry: matched on the project's path
    ('issue/3', 'issue', 9012, 'Grp/Proj', 3, '2026-03-01 09:00:00', null, null, 'l0'),
    -- moved to another project (issue 77 there), which GitLab closed here
    ('issue/4', 'issue', 1234, 'grp/renamed', 4, '2026-03-01 09:00:00', '1234', 77, 'l1');
create table raw_gitlab.project_scope (project varchar, listed_at timestamp);
insert into raw_gitlab.project_scope values
    ('1234', '2026-03-01 12:00:00'),
    ('grp/proj', '2026-03-01 12:00:00');
"""

UNLISTED_AND_EMPTY = """
create schema raw_github;
create table raw_github.items (id varchar, repository varchar, updated_at timestamp, _dlt_load_id varchar);
insert into raw_github.items values
    ('1', 'acme/api', '2026-03-01 09:00:00', 'l1'),
    ('2', 'acme/web', '2026-03-01 09:00:00', 'l1');

create schema raw_gitlab;
-- Items landed before the entry column existed, and a listing from a run with GitLab no longer configured.
create table raw_gitlab.items (
    id varchar, kind varchar, project_id bigint, project_path varchar, iid bigint, updated_at timestamp,
    _dlt_load_id varchar
);
insert into raw_gitlab.items values ('issue/1', 'issue', 1234, 'grp/proj', 1, '2026-03-01 09:00:00', 'l1');
create table raw_gitlab.project_scope (project varchar, listed_at timestamp);
"""


def _staged_items(root: Path, raw_tables: str) -> dict[str, list[str]]:
    path = root / "vsm.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(raw_tables)
    result = dbt_command(
        "run", "--select", "stg_github__items", "stg_gitlab__items", warehouse=path, target=root
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            host: [
                row[0]
                for row in connection.execute(f"select item_id from staging.{model} order by 1").fetchall()
            ]
            for host, model in (("github", "stg_github__items"), ("gitlab", "stg_gitlab__items"))
        }


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return _staged_items(tmp_path_factory.mktemp("git_scope_listed"), LISTED)


@pytest.fixture(scope="module")
def unlisted_and_empty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return _staged_items(tmp_path_factory.mktemp("git_scope_unlisted"), UNLISTED_AND_EMPTY)


def test_only_items_of_the_listed_repositories_stay_whatever_the_case_of_their_names(listed) -> None:
    assert listed["github"] == ["1"]


def test_gitlab_items_match_the_entry_they_were_read_under_or_else_their_project_path(listed) -> None:
    assert listed["gitlab"] == ["issue/1", "issue/3"]


def test_an_issue_moved_to_another_project_leaves_the_project_it_was_moved_from(listed) -> None:
    """GitLab closes a moved issue where it was: kept, it would count as done work (spec: items that leave the
    tracker's scope leave the facts)."""
    assert "issue/4" not in listed["gitlab"]


def test_without_a_listing_every_item_stays(unlisted_and_empty) -> None:
    assert unlisted_and_empty["github"] == ["1", "2"]


def test_an_empty_listing_keeps_no_item_even_of_items_landed_before_entries_were_recorded(
    unlisted_and_empty,
) -> None:
    assert unlisted_and_empty["gitlab"] == []
