"""The ingestion progress line a refresh prints and the Dagster run log shows."""

import pytest

from orchestration.progress import ProgressLog, progress_line


def test_progress_line_gives_share_rate_and_time_left_when_jira_gives_a_count() -> None:
    assert progress_line(12_000, 3.0, 100_000) == (
        "Jira: 12,000 of ~100,000 issues (12%) in 3 s, 4,000/s, about 22 s left"
    )


def test_progress_line_without_a_count_gives_issues_and_rate() -> None:
    assert progress_line(12_000, 3.0, None) == "Jira: 12,000 issues read in 3 s (4,000/s)"


def test_progress_line_drops_the_estimate_once_the_approximate_count_is_exceeded() -> None:
    assert progress_line(101_000, 10.0, 100_000) == "Jira: 101,000 issues read in 10 s (10,100/s)"


def test_progress_line_names_the_tracker_and_what_it_reads() -> None:
    assert progress_line(300, 60.0, None, "GitHub", "items") == "GitHub: 300 items read in 60 s (5/s)"


class _RunLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, line: str) -> None:
        self.lines.append(line)


class _Context:
    def __init__(self) -> None:
        self.log = _RunLog()


def test_progress_log_logs_at_most_every_interval_and_always_the_final_count() -> None:
    context = _Context()
    with ProgressLog(context, "Jira", "issues", every_seconds=3600) as progress:  # type: ignore[arg-type]
        progress(100, 1.0, 1_000)
        progress(600, 2.0, 1_000)
        progress(1_000, 4.0, 1_000)
    assert context.log.lines == [
        "Jira: 100 of ~1,000 issues (10%) in 1 s, 100/s, about 9 s left",
        "Jira: 1,000 of ~1,000 issues (100%) in 4 s, 250/s, about 0 s left",
    ]


def test_progress_log_does_not_repeat_a_final_count_it_already_logged() -> None:
    context = _Context()
    with ProgressLog(context, "GitLab", "issues and merge requests") as progress:  # type: ignore[arg-type]
        progress(40, 2.0)
    assert context.log.lines == ["GitLab: 40 issues and merge requests read in 2 s (20/s)"]


def test_progress_log_logs_the_count_reached_when_the_read_fails() -> None:
    context = _Context()

    def read_then_fail() -> None:
        with ProgressLog(context, "GitHub", "items", every_seconds=3600) as progress:  # type: ignore[arg-type]
            progress(10, 1.0)
            progress(30, 3.0)
            raise ConnectionError("tracker went away")

    with pytest.raises(ConnectionError):
        read_then_fail()
    assert context.log.lines[-1] == "GitHub: 30 items read in 3 s (10/s)"
