"""One demo refresh reads three tools: value streams that combine Jira with GitHub and with GitLab.

The demo tracker serves the Jira organisation and, beside it, the GitHub repository
`demo-org/payments-api` (value stream Payments, with Jira project PAY) and the GitLab project
`demo-group/mobile-app` (Mobile, with MOB).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

FLOW_ITEMS = "flow_item_type in ('feature', 'defect', 'risk', 'debt')"


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def completed_by_source(warehouse: Path, value_stream: str) -> dict[str, int]:
    return dict(
        query(
            warehouse,
            f"select source, count(*) from marts.fct_flow_items where value_stream = '{value_stream}'"
            f" and current_flow_state = 'done' and {FLOW_ITEMS} group by source",
        )
    )


def velocity(warehouse: Path, value_stream: str) -> int:
    return query(
        warehouse,
        "select sum(flow_velocity) from marts.metrics_flow_velocity where flow_item_type = 'all'"
        f" and period_grain = 'quarter' and value_stream = '{value_stream}'",
    )[0][0]


def test_a_demo_refresh_yields_flow_items_from_jira_github_and_gitlab(refreshed) -> None:
    warehouse, _, _ = refreshed
    sources = dict(
        query(
            warehouse, f"select source, count(*) from marts.fct_flow_items where {FLOW_ITEMS} group by source"
        )
    )
    assert set(sources) == {"jira", "github", "gitlab"}
    assert min(sources.values()) >= 10


def test_payments_counts_its_jira_issues_and_its_github_issues_in_one_velocity(refreshed) -> None:
    warehouse, _, _ = refreshed
    done = completed_by_source(warehouse, "Payments")
    assert set(done) == {"jira", "github"}
    assert min(done.values()) > 0
    assert velocity(warehouse, "Payments") == done["jira"] + done["github"]


def test_mobile_counts_its_jira_issues_and_its_gitlab_issues_in_one_velocity(refreshed) -> None:
    warehouse, _, _ = refreshed
    done = completed_by_source(warehouse, "Mobile")
    assert set(done) == {"jira", "gitlab"}
    assert min(done.values()) > 0
    assert velocity(warehouse, "Mobile") == done["jira"] + done["gitlab"]


def test_status_labels_and_workflow_labels_become_waiting_and_active_states(refreshed) -> None:
    warehouse, _, _ = refreshed
    states = set(
        query(
            warehouse,
            "select source, tool_state, flow_state from marts.fct_state_intervals"
            f" where source in ('github', 'gitlab') and {FLOW_ITEMS}",
        )
    )
    assert {
        ("github", "status: ready", "waiting"),
        ("github", "status: in progress", "active"),
        ("github", "status: in review", "waiting"),
        ("gitlab", "workflow::ready for development", "waiting"),
        ("gitlab", "workflow::in dev", "active"),
        ("gitlab", "workflow::in review", "waiting"),
        ("gitlab", "workflow::verification", "active"),
    } <= states


def test_the_pull_and_merge_requests_that_deliver_issues_are_loaded_but_not_counted_twice(refreshed) -> None:
    warehouse, _, _ = refreshed
    types = dict(
        query(
            warehouse,
            "select item_type, list(distinct flow_item_type) from marts.fct_flow_items"
            " where source in ('github', 'gitlab') group by item_type",
        )
    )
    assert types["Pull Request"] == ["none"]
    assert types["Merge Request"] == ["none"]
    assert "none" not in types["Issue"]


def test_the_code_hosts_raise_no_data_quality_finding(refreshed) -> None:
    warehouse, _, _ = refreshed
    findings = query(
        warehouse, "select check_name, item_key from marts.dq_findings where source in ('github', 'gitlab')"
    )
    assert findings == []


def test_git_items_link_where_vsm_demo_serves_whatever_port_the_refresh_used(refreshed) -> None:
    warehouse, _, _ = refreshed
    prefixes = set(
        query(
            warehouse,
            "select source, regexp_extract(item_url, '^(http://[^/]+/[^/]+/[^/]+)/', 1)"
            " from marts.fct_flow_items where source in ('github', 'gitlab')",
        )
    )
    assert prefixes == {
        ("github", "http://127.0.0.1:8765/demo-org/payments-api"),
        ("gitlab", "http://127.0.0.1:8765/demo-group/mobile-app"),
    }
