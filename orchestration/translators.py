"""One translator per integration, so dlt and dbt assets meet in a single lineage graph."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

OWNERS = ["team:data-platform"]

RAW_DESCRIPTIONS = {
    ("raw_jira", "issues"): "One row per Jira issue, as last seen by the Jira source (merged on id).",
    (
        "raw_jira",
        "changelog_items",
    ): "One row per kept changelog item (status, Flagged, resolution, type ...).",
    ("raw_jira", "statuses"): "One row per Jira status in the catalog, with its status category.",
    ("raw_jira", "issue_types"): "One row per Jira issue type.",
    ("raw_jira", "projects"): "One row per Jira project the credentials can browse.",
    ("raw_jira", "issue_scope"): "The ids of the issues Jira lists in scope at the last run (replaced).",
    (
        "raw_jira",
        "issue_field_values",
    ): "One row per value of each field named in SOURCES__JIRA__OVERRIDE_FIELDS, per issue.",
    ("raw_jira", "override_fields"): "The fields SOURCES__JIRA__OVERRIDE_FIELDS names now (replaced).",
    ("raw_github", "items"): "One row per GitHub issue or pull request, as last listed (merged on id).",
    (
        "raw_github",
        "events",
    ): "One row per kept GitHub timeline event (labeled, review requested, closed ...).",
    ("raw_gitlab", "items"): "One row per GitLab issue or merge request, as last listed (merged on id).",
    ("raw_gitlab", "events"): "One row per GitLab resource state or label event.",
    ("raw_github", "repository_scope"): "The repositories configured at the last run (replaced each run).",
    ("raw_gitlab", "project_scope"): "The project entries configured at the last run (replaced each run).",
}


class RawTableTranslator(DagsterDltTranslator):
    """Raw tables keyed `[dataset, table]`: the same keys the dbt sources declare in their meta, so dlt and
    dbt assets form one lineage graph."""

    def __init__(self, dataset: str) -> None:
        super().__init__()
        self._dataset = dataset

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        table = data.resource.name
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=AssetKey([self._dataset, table]),
                deps=[],
                group_name="ingestion",
                owners=OWNERS,
                description=RAW_DESCRIPTIONS.get((self._dataset, table), f"Raw {self._dataset} {table}."),
            )
        )


class VsmDbtTranslator(DagsterDbtTranslator):
    """dbt models grouped by layer: staging and facts are transformation, marts metrics, findings quality."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        name = dbt_resource_props["name"]
        if dbt_resource_props["resource_type"] == "seed":
            return "transformation"
        if name == "dq_findings":
            return "quality"
        if name.startswith(("metrics_", "flow_item_analyzer")):
            return "metrics"
        return "transformation"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS
