"""The Jira API token never leaves the process that uses it: not in output, logs, event logs, the warehouse,
or dlt's state and trace files, whether the refresh succeeds or fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.demo import DemoOrganisation, DemoTracker

from .helpers import AS_OF, vsm_environment

# A canary, searched for in every file and output after the runs.
TOKEN = "tok-9f3a61c2-sekret-Zq7"


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


def refresh_against(tracker: DemoTracker, tmp_path: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {
        **vsm_environment(tmp_path / "warehouse" / "vsm.duckdb", tmp_path / "dagster"),
        "SOURCES__JIRA__BASE_URL": tracker.url,
        "SOURCES__JIRA__EMAIL": tracker.email,
        "SOURCES__JIRA__API_TOKEN": token,
    }
    command = [str(Path(sys.executable).parent / "vsm"), "refresh", "--as-of", AS_OF]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.parametrize("outcome", ["succeeds", "fails"])
def test_the_api_token_appears_nowhere_after_a_refresh_that(tmp_path: Path, outcome: str) -> None:
    organisation = DemoOrganisation(issues=120)
    # A failing run is one whose token the tracker rejects: the token we grep for is the one that was sent.
    served_token = TOKEN if outcome == "succeeds" else "the-right-token"
    with DemoTracker(organisation, api_token=served_token) as tracker:
        result = refresh_against(tracker, tmp_path, TOKEN)
    assert (result.returncode == 0) == (outcome == "succeeds"), result.stdout[-2000:] + result.stderr[-2000:]
    assert TOKEN not in result.stdout + result.stderr
    leaked = files_containing(tmp_path, TOKEN.encode())
    assert leaked == [], f"token found in {leaked}"
    if outcome == "fails":
        assert "SOURCES__JIRA__API_TOKEN" in result.stderr


def test_gitignore_keeps_secrets_files_out_of_the_repository(project_root: Path) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", ".dlt/secrets.toml", ".env", "warehouse/vsm.duckdb", ".dagster/runs.db"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".dlt/secrets.toml", ".env", "warehouse/vsm.duckdb", ".dagster/runs.db"]
