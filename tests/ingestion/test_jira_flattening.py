"""The column-wise flatteners land exactly the rows the row-wise ones describe."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ingestion.demo import DemoOrganisation
from ingestion.jira.helpers import (
    CHANGELOG_SCHEMA,
    ISSUES_SCHEMA,
    changelog_rows,
    changelog_table,
    histories_of,
    issue_row,
    issues_table,
    timestamp_array,
    to_table,
)


def _issues() -> list[dict[str, Any]]:
    org = DemoOrganisation(seed=3, issues=300, utc_offset_minutes=330)
    return [org.issue(index) for index in range(300)]


def test_issues_table_equals_the_rows_of_issue_row() -> None:
    issues = _issues()
    flagged = "customfield_10021"
    rows = [issue_row(issue, "http://jira", flagged, len(histories_of(issue))) for issue in issues]
    assert issues_table(issues, "http://jira", flagged).equals(to_table(rows, ISSUES_SCHEMA))


def test_changelog_table_equals_the_rows_of_changelog_rows_even_for_odd_histories() -> None:
    odd = {
        "id": 1,
        "changelog": {
            "histories": [
                {"id": 5, "created": "2025-03-04T10:15:30.123", "items": [{"field": "status", "from": 1}]},
                {"id": None, "items": [{"field": "status"}]},
                {"id": 7, "created": "", "items": [{"field": "Flagged"}, {"field": "assignee"}]},
            ]
        },
    }
    issues = [*_issues(), odd]
    rows = [row for issue in issues for row in changelog_rows(str(issue["id"]), histories_of(issue))]
    assert changelog_table(issues).equals(to_table(rows, CHANGELOG_SCHEMA))


def test_a_history_listing_a_field_twice_lands_its_first_item_once(caplog: pytest.LogCaptureFixture) -> None:
    # Jira writes one item per field and history; staging relies on it (one change per history and field).
    twice = {
        "id": 2,
        "changelog": {
            "histories": [
                {
                    "id": 9,
                    "created": "2025-03-04T10:15:30.123+0000",
                    "items": [
                        {"field": "status", "fromString": "To Do", "toString": "In Progress"},
                        {"field": "Flagged", "toString": "Impediment"},
                        {"field": "status", "fromString": "In Progress", "toString": "Done"},
                    ],
                }
            ]
        },
    }
    with caplog.at_level(logging.WARNING, logger="ingestion"):
        table = changelog_table([twice])
    assert table.select(["field", "item_index", "to_string"]).to_pylist() == [
        {"field": "status", "item_index": 0, "to_string": "In Progress"},
        {"field": "Flagged", "item_index": 1, "to_string": "Impediment"},
    ]
    assert "issue 2: changelog history 9 lists field 'status' twice; its first item was kept" in caplog.text
    rows = list(changelog_rows("2", histories_of(twice)))
    assert table.equals(to_table(rows, CHANGELOG_SCHEMA))


def test_a_history_listed_twice_in_one_issue_lands_once(caplog: pytest.LogCaptureFixture) -> None:
    # One read of an issue lands each history once, so a run that read every issue once stages unique keys.
    move = {"field": "status", "fromString": "To Do", "toString": "In Progress"}
    history = {"id": 9, "created": "2025-03-04T10:15:30.123+0000", "items": [move]}
    listed_twice = {"id": 2, "changelog": {"histories": [history, {**history, "items": [move, move]}]}}
    with caplog.at_level(logging.WARNING, logger="ingestion"):
        table = changelog_table([listed_twice])
    assert table.select(["history_id", "field", "to_string"]).to_pylist() == [
        {"history_id": "9", "field": "status", "to_string": "In Progress"}
    ]
    assert "issue 2: changelog history 9 is listed twice; its first listing was kept" in caplog.text
    rows = list(changelog_rows("2", histories_of(listed_twice)))
    assert table.equals(to_table(rows, CHANGELOG_SCHEMA))


def test_timestamps_arrow_cannot_parse_fall_back_to_the_python_parser() -> None:
    zoned = timestamp_array(["2025-03-04T10:15:30.123+0800", None])
    mixed = timestamp_array(["2025-03-04T10:15:30.123+0800", "2025-03-04T10:15:30", "garbage", ""])
    assert [value.isoformat() if value else None for value in zoned.to_pylist()] == [
        "2025-03-04T02:15:30.123000",
        None,
    ]
    assert [value.isoformat() if value else None for value in mixed.to_pylist()] == [
        "2025-03-04T02:15:30.123000",
        "2025-03-04T10:15:30",
        None,
        None,
    ]


def test_a_data_center_story_takes_its_epic_from_the_epic_link_field_when_it_has_no_parent() -> None:
    story = {"id": "7", "key": "PAY-7", "fields": {"customfield_10008": "PAY-1", "parent": None}}
    sub_task = {
        "id": "8",
        "key": "PAY-8",
        "fields": {"customfield_10008": None, "parent": {"id": "7", "key": "PAY-7"}},
    }
    table = issues_table([story, sub_task], "http://jira", None, epic_link_field_id="customfield_10008")
    assert table.select(["key", "parent_key"]).to_pylist() == [
        {"key": "PAY-7", "parent_key": "PAY-1"},
        {"key": "PAY-8", "parent_key": "PAY-7"},
    ]


def _one_history(*items: dict[str, Any]) -> dict[str, Any]:
    history = {"id": 9, "created": "2025-03-04T10:15:30.123+0000", "items": list(items)}
    return {"id": 3, "changelog": {"histories": [history]}}


def test_a_custom_field_named_like_a_system_field_is_not_it(caplog: pytest.LogCaptureFixture) -> None:
    """An app's custom field called "status" is not the workflow status, whichever comes first."""
    custom = {"field": "status", "fieldtype": "custom", "fieldId": "customfield_30000", "toString": "Green"}
    system = {"field": "status", "fieldtype": "jira", "fieldId": "status", "toString": "Done"}
    with caplog.at_level(logging.WARNING, logger="ingestion"):
        table = changelog_table([_one_history(custom, system)])
    assert table.select(["field_id", "to_string"]).to_pylist() == [
        {"field_id": "status", "to_string": "Done"}
    ]
    assert "twice" not in caplog.text


def test_of_several_flagged_fields_only_the_one_the_flag_is_read_from_counts() -> None:
    """The issues' flag comes from the Flagged field `connect` resolved; another field of that name (an app's)
    must not set or clear it in the history. Without a field id (older Data Center), the name decides."""
    other = {"field": "Flagged", "fieldtype": "custom", "fieldId": "customfield_20000", "toString": "Yes"}
    real = {"field": "Flagged", "fieldtype": "custom", "fieldId": "customfield_10021", "toString": None}
    table = changelog_table([_one_history(other, real)], "customfield_10021")
    assert table.select(["field_id", "to_string"]).to_pylist() == [
        {"field_id": "customfield_10021", "to_string": None}
    ]
    unnamed = {"field": "Flagged", "fieldtype": "custom", "toString": "Impediment"}
    table = changelog_table([_one_history(unnamed)], "customfield_10021")
    assert table.column("to_string").to_pylist() == ["Impediment"]
    rows = list(changelog_rows("3", histories_of(_one_history(other, real)), "customfield_10021"))
    assert changelog_table([_one_history(other, real)], "customfield_10021").equals(
        to_table(rows, CHANGELOG_SCHEMA)
    )


def test_the_flagged_field_counts_under_the_name_the_site_gave_it() -> None:
    """A site that renamed or translated its Flagged field: the items of the field `connect` resolved (by id)
    land as `Flagged`, which staging reads; a field named Flagged with another id still does not count."""
    renamed = {
        "field": "Markiert",
        "fieldtype": "custom",
        "fieldId": "customfield_10021",
        "toString": "Hindernis",
    }
    other = {"field": "Flagged", "fieldtype": "custom", "fieldId": "customfield_20000", "toString": None}
    table = changelog_table([_one_history(other, renamed)], "customfield_10021")
    assert table.select(["field", "field_id", "to_string"]).to_pylist() == [
        {"field": "Flagged", "field_id": "customfield_10021", "to_string": "Hindernis"}
    ]
    rows = list(changelog_rows("3", histories_of(_one_history(other, renamed)), "customfield_10021"))
    assert table.equals(to_table(rows, CHANGELOG_SCHEMA))
