"""The Jira source against the demo tracker's fault modes: each run loads exactly what a clean run loads,
or stops with a message that says what happened."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.demo import DemoOrganisation, DemoTracker, FaultPlan, FaultRule
from ingestion.jira import jira_source

SEARCH = "/rest/api/3/search/jql"
BULK = "/rest/api/3/changelog/bulkfetch"
ORGANISATION = DemoOrganisation(seed=11, issues=240)


def load(tmp_path: Path, faults: FaultPlan | None = None, flavor: str = "cloud") -> dict[str, list[tuple]]:
    """Ingest the organisation through the given faults; return what landed, in a stable order."""
    warehouse = tmp_path / f"raw-{flavor}.duckdb"
    with DemoTracker(ORGANISATION, faults=faults, flavor=flavor) as tracker:
        pipeline = dlt.pipeline(
            pipeline_name=f"faults_{flavor}",
            pipelines_dir=str(tmp_path / "pipelines"),
            destination=dlt.destinations.duckdb(str(warehouse)),
            dataset_name="raw_jira",
        )
        # Data Center signs in with a personal access token (bearer), Cloud with email and API token.
        credentials = (
            {"personal_access_token": tracker.api_token}
            if flavor == "datacenter"
            else {"email": tracker.email, "api_token": tracker.api_token}
        )
        source = jira_source(
            base_url=tracker.url,
            **credentials,
            page_size=50,
            request_timeout=1.0,
            browse_url="http://jira.example",
        )
        pipeline.run(source)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            "issues": connection.execute(
                "select id, key, status_name, updated, changelog_total, changelog_loaded"
                " from raw_jira.issues order by id"
            ).fetchall(),
            "changes": connection.execute(
                "select issue_id, history_id, item_index, field, to_string"
                " from raw_jira.changelog_items order by all"
            ).fetchall(),
            "projects": connection.execute(
                "select id, key, name from raw_jira.projects order by id"
            ).fetchall(),
        }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    return load(tmp_path_factory.mktemp("clean"))


def test_a_clean_load_has_every_issue_and_its_complete_history(clean) -> None:
    assert len(clean["issues"]) == ORGANISATION.issues
    assert all(total == loaded for *_, total, loaded in clean["issues"])
    assert any(total > 20 for *_, total, _ in clean["issues"])


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule(SEARCH, 2, "rate_limit"),
        FaultRule(SEARCH, 2, "server_error"),
        FaultRule(SEARCH, 3, "bad_gateway"),
        FaultRule(SEARCH, 2, "unavailable"),
        FaultRule(SEARCH, 2, "slow", delay_seconds=2.5),
        FaultRule(SEARCH, 2, "truncated"),
        FaultRule(SEARCH, 4, "malformed"),
        FaultRule(BULK, 1, "unavailable"),
        FaultRule(BULK, 1, "truncated"),
    ],
    ids=lambda rule: f"{rule.kind}-on-{rule.path_prefix.rsplit('/', 1)[-1]}-{rule.request_number}",
)
def test_a_transient_fault_is_retried_and_the_load_equals_a_clean_one(tmp_path: Path, clean, fault) -> None:
    plan = FaultPlan([fault])
    assert load(tmp_path, plan) == clean
    assert plan.count(fault.path_prefix) > fault.request_number  # the faulty request was retried


def test_a_page_token_that_does_not_advance_stops_the_load_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="page token it was given"):
        load(tmp_path, FaultPlan([FaultRule(SEARCH, 2, "stale_token")]))


def test_data_center_search_with_start_at_loads_the_same_issues_and_histories(tmp_path: Path, clean) -> None:
    # The demo's Data Center, like the real one, has no `project/search`: projects come from `/project`.
    landed = load(tmp_path, flavor="datacenter")
    assert landed == clean
    assert len(landed["projects"]) == 3
