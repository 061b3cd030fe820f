"""Read-only views of the marts for people at a terminal: the metric summary and the findings.

Nothing here computes a metric: every number comes from a dbt mart, so the terminal, BI tools and the
report always agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

SUMMARY_COLUMNS = {
    "value_stream": "Value stream",
    "completed": "Completed",
    "flow_velocity": "Velocity (net)",
    "median_flow_time_days": "Flow time p50 (d)",
    "p85_flow_time_days": "Flow time p85 (d)",
    "flow_efficiency": "Flow efficiency",
    "avg_flow_load": "Flow load (avg)",
    "feature_share": "Feature",
    "defect_share": "Defect",
    "risk_share": "Risk",
    "debt_share": "Debt",
}

PERIOD_QUERY = """
with velocity as (
    select value_stream, period_start, completed, flow_velocity
    from marts.metrics_flow_velocity
    where period_grain = $period and flow_item_type = 'all'
),
flow_time as (
    select value_stream, period_start, median_days, p85_days
    from marts.metrics_flow_time
    where period_grain = $period and flow_item_type = 'all'
),
efficiency as (
    select value_stream, period_start, flow_efficiency
    from marts.metrics_flow_efficiency
    where period_grain = $period and flow_item_type = 'all'
),
load as (
    select value_stream, period_start, flow_load
    from marts.metrics_flow_load
    where period_grain = $period and flow_item_type = 'all'
),
ranked as (
    select
        velocity.*,
        flow_time.median_days,
        flow_time.p85_days,
        efficiency.flow_efficiency,
        load.flow_load,
        row_number() over (partition by velocity.value_stream order by velocity.period_start desc) as recency
    from velocity
    left join flow_time using (value_stream, period_start)
    left join efficiency using (value_stream, period_start)
    left join load using (value_stream, period_start)
    where $value_stream is null or velocity.value_stream = $value_stream
)
select * exclude (recency) from ranked where recency <= $periods order by value_stream, period_start
"""


def _console() -> Console:
    """A console wide enough for the metric table even when output goes to a pipe or a CI log."""
    console = Console()
    return console if console.is_terminal else Console(width=150)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _rows(
    connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[dict]:
    cursor = connection.execute(sql, params or {})
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _fmt(value: Any, column: str) -> str:
    if value is None:
        return "-"
    if column.endswith("_share") or column == "flow_efficiency":
        return f"{value:.0%}"
    if column == "ratio":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def summary_rows(path: Path, value_stream: str | None = None, period: str | None = None) -> list[dict]:
    """The 90-day summary per value stream, or the last 12 periods of one grain."""
    with _connect(path) as connection:
        if period:
            return _rows(
                connection, PERIOD_QUERY, {"period": period, "value_stream": value_stream, "periods": 12}
            )
        return _rows(
            connection,
            "select * from marts.metrics_flow_summary "
            "where $value_stream is null or value_stream = $value_stream "
            "order by value_stream = 'all', value_stream",
            {"value_stream": value_stream},
        )


def print_summary(
    path: Path, value_stream: str | None = None, period: str | None = None, output_format: str = "table"
) -> None:
    rows = summary_rows(path, value_stream, period)
    if output_format == "json":
        print(json.dumps(rows, default=str, indent=2))
        return
    console = _console()
    if not rows:
        console.print("No metrics yet for that selection.")
        return
    if period:
        columns = {name: name.replace("_", " ") for name in rows[0]}
        title = f"Flow Metrics by {period} (last 12)"
    else:
        columns = SUMMARY_COLUMNS
        first = rows[0]
        title = f"Flow Metrics, {first['window_start']} to {first['window_end']} (last 90 days)"
    table = Table(title=title)
    for label in columns.values():
        table.add_column(label, justify="right")
    for row in rows:
        table.add_row(*(_fmt(row.get(name), name) for name in columns))
    console.print(table)
    if not period:
        print_littles_law(path, value_stream, console)


def print_littles_law(path: Path, value_stream: str | None, console: Console) -> None:
    """Little's law over the same window, reported and never enforced: a ratio far from 1 means the
    window is not stable (load building up or draining), or items leave the flow without completing."""
    with _connect(path) as connection:
        rows = _rows(
            connection,
            "select value_stream, avg_flow_load, predicted_flow_load, ratio from marts.metrics_littles_law "
            "where flow_item_type = 'all' and ($value_stream is null or value_stream = $value_stream) "
            "order by value_stream = 'all', value_stream",
            {"value_stream": value_stream},
        )
    for row in rows:
        console.print(
            f"Little's law, {row['value_stream']}: average load {_fmt(row['avg_flow_load'], '')} vs "
            f"velocity/day x mean flow time {_fmt(row['predicted_flow_load'], '')} "
            f"(ratio {_fmt(row['ratio'], 'ratio')})"
        )


def value_streams(path: Path) -> list[str]:
    """The value streams the marts know, the portfolio (`all`) included."""
    with _connect(path) as connection:
        rows = connection.execute("select distinct value_stream from marts.metrics_flow_summary order by 1")
        return [row[0] for row in rows.fetchall()]


def findings_rows(path: Path) -> list[dict]:
    with _connect(path) as connection:
        return _rows(
            connection,
            "select check_name, severity, value_stream, count(*) as findings "
            "from marts.dq_findings group by all order by severity, check_name, value_stream",
        )


def print_findings(path: Path, console: Console | None = None) -> None:
    """Data-quality findings grouped by check and value stream, the missing-wait-states ones first."""
    console = console or _console()
    rows = findings_rows(path)
    if not rows:
        console.print("Data quality: no findings.")
        return
    rows.sort(
        key=lambda row: (
            row["check_name"] != "missing_wait_states",
            row["check_name"],
            row["value_stream"] or "",
        )
    )
    table = Table(title="Data-quality findings (marts.dq_findings)")
    for label in ("Check", "Severity", "Value stream", "Findings"):
        table.add_column(label)
    for row in rows:
        table.add_row(row["check_name"], row["severity"], row["value_stream"] or "-", str(row["findings"]))
    console.print(table)
