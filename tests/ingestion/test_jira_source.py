"""The Jira source against a scripted Jira: paging, complete changelogs, time zones, faults, increments."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.jira import JiraError, jira_source, settings
from ingestion.jira.helpers import JiraClient, format_jql_datetime
from ingestion.jira.pages import JiraSettings, connect, resolve_override_fields

from .jira_mock import JiraMock, history, issue, status, status_item

SEARCH = "/rest/api/3/search/jql"
BULK = "/rest/api/3/changelog/bulkfetch"
TOKEN = "s3cret-token-value"


def cloud(mock: JiraMock) -> JiraMock:
    """The catalog endpoints every run reads, for a Cloud instance whose user lives in Shanghai."""
    mock.json("GET", "/rest/api/2/serverInfo", {"deploymentType": "Cloud", "version": "1001"})
    mock.json("GET", "/rest/api/3/myself", {"accountId": "me", "timeZone": "Asia/Shanghai"})
    mock.json("GET", "/rest/api/3/field", [{"id": "customfield_10021", "name": "Flagged"}])
    mock.json(
        "GET",
        "/rest/api/3/status",
        [
            status("1", "To Do", "new"),
            status("2", "In Progress", "indeterminate"),
            status("3", "Done", "done"),
        ],
    )
    mock.json("GET", "/rest/api/3/issuetype", [{"id": "1", "name": "Story", "subtask": False}])
    mock.json(
        "GET",
        "/rest/api/3/project/search",
        {"values": [{"id": "100", "key": "PAY", "name": "Payments"}], "isLast": True},
    )
    return mock


def run(mock: JiraMock, tmp_path: Path, **kwargs: object) -> duckdb.DuckDBPyConnection:
    pipeline = dlt.pipeline(
        pipeline_name="test_jira",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "raw.duckdb")),
        dataset_name="raw_jira",
    )
    pipeline.run(jira_source(base_url=mock.url, email="ann@example.com", api_token=TOKEN, **kwargs))
    return duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)


def status_histories(count: int, start_id: int = 1000) -> list[dict]:
    """`count` alternating status changes, one a day from 2026-01-06, oldest first."""
    result = []
    for n in range(count):
        src, dst = (
            (("1", "To Do"), ("2", "In Progress")) if n % 2 == 0 else (("2", "In Progress"), ("1", "To Do"))
        )
        result.append(
            history(start_id + n, f"2026-01-{6 + n % 20:02d}T10:00:00.000+0000", status_item(*src, *dst))
        )
    return result


def test_search_follows_next_page_tokens_until_is_last(tmp_path: Path) -> None:
    with cloud(JiraMock()) as mock:
        mock.sequence(
            "GET",
            SEARCH,
            [
                (200, {}, {"issues": [issue("1", "PAY-1", [])], "nextPageToken": "t2", "isLast": False}),
                (200, {}, {"issues": [issue("2", "PAY-2", [])], "nextPageToken": "t3", "isLast": False}),
                (200, {}, {"issues": [issue("3", "PAY-3", [])], "isLast": True}),
            ],
        )
        connection = run(mock, tmp_path)
        tokens = [query.get("nextPageToken") for query, _ in mock.calls[("GET", SEARCH)]]
    assert tokens == [None, ["t2"], ["t3"]]
    assert connection.execute("select list(key order by key) from raw_jira.issues").fetchone()[0] == [
        "PAY-1",
        "PAY-2",
        "PAY-3",
    ]


def _with_work_category(issue_payload: dict, value: object) -> dict:
    issue_payload["fields"]["customfield_10050"] = value
    return issue_payload


def test_override_fields_land_every_value_and_a_rerun_forgets_cleared_ones(tmp_path: Path) -> None:
    fields = [
        {"id": "customfield_10021", "name": "Flagged"},
        {"id": "customfield_10050", "name": "Work Category"},
        {"id": "customfield_10008", "name": "Epic Link"},
    ]
    first = [
        _with_work_category(issue("1", "PAY-1", []), {"value": "Tech Debt", "id": "9"}),
        _with_work_category(issue("2", "PAY-2", []), [{"value": "Security"}, {"value": "Compliance"}]),
        _with_work_category(issue("3", "PAY-3", []), None),
    ]
    with cloud(JiraMock()) as mock:
        mock.json("GET", "/rest/api/3/field", fields)
        mock.json("GET", SEARCH, {"issues": first, "isLast": True})
        run(mock, tmp_path, override_fields="work category").close()
        asked = mock.calls[("GET", SEARCH)][0][0]["fields"][0].split(",")
        # The next run sees PAY-1's category cleared.
        mock.json(
            "GET", SEARCH, {"issues": [_with_work_category(issue("1", "PAY-1", []), None)], "isLast": True}
        )
        connection = run(mock, tmp_path, override_fields="work category")
    assert {"customfield_10050", "customfield_10008"} <= set(asked)  # the override field, and the epic link
    assert connection.execute(
        "select issue_id, field_name, value from raw_jira.issue_field_values order by all"
    ).fetchall() == [
        ("1", "Work Category", None),
        ("2", "Work Category", "Compliance"),
        ("2", "Work Category", "Security"),
        ("3", "Work Category", None),
    ]


def test_a_newly_named_override_field_reads_every_issue_again_once_and_the_list_follows_the_setting(
    tmp_path: Path,
) -> None:
    fields = [
        {"id": "customfield_10021", "name": "Flagged"},
        {"id": "customfield_10050", "name": "Work Category"},
    ]
    named: list[list[str]] = []
    with cloud(JiraMock()) as mock:
        mock.json("GET", "/rest/api/3/field", fields)
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", [])], "isLast": True})
        for override_fields in ("", "", "Work Category", "Work Category", ""):
            with run(mock, tmp_path, override_fields=override_fields) as connection:
                rows = connection.execute("select field_id from raw_jira.override_fields").fetchall()
                named.append([row[0] for row in rows])
        # The issue searches (the id-only scope listings of incremental runs ask for `fields=id`).
        searches = [
            query["jql"][0] for query, _ in mock.calls[("GET", SEARCH)] if query.get("fields") != ["id"]
        ]
    # The first run, and the run that names a new field, read everything; taking it off again needs no read.
    assert ['"1970-01-01' in jql for jql in searches] == [True, False, True, False, False]
    assert named == [[], [], ["customfield_10050"], ["customfield_10050"], []]


def test_a_run_that_finds_another_flagged_field_reads_every_issue_again_once(tmp_path: Path) -> None:
    """The issues landed before hold the flag of the field found then: a new one (an admin replaced the field,
    or it is now found by its untranslated name) needs every issue read again, once; a rename does not."""
    catalogs = [
        [{"id": "customfield_10021", "name": "Flagged"}],
        [{"id": "customfield_10021", "name": "Markiert", "untranslatedName": "Flagged"}],
        [{"id": "customfield_10099", "name": "Flagged"}],
        [{"id": "customfield_10099", "name": "Flagged"}],
    ]
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", [])], "isLast": True})
        for fields in catalogs:
            mock.json("GET", "/rest/api/3/field", fields)
            run(mock, tmp_path).close()
        searches = [
            query["jql"][0] for query, _ in mock.calls[("GET", SEARCH)] if query.get("fields") != ["id"]
        ]
    assert ['"1970-01-01' in jql for jql in searches] == [True, False, True, False]


@pytest.mark.parametrize(
    ("fields", "later_runs_read_all"),
    [
        # Before this state key, a field displayed as "Flagged" was taken for the flag: here another one
        (
            [
                {"id": "customfield_10050", "name": "Flagged"},
                {"id": "customfield_10021", "name": "Markiert", "untranslatedName": "Flagged"},
            ],
            True,
        ),
        ([{"id": "customfield_10021", "name": "Flagged", "untranslatedName": "Flagged"}], False),
    ],
)
def test_a_state_from_before_the_flagged_field_was_kept_counts_as_the_field_found_by_its_name(
    tmp_path: Path, fields: list[dict], later_runs_read_all: bool
) -> None:
    with cloud(JiraMock()) as mock:
        mock.json("GET", "/rest/api/3/field", fields)
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", [])], "isLast": True})
        for _ in range(3):
            run(mock, tmp_path).close()
            # What a run of an earlier version left: no Flagged field id in the source state.
            state_file = tmp_path / "pipelines" / "test_jira" / "state.json"
            state = json.loads(state_file.read_text())
            state["sources"]["raw_jira"].pop("flagged_field_id", None)
            state_file.write_text(json.dumps(state))
        searches = [
            query["jql"][0] for query, _ in mock.calls[("GET", SEARCH)] if query.get("fields") != ["id"]
        ]
    full_reads = ['"1970-01-01' in jql for jql in searches]
    assert full_reads == [True, later_runs_read_all, later_runs_read_all]


def test_an_override_field_jira_does_not_have_names_the_setting(tmp_path: Path) -> None:
    with (
        cloud(JiraMock()) as mock,
        pytest.raises(Exception, match="SOURCES__JIRA__OVERRIDE_FIELDS has 'Team'"),
    ):
        run(mock, tmp_path, override_fields="Team")


def test_an_issue_read_twice_in_one_run_keeps_its_newest_version(tmp_path: Path) -> None:
    """Moved between projects while the search paged, an issue comes back under its new key, changed later."""
    moved = issue("1", "OPS-9", [], status_name="In Progress", status_id="2", category="indeterminate")
    moved["fields"]["updated"] = "2026-02-01T10:00:00.000+0000"
    with cloud(JiraMock()) as mock:
        mock.sequence(
            "GET",
            SEARCH,
            [
                (200, {}, {"issues": [issue("1", "PAY-1", [])], "nextPageToken": "t2", "isLast": False}),
                (200, {}, {"issues": [moved], "isLast": True}),
            ],
        )
        connection = run(mock, tmp_path)
    assert connection.execute("select key, status_name from raw_jira.issues").fetchall() == [
        ("OPS-9", "In Progress")
    ]


def test_issue_with_more_than_20_histories_gets_the_rest_from_bulk_changelog(tmp_path: Path) -> None:
    every = status_histories(35)
    embedded = list(reversed(every))[:20]  # Cloud embeds 20, newest first
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("7", "PAY-7", embedded, total=35)], "isLast": True})
        mock.sequence(
            "POST",
            BULK,
            [
                (
                    200,
                    {},
                    {
                        "issueChangeLogs": [{"issueId": "7", "changeHistories": every[:20]}],
                        "nextPageToken": "b",
                    },
                ),
                (200, {}, {"issueChangeLogs": [{"issueId": "7", "changeHistories": every[20:]}]}),
            ],
        )
        connection = run(mock, tmp_path)
    loaded = connection.execute("select count(distinct history_id) from raw_jira.changelog_items").fetchone()[
        0
    ]
    counts = connection.execute("select changelog_total, changelog_loaded from raw_jira.issues").fetchone()
    assert loaded == 35
    assert counts == (35, 35)


def test_issue_with_more_than_100_histories_pages_its_changelog_when_bulk_fetch_is_missing(
    tmp_path: Path,
) -> None:
    every = status_histories(130)
    with cloud(JiraMock()) as mock:
        mock.json(
            "GET", SEARCH, {"issues": [issue("9", "PAY-9", every[-20:][::-1], total=130)], "isLast": True}
        )
        mock.json("POST", BULK, {"errorMessages": ["not here"]}, status=404)

        def changelog(query: dict, _body: object) -> tuple[int, dict, dict]:
            start, size = int(query["startAt"][0]), int(query["maxResults"][0])
            page = every[start : start + size]
            return 200, {}, {"values": page, "startAt": start, "total": 130, "isLast": start + size >= 130}

        mock.routes[("GET", "/rest/api/3/issue/9/changelog")] = changelog
        connection = run(mock, tmp_path)
    assert (
        connection.execute("select count(distinct history_id) from raw_jira.changelog_items").fetchone()[0]
        == 130
    )


def test_timestamps_with_non_utc_offsets_land_as_utc(tmp_path: Path) -> None:
    changed = history(1, "2026-01-06T08:30:00.000+0800", status_item("1", "To Do", "2", "In Progress"))
    with cloud(JiraMock()) as mock:
        mock.json(
            "GET",
            SEARCH,
            {
                "issues": [issue("1", "PAY-1", [changed], created="2026-01-06T07:00:00.000+0800")],
                "isLast": True,
            },
        )
        connection = run(mock, tmp_path)
    assert connection.execute("select created from raw_jira.issues").fetchone()[0] == datetime(
        2026, 1, 5, 23, 0
    )
    assert connection.execute("select created from raw_jira.changelog_items").fetchone()[0] == datetime(
        2026, 1, 6, 0, 30
    )


def test_non_latin_status_names_land_unchanged(tmp_path: Path) -> None:
    changed = history(1, "2026-01-06T10:00:00.000+0000", status_item("1", "待办", "9", "已完成 ✅"))
    with cloud(JiraMock()) as mock:
        mock.json(
            "GET",
            SEARCH,
            {"issues": [issue("1", "PAY-1", [changed], status_name="已完成 ✅")], "isLast": True},
        )
        connection = run(mock, tmp_path)
    row = connection.execute("select from_string, to_string from raw_jira.changelog_items").fetchone()
    assert row == ("待办", "已完成 ✅")
    assert connection.execute("select status_name from raw_jira.issues").fetchone()[0] == "已完成 ✅"


def test_issue_types_land_with_their_untranslated_name_where_jira_gives_one(tmp_path: Path) -> None:
    with cloud(JiraMock()) as mock:
        mock.json(
            "GET",
            "/rest/api/3/issuetype",
            [
                {"id": "1", "name": "Fehler", "untranslatedName": "Bug", "subtask": False},
                {"id": "2", "name": "Aufgabe", "subtask": False},  # Data Center gives no untranslated name
            ],
        )
        mock.json("GET", SEARCH, {"issues": [], "isLast": True})
        connection = run(mock, tmp_path)
    rows = connection.execute(
        "select id, name, untranslated_name from raw_jira.issue_types order by id"
    ).fetchall()
    assert rows == [("1", "Fehler", "Bug"), ("2", "Aufgabe", None)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # Cloud, a German-speaking API user: the Flagged field by its untranslated name, not a field whose
        # display name happens to be "Flagged"
        (
            [
                {"id": "customfield_10050", "name": "Flagged", "untranslatedName": "Review flag"},
                {"id": "customfield_10021", "name": "Markiert", "untranslatedName": "Flagged"},
            ],
            "customfield_10021",
        ),
        # Data Center gives no untranslated names
        (
            [{"id": "summary", "name": "Summary"}, {"id": "customfield_10100", "name": "Flagged"}],
            "customfield_10100",
        ),
        ([{"id": "summary", "name": "Summary"}], None),
    ],
)
def test_the_flagged_field_is_found_by_its_untranslated_name_then_its_name(
    fields: list[dict], expected: str | None
) -> None:
    with cloud(JiraMock()) as mock:
        mock.json("GET", "/rest/api/3/field", fields)
        instance = connect(JiraSettings(base_url=mock.url, email="ann@example.com", api_token=TOKEN))
    assert instance.flagged_field_id == expected


def test_every_status_and_flag_change_lands_with_its_history_id_and_author(tmp_path: Path) -> None:
    flagged = {
        "field": "Flagged",
        "fieldId": "customfield_10021",
        "from": None,
        "fromString": None,
        "to": "[10019]",
        "toString": "Impediment",
    }
    noise = {"field": "description", "fieldId": "description", "fromString": "x" * 10_000, "toString": "y"}
    histories = [
        history(5, "2026-01-07T10:00:00.000+0000", flagged, noise),
        history(4, "2026-01-06T10:00:00.000+0000", status_item("1", "To Do", "2", "In Progress")),
    ]
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", histories)], "isLast": True})
        connection = run(mock, tmp_path)
    rows = connection.execute(
        "select history_id, item_index, field, to_string, author_account_id"
        " from raw_jira.changelog_items order by 1"
    ).fetchall()
    assert rows == [("4", 0, "status", "In Progress", "u1"), ("5", 0, "Flagged", "Impediment", "u1")]


def test_rejected_credentials_fail_at_once_naming_the_setting_and_not_the_token(tmp_path: Path) -> None:
    with JiraMock() as mock:
        mock.json("GET", "/rest/api/2/serverInfo", {"errorMessages": ["nope"]}, status=401)
        with pytest.raises(Exception, match="SOURCES__JIRA__API_TOKEN") as raised:
            run(mock, tmp_path)
        calls = sum(len(requests) for requests in mock.calls.values())
    assert TOKEN not in str(raised.value)
    assert calls == 1  # no retries on a credential error


def test_the_token_is_not_in_the_repr_of_the_client_or_the_settings() -> None:
    """A log line or an error message that prints either one must not print the secret."""
    settings_ = JiraSettings(base_url="https://jira.example.com", email="ann@example.com", api_token=TOKEN)
    client = JiraClient("https://jira.example.com", personal_access_token=TOKEN)
    assert TOKEN not in repr(settings_)
    assert TOKEN not in repr(client)


def test_missing_credentials_name_the_settings_to_set() -> None:
    with pytest.raises(JiraError, match="SOURCES__JIRA__EMAIL and SOURCES__JIRA__API_TOKEN"):
        JiraClient(base_url="http://127.0.0.1:9")


def test_a_base_url_without_a_scheme_names_the_setting_at_once() -> None:
    with pytest.raises(JiraError, match=r"SOURCES__JIRA__BASE_URL is 'acme\.atlassian\.net'"):
        JiraClient(base_url="acme.atlassian.net", email="a", api_token=TOKEN)


def test_an_unreachable_jira_names_the_setting_after_its_retries() -> None:
    client = JiraClient(
        base_url="http://127.0.0.1:9", email="a", api_token=TOKEN, max_attempts=2, backoff_seconds=0
    )
    with pytest.raises(JiraError, match=r"cannot connect to http://127\.0\.0\.1:9 .*SOURCES__JIRA__BASE_URL"):
        client.get("/rest/api/2/serverInfo")


def test_a_base_url_that_is_not_a_jira_root_names_the_setting() -> None:
    with JiraMock() as mock, pytest.raises(JiraError, match="SOURCES__JIRA__BASE_URL to the site's root"):
        connect(JiraSettings(base_url=f"{mock.url}/jira/software", email="a", api_token=TOKEN))


def test_throttled_request_waits_for_retry_after_then_succeeds() -> None:
    with JiraMock() as mock:
        mock.sequence(
            "GET", "/rest/api/3/myself", [(429, {"Retry-After": "1"}, {}), (200, {}, {"accountId": "me"})]
        )
        client = JiraClient(base_url=mock.url, email="a", api_token=TOKEN)
        started = datetime.now()
        assert client.get("/rest/api/3/myself") == {"accountId": "me"}
        waited = (datetime.now() - started).total_seconds()
    assert waited >= 1.0
    assert len(mock.calls[("GET", "/rest/api/3/myself")]) == 2


def test_throttling_is_waited_out_without_using_up_the_attempts_for_failures() -> None:
    throttled = [(429, {"Retry-After": "0"}, {})] * 7
    with JiraMock() as mock:
        mock.sequence("GET", "/rest/api/3/myself", [*throttled, (200, {}, {"accountId": "me"})])
        client = JiraClient(base_url=mock.url, email="a", api_token=TOKEN, max_attempts=3, backoff_seconds=0)
        assert client.get("/rest/api/3/myself") == {"accountId": "me"}
    assert len(mock.calls[("GET", "/rest/api/3/myself")]) == 8


def test_endless_throttling_gives_up_once_the_budget_is_spent_even_without_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "THROTTLE_BUDGET_SECONDS", 0.5)
    with JiraMock() as mock:
        mock.json("GET", "/rest/api/3/myself", {}, status=429, headers={"Retry-After": "0"})
        client = JiraClient(
            base_url=mock.url, email="a", api_token=TOKEN, max_attempts=3, backoff_seconds=0.05
        )
        with pytest.raises(JiraError, match="answered 429"):
            client.get("/rest/api/3/myself")
    assert len(mock.calls[("GET", "/rest/api/3/myself")]) > 3  # more than the attempts failures get


def test_a_field_named_twice_by_name_and_by_id_is_read_once() -> None:
    fields = [{"id": "customfield_10050", "name": "Work Category"}]
    assert resolve_override_fields(["Work Category", "customfield_10050"], fields) == (
        ("customfield_10050", "Work Category"),
    )


def test_retry_after_as_an_http_date_is_honoured() -> None:
    from email.utils import format_datetime

    in_two_seconds = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    with JiraMock() as mock:
        mock.sequence(
            "GET",
            "/rest/api/3/myself",
            [(429, {"Retry-After": in_two_seconds}, {}), (200, {}, {"accountId": "me"})],
        )
        client = JiraClient(base_url=mock.url, email="a", api_token=TOKEN, backoff_seconds=0)
        started = datetime.now()
        assert client.get("/rest/api/3/myself") == {"accountId": "me"}
        waited = (datetime.now() - started).total_seconds()
    assert waited >= 1.0  # the date is whole seconds: at least one of the two is left when it arrives


def test_unavailable_server_is_retried_with_backoff_then_succeeds() -> None:
    with JiraMock() as mock:
        mock.sequence(
            "GET", "/rest/api/3/myself", [(503, {}, {}), (502, {}, {}), (200, {}, {"accountId": "me"})]
        )
        client = JiraClient(base_url=mock.url, email="a", api_token=TOKEN, backoff_seconds=0.01)
        assert client.get("/rest/api/3/myself") == {"accountId": "me"}
    assert len(mock.calls[("GET", "/rest/api/3/myself")]) == 3


def test_persistent_outage_gives_up_with_a_clear_error() -> None:
    with JiraMock() as mock:
        mock.json("GET", "/rest/api/3/myself", {}, status=500)
        client = JiraClient(base_url=mock.url, email="a", api_token=TOKEN, max_attempts=3, backoff_seconds=0)
        with pytest.raises(JiraError, match="answered 500"):
            client.get("/rest/api/3/myself")
    assert len(mock.calls[("GET", "/rest/api/3/myself")]) == 3


def test_rerun_reads_from_the_cursor_minus_overlap_and_merges_without_duplicates(tmp_path: Path) -> None:
    first = [history(1, "2026-01-06T10:00:00.000+0000", status_item("1", "To Do", "2", "In Progress"))]
    second = [
        history(2, "2026-01-08T12:00:00.000+0000", status_item("2", "In Progress", "3", "Done")),
        *first,
    ]
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", first)], "isLast": True})
        run(mock, tmp_path).close()
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", second)], "isLast": True})
        connection = run(mock, tmp_path)
        jql = [query["jql"][0] for query, _ in mock.calls[("GET", SEARCH)]]
    assert 'updated >= "1970-01-01 08:00"' in jql[0]
    # cursor 2026-01-06 10:00 UTC minus 120 minutes overlap, written in the user's zone (UTC+8)
    assert 'updated >= "2026-01-06 16:00"' in jql[1]
    assert connection.execute("select count(*) from raw_jira.issues").fetchone()[0] == 1
    assert connection.execute("select count(*) from raw_jira.changelog_items").fetchone()[0] == 2


def data_center(
    mock: JiraMock, issues: list[dict], after_first_page: Callable[[list[dict]], None]
) -> JiraMock:
    """A Data Center whose search pages by `startAt` over `issues` in key order, as the real one does; once
    the first page is served, `after_first_page` changes the results (issues deleted, moved, re-keyed)."""
    mock.json("GET", "/rest/api/2/serverInfo", {"deploymentType": "Server", "version": "9.12.0"})
    mock.json("GET", "/rest/api/2/myself", {"name": "ann", "timeZone": "Europe/Berlin"})
    mock.json("GET", "/rest/api/2/field", [])
    mock.json("GET", "/rest/api/2/status", [status("3", "Done", "done")])
    mock.json("GET", "/rest/api/2/issuetype", [{"id": "1", "name": "Story", "subtask": False}])
    mock.json("GET", "/rest/api/2/project", [{"id": "100", "key": "PAY", "name": "Payments"}])
    results = list(issues)

    def search(query: dict, _body: object) -> tuple[int, dict, dict]:
        start, size = int(query["startAt"][0]), int(query["maxResults"][0])
        if size == 0:
            return 200, {}, {"startAt": 0, "maxResults": 0, "total": len(results), "issues": []}
        page, total = results[start : start + size], len(results)
        if start == 0:
            after_first_page(results)
        return 200, {}, {"startAt": start, "maxResults": size, "total": total, "issues": page}

    mock.routes[("GET", "/rest/api/2/search")] = search
    return mock


def _leave(*keys: str) -> Callable[[list[dict]], None]:
    """Issues deleted, or moved to a project outside the configured scope."""

    def change(results: list[dict]) -> None:
        results[:] = [issue for issue in results if issue["key"] not in keys]

    return change


def _move_to_the_end(key: str, new_key: str) -> Callable[[list[dict]], None]:
    """An issue moved to another project in scope: the same id under a key that sorts last."""

    def change(results: list[dict]) -> None:
        moved = next(issue for issue in results if issue["key"] == key)
        results.remove(moved)
        results.append({**moved, "key": new_key})

    return change


def _read_from_data_center(tmp_path: Path, count: int, change, page_size: int) -> list[str]:
    issues = [issue(str(number), f"PAY-{number}", []) for number in range(1, count + 1)]
    with data_center(JiraMock(), issues, change) as mock:
        pipeline = dlt.pipeline(
            pipeline_name="test_jira_dc",
            pipelines_dir=str(tmp_path / "pipelines"),
            destination=dlt.destinations.duckdb(str(tmp_path / "raw.duckdb")),
            dataset_name="raw_jira",
        )
        pipeline.run(jira_source(base_url=mock.url, personal_access_token=TOKEN, page_size=page_size))
    with duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True) as connection:
        return connection.execute("select list(id order by id::int) from raw_jira.issues").fetchone()[0]


@pytest.mark.parametrize(
    ("count", "change", "page_size"),
    [
        (11, _leave("PAY-2"), 4),
        (11, _leave("PAY-1", "PAY-2", "PAY-3", "PAY-4"), 4),
        (5, _leave("PAY-1", "PAY-2", "PAY-3", "PAY-4"), 4),  # the next page comes back empty
        (6, _move_to_the_end("PAY-3", "RISK-1"), 4),
    ],
    ids=["one left", "a page left", "the rest left", "one moved in scope"],
)
def test_data_center_paging_reads_every_issue_when_issues_already_read_leave_or_move(
    tmp_path: Path, count: int, change, page_size: int
) -> None:
    """Paged by offset, an issue read and then deleted shifts the later ones back a place: without looking
    back, the first issue of the next page would never be read."""
    landed = _read_from_data_center(tmp_path, count, change, page_size)
    assert landed == [str(number) for number in range(1, count + 1)]


def test_data_center_pages_of_one_issue_page_by_plain_offsets_and_end(tmp_path: Path) -> None:
    """A page of one issue has nothing to look back with: the issue after one that left is skipped, as plain
    offsets do (`SOURCES__JIRA__PAGE_SIZE=1`, a setting for debugging), and the read still ends."""
    assert _read_from_data_center(tmp_path, 3, _leave("PAY-1"), page_size=1) == ["1", "3"]


def test_the_cursor_never_passes_the_start_of_the_read(tmp_path: Path) -> None:
    """An issue read late in a long read can carry an `updated` after the read began (here one from a clock
    far ahead); the next run still re-reads from before the read's start, where earlier pages' changes are."""
    ahead = history(1, "2099-01-06T10:00:00.000+0000", status_item("1", "To Do", "2", "In Progress"))
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", [ahead])], "isLast": True})
        before = datetime.now(UTC)
        run(mock, tmp_path).close()
        run(mock, tmp_path).close()
        jql = [query["jql"][0] for query, _ in mock.calls[("GET", SEARCH)]]
    # the start of the first read minus the 120-minute overlap, in the user's zone (UTC+8), to the minute
    since = (before - timedelta(minutes=120) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    written = jql[1].split('updated >= "')[1][:16]
    assert (
        since
        <= written
        <= (datetime.now(UTC) - timedelta(minutes=120) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    ), jql[1]


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus_Mons"])
def test_jql_dates_for_a_user_without_a_known_zone_are_read_no_later_in_any_zone(zone: str | None) -> None:
    """Jira reads a JQL date in the user's zone; unknown, the literal must not move the cursor on in any."""
    moment = datetime(2026, 3, 29, 1, 30)
    literal = datetime.strptime(format_jql_datetime(moment, zone), "%Y-%m-%d %H:%M")
    for hours in range(-12, 15):
        read_as = literal.replace(tzinfo=timezone(timedelta(hours=hours))).astimezone(UTC)
        assert read_as.replace(tzinfo=None) <= moment, (zone, hours)


@pytest.mark.parametrize(
    ("zone", "literal"),
    [("GMT-05:00", "2026-03-28 20:30"), ("GMT+0530", "2026-03-29 07:00"), ("UTC", "2026-03-29 01:30")],
)
def test_jql_dates_follow_java_fixed_offset_zone_ids(zone: str, literal: str) -> None:
    """Data Center can report a user's zone as Java's `GMT-05:00`: a fixed offset, not an unknown zone."""
    assert format_jql_datetime(datetime(2026, 3, 29, 1, 30), zone) == literal


def test_a_history_read_again_with_its_items_reordered_keeps_one_row_per_field(tmp_path: Path) -> None:
    assignee = {"field": "assignee", "fieldId": "assignee", "from": None, "to": "u2", "toString": "Bo"}
    flagged = {"field": "Flagged", "fieldId": "customfield_10021", "from": None, "toString": "Impediment"}
    move = status_item("1", "To Do", "2", "In Progress")
    with cloud(JiraMock()) as mock:
        before = [history(1, "2026-01-06T10:00:00.000+0000", move, flagged)]
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", before)], "isLast": True})
        run(mock, tmp_path).close()
        # Jira answers the same history with its items in another order (another endpoint, a later read).
        after = [history(1, "2026-01-06T10:00:00.000+0000", assignee, flagged, move)]
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", after)], "isLast": True})
        connection = run(mock, tmp_path)
    rows = connection.execute(
        "select history_id, field, item_index from raw_jira.changelog_items order by field"
    ).fetchall()
    assert rows == [("1", "Flagged", 1), ("1", "status", 2)]


def test_an_issue_read_twice_in_one_run_with_its_items_reordered_keeps_one_row_per_field(
    tmp_path: Path,
) -> None:
    # Moved while the search paged: read under its old key, then under its new one, items in another order.
    resolved = {"field": "resolution", "fieldId": "resolution", "from": None, "to": "1", "toString": "Done"}
    assignee = {"field": "assignee", "fieldId": "assignee", "from": None, "to": "u2", "toString": "Bo"}
    done = status_item("2", "In Progress", "3", "Done")
    first = issue("1", "PAY-1", [history(1, "2026-01-06T10:00:00.000+0000", done, resolved)])
    again = issue("1", "OPS-9", [history(1, "2026-01-06T10:00:00.000+0000", assignee, resolved, done)])
    with cloud(JiraMock()) as mock:
        mock.sequence(
            "GET",
            SEARCH,
            [
                (200, {}, {"issues": [first], "nextPageToken": "t2", "isLast": False}),
                (200, {}, {"issues": [again], "isLast": True}),
            ],
        )
        connection = run(mock, tmp_path)
    rows = connection.execute(
        "select history_id, field, to_string from raw_jira.changelog_items order by field"
    ).fetchall()
    assert rows == [("1", "resolution", "Done"), ("1", "status", "Done")]


def staged_rows_declared_unique(tmp_path: Path) -> bool:
    """What the last run told dlt's merge about the staged changelog rows (see `source.ReadEnd`)."""
    pipeline = dlt.attach(pipeline_name="test_jira", pipelines_dir=str(tmp_path / "pipelines"))
    return pipeline.default_schema.get_table("changelog_items")["x-stage-data-deduplicated"]


def test_the_merge_skips_de_duplication_only_after_a_run_that_read_each_issue_once(tmp_path: Path) -> None:
    done = status_item("2", "In Progress", "3", "Done")
    first = issue("1", "PAY-1", [history(1, "2026-01-06T10:00:00.000+0000", done)])
    moved = issue("1", "OPS-9", [history(1, "2026-01-06T10:00:00.000+0000", done)])
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [first, issue("2", "PAY-2", [])], "isLast": True})
        run(mock, tmp_path).close()
        assert staged_rows_declared_unique(tmp_path) is True
        # The next run reads issue 1 twice (moved while the search paged): the stored hint must not stay.
        mock.sequence(
            "GET",
            SEARCH,
            [
                (200, {}, {"issues": [first], "nextPageToken": "t2", "isLast": False}),
                (200, {}, {"issues": [moved], "isLast": True}),
            ],
        )
        connection = run(mock, tmp_path)
    assert staged_rows_declared_unique(tmp_path) is False
    assert connection.execute(
        "select issue_id, history_id, field from raw_jira.changelog_items"
    ).fetchall() == [("1", "1", "status")]


def test_an_issue_listed_twice_in_one_page_lands_once_in_its_newest_version(tmp_path: Path) -> None:
    started = history(1, "2026-01-06T10:00:00.000+0000", status_item("1", "To Do", "2", "In Progress"))
    done = history(2, "2026-01-07T10:00:00.000+0000", status_item("2", "In Progress", "3", "Done"))
    older = issue("1", "PAY-1", [started], status_name="In Progress", status_id="2", category="indeterminate")
    newer = issue("1", "PAY-1", [done, started])
    with cloud(JiraMock()) as mock:
        # The newer version comes first: the one kept is the newest by `updated`, not the last listed.
        mock.json("GET", SEARCH, {"issues": [newer, older], "isLast": True})
        connection = run(mock, tmp_path)
    assert staged_rows_declared_unique(tmp_path) is False, "a repeated issue makes dlt remove duplicate keys"
    assert connection.execute("select id, status_name, updated from raw_jira.issues").fetchall() == [
        ("1", "Done", datetime(2026, 1, 7, 10, 0))
    ]
    assert connection.execute(
        "select history_id, to_string from raw_jira.changelog_items order by history_id"
    ).fetchall() == [("1", "In Progress"), ("2", "Done")]


def scoped_search(issues: list[dict], listed_ids: list[str]):
    """A search that answers issue reads with `issues` and id-only scope listings with `listed_ids`."""

    def handler(query: dict, _body: object) -> tuple[int, dict, dict]:
        if query.get("fields") == ["id"]:
            return 200, {}, {"issues": [{"id": issue_id} for issue_id in listed_ids], "isLast": True}
        return 200, {}, {"issues": issues, "isLast": True}

    return handler


def test_a_full_read_lists_every_issue_it_read_as_in_scope(tmp_path: Path) -> None:
    with cloud(JiraMock()) as mock:
        mock.json(
            "GET", SEARCH, {"issues": [issue("1", "PAY-1", []), issue("2", "PAY-2", [])], "isLast": True}
        )
        connection = run(mock, tmp_path)
        listings = [query for query, _ in mock.calls[("GET", SEARCH)] if query.get("fields") == ["id"]]
    assert listings == [], "a full read needs no separate listing"
    assert connection.execute("select list(id order by id) from raw_jira.issue_scope").fetchone()[0] == [
        "1",
        "2",
    ]


def test_an_incremental_run_lists_the_whole_scope_by_id_so_vanished_issues_show(tmp_path: Path) -> None:
    both = [issue("1", "PAY-1", []), issue("2", "PAY-2", [])]
    with cloud(JiraMock()) as mock:
        mock.routes[("GET", SEARCH)] = scoped_search(both, ["1", "2"])
        run(mock, tmp_path, projects="PAY").close()
        # PAY-2 is deleted in Jira: nothing changed since the cursor, and the listing no longer returns it
        mock.routes[("GET", SEARCH)] = scoped_search([], ["1"])
        connection = run(mock, tmp_path, projects="PAY")
        listing = [query for query, _ in mock.calls[("GET", SEARCH)] if query.get("fields") == ["id"]][-1]
    assert listing["maxResults"] == ["5000"], "id-only searches use Cloud's biggest page"
    assert 'project in ("PAY")' in listing["jql"][0]
    assert 'updated >= "1970-01-01' in listing["jql"][0], "the listing covers the whole scope, not the cursor"
    assert connection.execute("select list(id) from raw_jira.issue_scope").fetchone()[0] == ["1"]
    listed_at, unchanged_before = connection.execute(
        "select max(listed_at), max(unchanged_before) from raw_jira.issue_scope"
    ).fetchone()
    assert listed_at - unchanged_before == timedelta(minutes=120), "the cut-off allows the overlap window"
    # no data is lost: the vanished issue's raw row stays; staging decides what leaves the metrics
    assert connection.execute("select list(id order by id) from raw_jira.issues").fetchone()[0] == ["1", "2"]


def test_a_listing_that_suddenly_finds_nothing_stops_the_run_instead_of_emptying_the_metrics(
    tmp_path: Path,
) -> None:
    with cloud(JiraMock()) as mock:
        mock.routes[("GET", SEARCH)] = scoped_search([issue("1", "PAY-1", [])], ["1"])
        run(mock, tmp_path).close()
        mock.routes[("GET", SEARCH)] = scoped_search([], [])
        with pytest.raises(Exception, match=r"lists no issues in scope .* last refresh found 1") as failure:
            run(mock, tmp_path)
    assert "vsm refresh --full" in str(failure.value)
    connection = duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)
    assert connection.execute("select list(id) from raw_jira.issue_scope").fetchone()[0] == ["1"]


def test_progress_reports_issues_read_against_jiras_approximate_count(tmp_path: Path) -> None:
    reports: list[tuple[int, int | None]] = []
    with cloud(JiraMock()) as mock:
        mock.json("POST", "/rest/api/3/search/approximate-count", {"count": 3})
        mock.sequence(
            "GET",
            SEARCH,
            [
                (200, {}, {"issues": [issue("1", "PAY-1", [])], "nextPageToken": "t2", "isLast": False}),
                (200, {}, {"issues": [issue("2", "PAY-2", []), issue("3", "PAY-3", [])], "isLast": True}),
            ],
        )
        run(mock, tmp_path, progress=lambda done, _elapsed, expected: reports.append((done, expected)))
        counted = mock.calls[("POST", "/rest/api/3/search/approximate-count")]
    assert reports[-1] == (3, 3), "one report per flattened batch (up to 1,000 issues), the last one complete"
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert "ORDER BY" not in counted[0][1]["jql"], "the count takes the bounded JQL without its ordering"


def test_progress_without_a_count_endpoint_still_reports_issues_read(tmp_path: Path) -> None:
    reports: list[tuple[int, int | None]] = []
    with cloud(JiraMock()) as mock:
        mock.json("GET", SEARCH, {"issues": [issue("1", "PAY-1", [])], "isLast": True})
        run(mock, tmp_path, progress=lambda done, _elapsed, expected: reports.append((done, expected)))
    assert reports == [(1, None)]


def test_the_reader_process_lands_exactly_what_an_in_process_read_lands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ingestion")
    # The readers take the typed path (`typed_pages`) for regular pages; the second page lists a history
    # twice, so they read it from dicts, as an in-process read reads every page.
    twice = status_histories(2, 3000)
    pages = [
        (
            200,
            {},
            {"issues": [issue("1", "PAY-1", status_histories(3))], "nextPageToken": "t2", "isLast": False},
        ),
        (
            200,
            {},
            {"issues": [issue("3", "PAY-3", [*twice, twice[0]])], "nextPageToken": "t3", "isLast": False},
        ),
        (200, {}, {"issues": [issue("2", "PAY-2", status_histories(2, 2000))], "isLast": True}),
    ]
    landed = []
    for reader_process in (True, False):
        with cloud(JiraMock()) as mock:
            mock.sequence("GET", SEARCH, pages)
            connection = run(
                mock,
                tmp_path / str(reader_process),
                reader_process=reader_process,
                browse_url="https://jira.test",
            )
        landed.append(
            {
                # dlt's own columns (load ids) differ between any two loads
                table: connection.execute(
                    f"select columns('^[^_]') from raw_jira.{table} order by all"
                ).fetchall()
                for table in ("issues", "changelog_items")
            }
        )
        connection.close()
    assert landed[0] == landed[1]
    assert len(landed[0]["changelog_items"]) == 7
    # Only the page listing a history twice was read from dicts: the readers read the others the typed way.
    # (The records come from both reads; the in-process one reads every page from dicts and says nothing.)
    slower = [
        record.getMessage() for record in caplog.records if "read the slower way" in record.getMessage()
    ]
    assert slower == ["a search page is read the slower way, from dicts: a changelog history listed twice"]


# Run in a fresh interpreter as a reader process is: the package's modules, then a batch flattened inside
# the reader's set-up (`_reporting`), then which heavy modules that pulled in.
_READER_IMPORTS = """
import json, queue, sys
from ingestion.jira import pages
channel = queue.Queue()
channel.close = channel.join_thread = lambda: None
with pages._reporting(channel):
    page = [{"id": "1", "key": "PAY-1", "fields": {"updated": "2026-01-05T09:00:00.000+0800"}}]
    batch = pages.issues_table(page, "https://jira.test", None)
loaded = [module for module in ("dlt", "pandas") if module in sys.modules]
print(json.dumps({"rows": batch.num_rows, "updated": str(batch["updated"][0]), "loaded": loaded}))
"""


def test_a_reader_process_flattens_pages_without_importing_dlt_or_pandas() -> None:
    """Both would be imported in every reader before its first batch: ~0.9 s of every Jira step."""
    import json
    import subprocess
    import sys

    answer = subprocess.run(
        [sys.executable, "-c", _READER_IMPORTS], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(answer.stdout) == {"rows": 1, "updated": "2026-01-05 01:00:00", "loaded": []}


def test_a_reader_process_that_dies_fails_the_run_instead_of_landing_a_short_read(tmp_path: Path) -> None:
    import multiprocessing

    def search(query: dict, _body: object) -> tuple[int, dict, dict]:
        page = int(query.get("nextPageToken", ["0"])[0])
        if page == 1:
            for child in multiprocessing.active_children():
                child.kill()  # the readers are killed (out of memory, an operator) during the read
        issues = [issue(str(page), f"PAY-{page}", [])]
        return 200, {}, {"issues": issues, "nextPageToken": str(page + 1), "isLast": False}

    with cloud(JiraMock()) as mock:
        mock.routes[("GET", SEARCH)] = search
        with pytest.raises(Exception, match="reader process stopped unexpectedly"):
            run(mock, tmp_path)
    with duckdb.connect(str(tmp_path / "raw.duckdb")) as connection:
        tables = connection.execute(
            "select count(*) from information_schema.tables where table_name = 'issues'"
        ).fetchone()[0]
    assert tables == 0, "nothing of the interrupted read was loaded"
