"""A refresh from a Jira serving the bad-input corpus (tests/fixtures/jira_bad_input): nothing crashes,
nothing is dropped, and each kind of bad input is handled per the spec or becomes a data-quality finding."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.ingestion.jira_mock import JiraMock

from .helpers import vsm_environment

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "jira_bad_input"
AS_OF = "2026-04-01T00:00:00Z"
DROP_TABLE_STATE = "Robert'); DROP TABLE marts.fct_flow_items;--"


def corpus_page() -> dict:
    page = json.loads((CORPUS / "search_page.json").read_text())
    for issue in page["issues"]:
        if issue["key"] == "BAD-9":  # kept small on disk, enormous on the wire
            issue["fields"]["description"] = "x" * 2_000_000
            issue["fields"]["summary"] = "y" * 100_000
    return page


def bad_jira(mock: JiraMock) -> JiraMock:
    mock.json("GET", "/rest/api/2/serverInfo", {"deploymentType": "Cloud"})
    mock.json("GET", "/rest/api/3/myself", {"accountId": "me", "timeZone": "UTC"})
    mock.json("GET", "/rest/api/3/field", [{"id": "customfield_10021", "name": "Flagged"}])
    mock.json("GET", "/rest/api/3/status", json.loads((CORPUS / "statuses.json").read_text()))
    mock.json("GET", "/rest/api/3/issuetype", json.loads((CORPUS / "issue_types.json").read_text()))
    mock.json("GET", "/rest/api/3/project/search", {"values": [{"id": "100", "key": "BAD", "name": "Bad"}]})
    page = corpus_page()
    mock.routes[("GET", "/rest/api/3/search/jql")] = lambda _query, _body: (200, {}, copy.deepcopy(page))
    # BAD-11 reports 3 histories but the tracker only ever delivers one
    mock.json("POST", "/rest/api/3/changelog/bulkfetch", {"issueChangeLogs": []})
    return mock


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("bad_input")
    path = root / "vsm.duckdb"
    with bad_jira(JiraMock()) as mock:
        env = {
            **vsm_environment(path, root / "dagster"),
            "SOURCES__JIRA__BASE_URL": mock.url,
            "SOURCES__JIRA__EMAIL": "ann@example.com",
            "SOURCES__JIRA__API_TOKEN": "corpus-token",
        }
        result = subprocess.run(
            [str(Path(sys.executable).parent / "vsm"), "refresh", "--as-of", AS_OF],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    return path, result


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def findings_for(path: Path, key: str) -> set[str]:
    return {
        row[0] for row in rows(path, f"select check_name from marts.dq_findings where item_key = '{key}'")
    }


def test_the_refresh_completes_and_publishes(warehouse) -> None:
    _, result = warehouse
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Traceback" not in result.stderr


def test_no_issue_of_the_corpus_is_dropped(warehouse) -> None:
    path, _ = warehouse
    keys = {row[0] for row in rows(path, "select item_key from marts.fct_flow_items")}
    assert keys == {f"BAD-{number}" for number in range(1, 12)}


def test_an_unknown_status_and_an_unknown_type_become_findings(warehouse) -> None:
    path, _ = warehouse
    assert rows(path, "select count(*) from marts.dq_findings where check_name = 'unmapped_state'")[0][0] >= 1
    messages = rows(path, "select message from marts.dq_findings where check_name = 'unmapped_item_type'")
    assert any("Spike" in message for (message,) in messages)
    assert rows(path, "select flow_item_type from marts.fct_flow_items where item_key = 'BAD-1'") == [(None,)]


def test_null_and_missing_fields_leave_a_row_with_nulls(warehouse) -> None:
    path, _ = warehouse
    [(item_type, flow_item_type)] = rows(
        path, "select item_type, flow_item_type from marts.fct_flow_items where item_key = 'BAD-2'"
    )
    assert flow_item_type is None
    assert item_type is None


def test_a_repeated_history_counts_once(warehouse) -> None:
    path, _ = warehouse
    states = rows(
        path,
        "select tool_state from marts.fct_state_intervals where item_key = 'BAD-3' order by entered_at",
    )
    assert states == [("To Do",), ("In Progress",), ("Done",)]


def test_histories_out_of_order_and_in_the_same_second_are_ordered_by_time_then_id(warehouse) -> None:
    path, _ = warehouse
    shuffled = rows(
        path, "select tool_state from marts.fct_state_intervals where item_key = 'BAD-4' order by entered_at"
    )
    assert shuffled == [("To Do",), ("In Progress",), ("Ready for Review",), ("Done",)]
    # 51 (To Do -> In Progress) and 52 (In Progress -> Done) share a second: 52 is applied last
    same_second = rows(
        path, "select tool_state from marts.fct_state_intervals where item_key = 'BAD-5' order by entered_at"
    )
    assert same_second == [("To Do",), ("Done",)]


def test_timestamps_before_creation_or_in_the_future_are_findings(warehouse) -> None:
    path, _ = warehouse
    assert "invalid_timestamp" in findings_for(path, "BAD-6")
    # the future change is ignored at this as-of: the item is still in progress
    assert rows(path, "select current_tool_state from marts.fct_flow_items where item_key = 'BAD-6'") == [
        ("In Progress",)
    ]


def test_non_latin_emoji_and_sql_metacharacter_names_are_kept_verbatim(warehouse) -> None:
    path, _ = warehouse
    states = {row[0] for row in rows(path, "select distinct tool_state from marts.fct_state_intervals")}
    assert "进行中 🚀" in states
    assert DROP_TABLE_STATE in states
    [(labels,)] = rows(path, "select labels from marts.fct_flow_items where item_key = 'BAD-8'")
    assert set(json.loads(labels)) == {'it\'s "quoted"', "a;b--c", "%_\\"}


def test_an_enormous_description_does_not_reach_the_warehouse(warehouse) -> None:
    path, _ = warehouse
    [(length,)] = rows(path, "select max(length(summary)) from raw_jira.issues")
    assert length <= 1000
    assert path.stat().st_size < 50_000_000


def test_a_bulk_migration_transition_and_a_short_history_are_findings(warehouse) -> None:
    path, _ = warehouse
    assert "inconsistent_transition" in findings_for(path, "BAD-10")
    assert "incomplete_history" in findings_for(path, "BAD-11")
