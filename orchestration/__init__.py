"""Dagster orchestration of the flow-metrics warehouse: one Definitions, one lineage graph."""
