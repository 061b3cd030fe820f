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
    "issues": "One row per Jira issue, as last seen by the Jira source (merged on id).",
    "changelog_items": "One row per kept changelog item (status, Flagged, resolution, type, labels...).",
    "statuses": "One row per Jira status in the catalog, with its status category.",
    "issue_types": "One row per Jira issue type.",
    "projects": "One row per Jira project the credentials can browse.",
}


class JiraDltTranslator(DagsterDltTranslator):
    """Raw tables keyed `[dataset, table]`: the same keys the dbt sources declare in their meta."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        resource_name = data.resource.name
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=AssetKey(["raw_jira", resource_name]),
                deps=[],
                group_name="ingestion",
                owners=OWNERS,
                description=RAW_DESCRIPTIONS.get(resource_name, f"Raw Jira {resource_name}."),
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
