"""Which trackers a run reads: the demo serves Jira, GitHub and GitLab only where the user configured none."""

from __future__ import annotations

import pytest
import requests

from orchestration.resources import TrackerResource

DEMO = TrackerResource(demo_issues=300, demo_anchor="2026-06-30")


def test_with_nothing_configured_the_demo_tracker_serves_a_github_repository_while_open() -> None:
    with DEMO.git_source_arguments("github") as arguments:
        assert arguments is not None
        assert arguments["repositories"] == "demo-org/payments-api"
        assert arguments["base_url"].startswith("http://127.0.0.1:")
        assert arguments["base_url"].endswith("/api/v3")
        url = f"{arguments['base_url']}/repos/demo-org/payments-api/issues"
        headers = {"Authorization": f"Bearer {arguments['access_token']}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=headers, timeout=2)


def test_with_nothing_configured_the_demo_tracker_serves_a_gitlab_project() -> None:
    with DEMO.git_source_arguments("gitlab") as arguments:
        assert arguments is not None
        assert arguments["projects"] == "demo-group/mobile-app"
        url = f"{arguments['base_url']}/api/v4/projects/demo-group%2Fmobile-app/issues"
        response = requests.get(url, headers={"PRIVATE-TOKEN": arguments["access_token"]}, timeout=10)
        assert response.status_code == 200
        assert response.json()


def test_a_configured_jira_gets_no_invented_github_or_gitlab_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__JIRA__BASE_URL", "https://acme.atlassian.net")
    for host in ("github", "gitlab"):
        with DEMO.git_source_arguments(host) as arguments:
            assert arguments is None


def test_a_configured_github_is_read_from_its_settings_and_gitlab_still_comes_from_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", "ghp_user-token")
    monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", "acme/api")
    with DEMO.git_source_arguments("github") as github:
        assert github == {}
    with DEMO.git_source_arguments("gitlab") as gitlab:
        assert gitlab is not None
        assert gitlab["projects"] == "demo-group/mobile-app"


def test_a_half_configured_gitlab_is_skipped_rather_than_replaced_by_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__GITLAB__ACCESS_TOKEN", "glpat-user-token")
    with DEMO.git_source_arguments("gitlab") as arguments:
        assert arguments is None
