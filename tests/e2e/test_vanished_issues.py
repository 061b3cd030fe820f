"""Issues that vanish from Jira's scope (deleted, moved away) leave the facts and metrics; raw rows stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from .helpers import AS_OF, vsm


def test_an_issue_deleted_in_jira_leaves_every_fact_at_the_next_refresh_but_stays_in_raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.demo import DemoOrganisation, DemoTracker

    warehouse, storage = tmp_path / "vsm.duckdb", tmp_path / "dagster"
    organisation = DemoOrganisation(issues=80, anchor=datetime(2026, 6, 30, tzinfo=UTC))
    with DemoTracker(organisation) as tracker:
        monkeypatch.setenv("SOURCES__JIRA__BASE_URL", tracker.url)
        monkeypatch.setenv("SOURCES__JIRA__EMAIL", tracker.email)
        monkeypatch.setenv("SOURCES__JIRA__API_TOKEN", tracker.api_token)
        first = vsm("refresh", "--as-of", AS_OF, warehouse=warehouse, storage=storage)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            items_before = connection.execute("select count(*) from marts.fct_flow_items").fetchone()[0]
            deleted_key = connection.execute(
                "select min(item_key) from marts.fct_flow_items where source = 'jira'"
            ).fetchone()[0]

        tracker.delete(deleted_key)
        second = vsm("refresh", "--as-of", AS_OF, warehouse=warehouse, storage=storage)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        facts = {
            table: connection.execute(
                f"select count(*) from marts.{table} where item_key = ?", [deleted_key]
            ).fetchone()[0]
            for table in ("fct_flow_items", "fct_state_intervals", "flow_item_analyzer")
        }
        items_after = connection.execute("select count(*) from marts.fct_flow_items").fetchone()[0]
        raw = connection.execute(
            "select count(*) from raw_jira.issues where key = ?", [deleted_key]
        ).fetchone()
    assert facts == {"fct_flow_items": 0, "fct_state_intervals": 0, "flow_item_analyzer": 0}
    assert items_after == items_before - 1, "only the deleted issue left"
    assert raw[0] == 1, "the raw row is kept: nothing the tracker sent is lost"
