"""The ingestion progress line a refresh prints and the Dagster run log shows."""

from orchestration.progress import progress_line


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
