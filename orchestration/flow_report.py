"""The flow report: one self-contained HTML file of the Flow Metrics charts, for people who do not write SQL.

Every number is read from the published marts (spec sections 5, 6 and 8), so the report, `vsm summary` and BI
tools agree. The few figures no mart holds for an arbitrary window (the flow-time percentiles of the items
completed in the window, a state's share of the window's waiting hours, the daily count per flow state) are
plain aggregations of mart rows in SQL, following the mart definitions. Plotly draws every chart and its
JavaScript is inlined, so the file opens from disk, from a mail attachment or from an artifact store with no
server and no network.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PORTFOLIO = "all"
FLOW_ITEM_TYPES = ("feature", "defect", "risk", "debt")
FLOW_TYPE_COLORS = {
    "feature": "#2e9e5b",
    "defect": "#d64545",
    "risk": "#8e5cc4",
    "debt": "#e69a2e",
    "all": "#1f2933",
}
FLOW_STATE_COLORS = {"new": "#b8c0cc", "waiting": "#f2a93b", "active": "#3b7dd8", "done": "#5bb381"}
PERCENTILE_QUANTILES = {"p50": 0.50, "p85": 0.85, "p95": 0.95}
PERCENTILE_COLORS = {"p50": "#3b7dd8", "p85": "#e69a2e", "p95": "#d64545"}
BOTTLENECK_COLOR, WAITING_COLOR, OTHER_COLOR = "#d64545", "#f2a93b", "#9aa5b1"
# No mode bar: it covers legends, and dragging to zoom and double-clicking to reset work without it.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
PLOTLY_TEMPLATE = "plotly_white"
ANALYZER_TABLE_ROWS = 20
FINDING_SAMPLE_ITEMS = 10

# Opens an item's tracker page when a point carrying its URL (customdata[1]) is clicked.
CLICK_TO_OPEN = """
var chart = document.getElementById('{plot_id}');
chart.on('plotly_click', function (event) {
    var data = event.points[0].customdata;
    if (data && /^https?:\\/\\//.test(data[1])) { window.open(data[1], '_blank', 'noopener'); }
});
"""


@dataclass(frozen=True)
class ReportWindow:
    """The days the report covers: the last `months` months up to and including the as-of day."""

    as_of: date
    start: date
    months: int

    @property
    def first_week(self) -> date:
        """Monday of the week holding the window's first day, so weekly series cover the whole window."""
        return self.start - timedelta(days=self.start.weekday())

    def params(self, value_stream: str) -> dict[str, Any]:
        return {"value_stream": value_stream, "start": self.start, "as_of": self.as_of}


@dataclass
class Chart:
    """One chart slot: a Plotly figure, or the reason there is nothing to draw yet."""

    kind: str
    title: str
    caption: str
    figure: go.Figure | None = None
    empty_note: str = "No data yet for this window."
    points: int = 0
    click_opens_items: bool = False
    html: str = ""
    # Per-item columns of the item charts, by trace index, written into the figure's JSON as plain lists (the
    # trace holds an empty placeholder). Plotly copies and walks arrays of strings value by value, which took
    # seconds for a warehouse's worth of items; `_plain` writes what Plotly would.
    item_columns: dict[int, dict[str, list[Any]]] = field(default_factory=dict)

    def add_item_columns(self, figure: go.Figure, **columns: list[Any]) -> None:
        """The columns of the trace just added to `figure`."""
        self.item_columns[len(figure.data) - 1] = columns


@dataclass
class Section:
    """Everything shown for one value stream (or the portfolio)."""

    value_stream: str
    anchor: str
    title: str
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tiles: list[tuple[str, str]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    analyzer_rows: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


# --- reading the marts --------------------------------------------------------------------------------------


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _frame(connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """A query's rows as a DataFrame; only the named parameters the statement uses are bound."""
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    return connection.execute(sql, used).df()


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (None for null, unlike a DataFrame's NaN)."""
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_of_date(connection: duckdb.DuckDBPyConnection) -> date | None:
    """The day the data describes: the newest daily flow-load row (every refresh writes one for as-of)."""
    rows = connection.execute(
        "select max(period_start) from marts.metrics_flow_load where period_grain = 'day'"
    ).fetchall()
    return rows[0][0] if rows else None


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier, clamped to that month's last day (Aug 31 -> Feb 28)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def report_window(as_of: date, months: int) -> ReportWindow:
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    return ReportWindow(as_of=as_of, start=months_before(as_of, months) + timedelta(days=1), months=months)


def value_streams(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The portfolio first, then every value stream with metrics, by name."""
    names = [
        row[0]
        for row in connection.execute(
            "select distinct value_stream from marts.metrics_flow_load where value_stream <> 'all' order by 1"
        ).fetchall()
    ]
    return [PORTFOLIO, *names]


def _anchor(value_stream: str, taken: set[str]) -> str:
    """A stable, URL-safe id for a value stream's section (unique even if two names slug alike)."""
    base = "vs-" + (re.sub(r"[^a-z0-9]+", "-", value_stream.lower()).strip("-") or "unnamed")
    anchor, number = base, 2
    while anchor in taken:
        anchor, number = f"{base}-{number}", number + 1
    taken.add(anchor)
    return anchor


# --- figures ------------------------------------------------------------------------------------------------


def _layout(figure: go.Figure, y_title: str, *, percent: bool = False, x_title: str = "") -> go.Figure:
    """The one look every chart shares: white template, legend on top, compact margins.

    The figure holds the empty template "none" in the template's place: Plotly validates a named template
    afresh for every figure (10 ms each), so `_figure_html` writes PLOTLY_TEMPLATE, validated once, instead.
    """
    figure.update_layout(
        template="none",
        height=340,
        margin={"l": 56, "r": 16, "t": 16, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": {"text": ""}},
        hovermode="closest",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    figure.update_yaxes(title_text=y_title, rangemode="tozero", tickformat=".0%" if percent else None)
    figure.update_xaxes(title_text=x_title)
    return figure


def _weekly(
    connection: duckdb.DuckDBPyConnection, mart: str, columns: str, window: ReportWindow, value_stream: str
) -> pd.DataFrame:
    """Weekly rows of a metric mart for the weeks that overlap the window (the last week may be partial)."""
    sql = (
        f"select period_start, flow_item_type, {columns} from marts.{mart} "  # noqa: S608 (constant names)
        "where period_grain = 'week' and value_stream = $value_stream "
        "and period_start between $first_week and $as_of order by period_start, flow_item_type"
    )
    return _frame(connection, sql, {**window.params(value_stream), "first_week": window.first_week})


def velocity_chart(connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow) -> Chart:
    chart = Chart(
        "flow-velocity",
        "Flow Velocity",
        "Flow items completed per week, net of reopens, stacked by flow item type; the line is the total.",
    )
    rows = _weekly(
        connection, "metrics_flow_velocity", "completed, reopened, flow_velocity", window, value_stream
    )
    if rows.empty or rows["completed"].sum() + rows["reopened"].sum() == 0:
        chart.empty_note = "No flow item was completed in this window yet."
        return chart
    figure = go.Figure()
    for flow_item_type in FLOW_ITEM_TYPES:
        series = rows[rows["flow_item_type"] == flow_item_type]
        figure.add_bar(
            x=series["period_start"],
            y=series["flow_velocity"],
            name=flow_item_type,
            marker_color=FLOW_TYPE_COLORS[flow_item_type],
        )
    total = rows[rows["flow_item_type"] == "all"]
    figure.add_scatter(
        x=total["period_start"],
        y=total["flow_velocity"],
        name="all types",
        mode="lines+markers",
        line={"color": FLOW_TYPE_COLORS["all"], "width": 2},
    )
    figure.update_layout(barmode="relative")
    chart.figure, chart.points = _layout(figure, "items per week", x_title="week"), len(rows)
    return chart


def distribution_chart(
    connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow, share: str
) -> Chart:
    """Stacked shares per week: what the value stream delivered (velocity) or holds in progress (load)."""
    completed = share == "velocity_share"
    chart = Chart(
        "flow-distribution-velocity" if completed else "flow-distribution-load",
        "Flow Distribution: completed" if completed else "Flow Distribution: in progress",
        "Each week's completed items by flow item type (gross completions)."
        if completed
        else "Each week's average work in progress by flow item type.",
    )
    sql = (
        f"select period_start, flow_item_type, {share} as share "  # noqa: S608 (share is one of two names)
        "from marts.metrics_flow_distribution where period_grain = 'week' and value_stream = $value_stream "
        f"and period_start between $first_week and $as_of and {share} is not null order by period_start"
    )
    rows = _frame(connection, sql, {**window.params(value_stream), "first_week": window.first_week})
    if rows.empty:
        chart.empty_note = (
            "No flow item was completed in this window yet." if completed else "No work in progress yet."
        )
        return chart
    figure = go.Figure()
    for flow_item_type in FLOW_ITEM_TYPES:
        series = rows[rows["flow_item_type"] == flow_item_type]
        figure.add_bar(
            x=series["period_start"],
            y=series["share"],
            name=flow_item_type,
            marker_color=FLOW_TYPE_COLORS[flow_item_type],
        )
    figure.update_layout(barmode="stack", bargap=0.1)
    figure = _layout(figure, "share", percent=True, x_title="week")
    figure.update_yaxes(range=[0, 1])
    chart.figure, chart.points = figure, len(rows)
    return chart


COMPLETED_ITEMS_SQL = """
with completed_items as (
    select
        fct_flow_items.source,
        fct_flow_items.item_id,
        fct_flow_items.item_key,
        fct_flow_items.item_url,
        fct_flow_items.value_stream,
        fct_flow_items.flow_item_type,
        fct_flow_items.completed_at,
        fct_flow_items.flow_time_days,
        fct_flow_items.flow_efficiency
    from marts.fct_flow_items as fct_flow_items
    where
        fct_flow_items.flow_item_type in ('feature', 'defect', 'risk', 'debt')
        -- a day's margin either side for the reporting time zone; completion_days keeps the window exactly
        and fct_flow_items.completed_at >= cast($start as timestamp) - interval 1 day
        and fct_flow_items.completed_at < cast($as_of as timestamp) + interval 2 day
        and fct_flow_items.flow_time_days is not null
        and ($value_stream = 'all' or fct_flow_items.value_stream = $value_stream)
),

-- the reporting-time-zone day of completion is the day the done interval was entered on (every interval
-- entered at that instant has that day, so only the intervals entered in the window are joined)
completion_days as (
    select completed_items.source, completed_items.item_id, min(intervals.entered_date) as completed_date
    from completed_items
    inner join marts.fct_state_intervals as intervals
        on
            completed_items.source = intervals.source
            and completed_items.item_id = intervals.item_id
            and completed_items.completed_at = intervals.entered_at
    where intervals.entered_date between $start and $as_of
    group by all
)

select completed_items.*, completion_days.completed_date
from completed_items
inner join completion_days using (source, item_id)
where completion_days.completed_date between $start and $as_of
order by completed_items.completed_at
"""


def completed_items(
    connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow
) -> pd.DataFrame:
    """Flow items completed in the window (by reporting-time-zone day, as the flow-time mart counts them).

    For 'all' these are the items of every value stream: one read serves every section (`_of_value_stream`).
    """
    return _frame(connection, COMPLETED_ITEMS_SQL, window.params(value_stream))


def flow_time_percentiles(items: pd.DataFrame) -> dict[str, float]:
    """p50/p85/p95 of flow time, continuous (linear interpolation) as the spec's percentile_cont."""
    if items.empty:
        return {}
    times = items["flow_time_days"].astype(float)
    return {
        name: float(times.quantile(q, interpolation="linear")) for name, q in PERCENTILE_QUANTILES.items()
    }


def _percentile_lines(figure: go.Figure, percentiles: dict[str, float], *, vertical: bool = False) -> None:
    """Dashed flow-time percentile lines, labelled outside the plot (right, or top) so no dot hides them."""
    for name, days in percentiles.items():
        style = {
            "line": {"color": PERCENTILE_COLORS[name], "dash": "dash", "width": 1.5},
            "annotation_text": f"{name} {days:.1f} d",
            "annotation_font_color": PERCENTILE_COLORS[name],
        }
        if vertical:
            figure.add_vline(x=days, annotation_position="top", **style)
        else:
            figure.add_hline(y=days, annotation_position="right", **style)
    figure.update_layout(margin={"r": 16 if vertical else 80, "t": 28 if vertical else 16})


def flow_time_scatter_chart(items: pd.DataFrame, percentiles: dict[str, float]) -> Chart:
    chart = Chart(
        "flow-time-scatter",
        "Flow Time of completed items",
        "One dot per flow item completed in the window: days from start of work to done. "
        "Dashed lines: 50%, 85% and 95% of items finished within that many days. "
        "Click a dot to open the item.",
        click_opens_items=True,
    )
    if items.empty:
        chart.empty_note = "No flow item was completed in this window yet."
        return chart
    figure = go.Figure()
    for flow_item_type in FLOW_ITEM_TYPES:
        series = items[items["flow_item_type"] == flow_item_type]
        if series.empty:
            continue
        figure.add_scatter(
            x=[],
            y=series["flow_time_days"],
            mode="markers",
            name=flow_item_type,
            marker={"color": FLOW_TYPE_COLORS[flow_item_type], "size": 7, "opacity": 0.75},
            customdata=[],
            hovertemplate="%{customdata[0]}<br>%{y:.1f} days<br>done %{x|%Y-%m-%d}"
            "<extra>%{fullData.name}</extra>",
        )
        chart.add_item_columns(
            figure,
            x=_plain(series["completed_at"]),
            customdata=_plain(series[["item_key", "item_url"]]),
        )
    figure = _layout(figure, "flow time (days)", x_title="completed")
    _percentile_lines(figure, percentiles)
    chart.figure, chart.points = figure, len(items)
    return chart


def flow_time_trend_chart(
    connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow
) -> Chart:
    chart = Chart(
        "flow-time-trend",
        "Flow Time trend",
        "Per week of completion, all flow item types: the median, 85th and 95th percentile flow time.",
    )
    rows = _weekly(
        connection, "metrics_flow_time", "items, median_days, p85_days, p95_days", window, value_stream
    )
    rows = rows[(rows["flow_item_type"] == "all") & (rows["items"] > 0)]
    if rows.empty:
        chart.empty_note = "No flow item was completed in this window yet."
        return chart
    figure = go.Figure()
    for column, name in (("median_days", "p50"), ("p85_days", "p85"), ("p95_days", "p95")):
        figure.add_scatter(
            x=rows["period_start"],
            y=rows[column],
            name=name,
            mode="lines+markers",
            line={"color": PERCENTILE_COLORS[name]},
            customdata=rows[["items"]].to_numpy(),
            hovertemplate="%{y:.1f} days (%{customdata[0]} items)<extra>" + name + "</extra>",
        )
    chart.figure, chart.points = _layout(figure, "flow time (days)", x_title="week"), len(rows)
    return chart


def efficiency_chart(connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow) -> Chart:
    chart = Chart(
        "flow-efficiency",
        "Flow Efficiency trend",
        "Per week of completion: the share of flow time someone was actively working (the rest is waiting). "
        "Dotted: the median item's efficiency.",
    )
    rows = _weekly(
        connection,
        "metrics_flow_efficiency",
        "items, flow_efficiency, median_item_efficiency",
        window,
        value_stream,
    )
    rows = rows[(rows["flow_item_type"] == "all") & rows["flow_efficiency"].notna()]
    if rows.empty:
        chart.empty_note = "No flow item was completed in this window yet."
        return chart
    figure = go.Figure()
    figure.add_scatter(
        x=rows["period_start"],
        y=rows["flow_efficiency"],
        name="flow efficiency",
        mode="lines+markers",
        line={"color": FLOW_STATE_COLORS["active"], "width": 2},
    )
    figure.add_scatter(
        x=rows["period_start"],
        y=rows["median_item_efficiency"],
        name="median item",
        mode="lines",
        line={"color": FLOW_STATE_COLORS["active"], "dash": "dot"},
    )
    figure = _layout(figure, "active share of flow time", percent=True, x_title="week")
    figure.update_yaxes(range=[0, 1.05])
    chart.figure, chart.points = figure, len(rows)
    return chart


def load_chart(connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow) -> Chart:
    chart = Chart(
        "flow-load",
        "Flow Load",
        "Flow items in progress at the end of each day: being worked on (active) or waiting in a queue.",
    )
    rows = _frame(
        connection,
        "select period_start, active_load, waiting_load from marts.metrics_flow_load "
        "where period_grain = 'day' and flow_item_type = 'all' and value_stream = $value_stream "
        "and period_start between $start and $as_of order by period_start",
        window.params(value_stream),
    )
    if rows.empty or (rows["active_load"].sum() + rows["waiting_load"].sum()) == 0:
        chart.empty_note = "No flow item was in progress in this window yet."
        return chart
    figure = go.Figure()
    for column, state in (("active_load", "active"), ("waiting_load", "waiting")):
        figure.add_scatter(
            x=rows["period_start"],
            y=rows[column],
            name=state,
            mode="lines",
            stackgroup="load",
            line={"color": FLOW_STATE_COLORS[state], "width": 0.5},
        )
    chart.figure, chart.points = _layout(figure, "items in progress", x_title="day"), len(rows)
    return chart


# Daily count of flow items per flow state at the end of each day. It reads fct_state_intervals (the flow
# state after the blocked overlay and the resolution rule) with the metrics' day rule: the state at the end of
# a day is the item's last interval entered on or before that day (reporting-time-zone `entered_date`). Its
# active and waiting counts equal metrics_flow_load's day rows. metrics_bottlenecks summed by flow_state would
# not: it uses each tool state's own mapping, so flagged active stays and resolution-canceled stays would land
# in the wrong band.
# The big table is read once for all value streams. Intervals that exited over a day before the window's
# first day (a margin for any time-zone offset) are left out: an item's intervals have no gaps (exited_at is
# the next interval's entered_at), so those are the start of an item's history, over before the window, and
# leaving them out changes no other interval's next one. Rather than joining every interval to every day, an
# interval adds one to its state's count on the first window day it holds at the end of the day and takes it
# away on the day the next interval was entered: a running sum of those changes gives each day's count.
CUMULATIVE_FLOW_BY_VALUE_STREAM_SQL = """
with intervals as (
    select
        value_stream,
        flow_state,
        entered_date,
        lead(entered_date) over (
            partition by source, item_id order by entered_at, interval_index
        ) as next_entered_date
    from marts.fct_state_intervals
    where
        is_flow_item
        and ($value_stream = 'all' or value_stream = $value_stream)
        and (exited_at is null or exited_at >= cast($start as timestamp) - interval 1 day)
),

-- the window days an interval is its item's state at the end of the day: from the day it was entered (or the
-- window's first day) up to, not including, the day the next interval was entered
window_spans as (
    select
        value_stream,
        flow_state,
        greatest(entered_date, cast($start as date)) as first_date,
        next_entered_date as end_date
    from intervals
    where
        flow_state in ('new', 'waiting', 'active', 'done')
        and entered_date <= $as_of
        and (next_entered_date is null or next_entered_date > greatest(entered_date, cast($start as date)))
),

count_changes as (
    select value_stream, flow_state, first_date as day_date, 1 as items_change
    from window_spans
    union all
    select value_stream, flow_state, end_date as day_date, -1 as items_change
    from window_spans
    where end_date <= $as_of
),

-- per value stream, and for the portfolio ('all') every value stream's changes together
daily_changes as (
    select
        case when grouping(value_stream) = 1 then 'all' else value_stream end as value_stream,
        flow_state,
        day_date,
        sum(items_change) as items_change
    from count_changes
    group by grouping sets ((value_stream, flow_state, day_date), (flow_state, day_date))
),

days as (
    select cast(unnest(generate_series(cast($start as date), cast($as_of as date), interval 1 day)) as date)
        as day_date
),

series as (
    select distinct value_stream, flow_state
    from daily_changes
),

daily_counts as (
    select
        series.value_stream,
        days.day_date,
        series.flow_state,
        sum(coalesce(daily_changes.items_change, 0)) over (
            partition by series.value_stream, series.flow_state order by days.day_date
        ) as items
    from days
    cross join series
    left join daily_changes
        on
            series.value_stream is not distinct from daily_changes.value_stream
            and series.flow_state = daily_changes.flow_state
            and days.day_date = daily_changes.day_date
)

select value_stream, day_date, flow_state, cast(items as bigint) as items
from daily_counts
where items > 0
order by all
"""


def cumulative_flow_counts(
    connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow
) -> pd.DataFrame:
    """Daily counts per flow state, by value stream: for 'all' the portfolio's and every value stream's."""
    return _frame(connection, CUMULATIVE_FLOW_BY_VALUE_STREAM_SQL, window.params(value_stream))


def cumulative_flow_chart(rows: pd.DataFrame, window: ReportWindow) -> Chart:
    """The cumulative flow diagram from one value stream's rows of `cumulative_flow_counts`."""
    chart = Chart(
        "cumulative-flow",
        "Cumulative flow",
        "Flow items per flow state at the end of each day (done counted from the window's first day). "
        "A widening band is a growing queue; a flattening done band is slowing delivery.",
    )
    if rows.empty:
        chart.empty_note = "No flow item exists in this window yet."
        return chart
    days = pd.DataFrame({"day_date": pd.date_range(window.start, window.as_of, freq="D").date})
    wide = rows.pivot_table(index="day_date", columns="flow_state", values="items", aggfunc="sum")
    wide = days.set_index("day_date").join(wide).fillna(0)
    if "done" in wide:
        wide["done"] = wide["done"] - wide["done"].iloc[0]
    figure = go.Figure()
    for state in ("done", "active", "waiting", "new"):
        if state not in wide:
            continue
        figure.add_scatter(
            x=wide.index,
            y=wide[state],
            name="done since window start" if state == "done" else state,
            mode="lines",
            stackgroup="cfd",
            line={"color": FLOW_STATE_COLORS[state], "width": 0.5},
        )
    figure.update_layout(hovermode="x unified")
    chart.figure, chart.points = _layout(figure, "flow items", x_title="day"), len(rows)
    return chart


BOTTLENECK_SQL = """
with window_states as (
    select
        tool_state,
        any_value(flow_state) as flow_state,
        sum(waiting_hours) as waiting_hours,
        sum(total_hours) as total_hours,
        max(items_now) as items_now
    from marts.metrics_bottlenecks
    where
        period_grain = 'day'
        and value_stream = $value_stream
        and period_start between $start and $as_of
        and flow_state in ('waiting', 'active')
    group by tool_state
)

select *, waiting_hours / nullif(sum(waiting_hours) over (), 0) as wait_share
from window_states
order by wait_share desc nulls last, tool_state
"""


def bottleneck_chart(
    connection: duckdb.DuckDBPyConnection, value_stream: str, window: ReportWindow, wait_states_missing: bool
) -> Chart:
    """Each state's share of the window's waiting hours, the mart's day rows summed so the window is exact."""
    chart = Chart(
        "bottleneck-finder",
        "Bottleneck Finder",
        "Share of all waiting time in the window spent in each state. The largest waiting state (red) is the "
        "bottleneck: shortening that queue shortens flow time most. Active states wait only while flagged.",
    )
    rows = _frame(connection, BOTTLENECK_SQL, window.params(value_stream))
    rows = rows[rows["wait_share"].fillna(0) > 0]
    if rows.empty:
        chart.empty_note = "No waiting time was recorded in this window." + (
            " No state is mapped as waiting: see the warning at the top of this section."
            if wait_states_missing
            else ""
        )
        return chart
    rows = rows.sort_values("wait_share")
    waiting = rows[rows["flow_state"] == "waiting"]
    bottleneck = waiting["tool_state"].iloc[-1] if not waiting.empty else None
    colors = [
        BOTTLENECK_COLOR if state == bottleneck else WAITING_COLOR if flow_state == "waiting" else OTHER_COLOR
        for state, flow_state in zip(rows["tool_state"], rows["flow_state"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=rows["wait_share"],
            y=rows["tool_state"],
            orientation="h",
            marker_color=colors,
            text=[f"{share:.0%}" for share in rows["wait_share"]],
            textposition="outside",
            customdata=rows[["flow_state", "waiting_hours", "items_now"]].to_numpy(),
            hovertemplate="%{y} (%{customdata[0]})<br>%{x:.0%} of waiting time"
            "<br>%{customdata[1]:,.0f} waiting hours<br>%{customdata[2]} items there now<extra></extra>",
            showlegend=False,
        )
    )
    figure = _layout(figure, "")
    figure.update_xaxes(
        title_text="share of waiting time", tickformat=".0%", range=[0, rows["wait_share"].max() * 1.3]
    )
    if bottleneck is not None:
        figure.add_annotation(
            x=1.0,
            y=0.0,
            xref="paper",
            yref="paper",
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            text=f"<b>Bottleneck: {bottleneck}</b>",
            font={"color": BOTTLENECK_COLOR, "size": 13},
        )
    chart.figure, chart.points = figure, len(rows)
    return chart


def analyzer_items(connection: duckdb.DuckDBPyConnection, value_stream: str) -> pd.DataFrame:
    return _frame(
        connection,
        "select item_key, item_url, value_stream, flow_item_type, current_tool_state, current_flow_state, "
        "age_days, time_in_current_state_days, is_flagged, recent_flow_time_p85_days, "
        "is_older_than_recent_p85 "
        "from marts.flow_item_analyzer where $value_stream = 'all' or value_stream = $value_stream "
        "order by age_days desc, item_key",
        {"value_stream": value_stream},
    )


def aging_chart(items: pd.DataFrame, percentiles: dict[str, float]) -> Chart:
    chart = Chart(
        "flow-item-analyzer",
        "Flow Item Analyzer: aging work in progress",
        "Every open, started flow item by its current state and age. Items right of the dashed 85% line are "
        "already older than 85% of the items completed in the window took: look at them first. "
        "Crosses are flagged (blocked). Click a dot to open the item.",
        click_opens_items=True,
    )
    if items.empty:
        chart.empty_note = "No flow item is in progress now."
        return chart
    order = (
        items.groupby(["current_flow_state", "current_tool_state"])
        .size()
        .reset_index()
        .sort_values(["current_flow_state", "current_tool_state"], ascending=[False, True])[
            "current_tool_state"
        ]
    )
    figure = go.Figure()
    flagged = items["is_flagged"].fillna(False).astype(bool)
    groups = [
        (flow_item_type, items[~flagged & (items["flow_item_type"] == flow_item_type)], "circle")
        for flow_item_type in FLOW_ITEM_TYPES
    ]
    groups.append(("flagged", items[flagged], "x"))
    for name, series, symbol in groups:
        if series.empty:
            continue
        marker = {"color": FLOW_TYPE_COLORS.get(name, FLOW_TYPE_COLORS["all"]), "size": 8, "symbol": symbol}
        # an invisible box draws no legend swatch: a point-less scatter carries the legend entry instead
        figure.add_scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=name, marker=marker)
        figure.add_box(
            x=series["age_days"],
            y=[],
            orientation="h",
            name=name,
            legendgroup=name,
            showlegend=False,
            boxpoints="all",
            jitter=0.6,
            pointpos=0,
            fillcolor="rgba(0,0,0,0)",
            line={"width": 0},
            marker=marker,
            customdata=[],
            hovertemplate="%{customdata[0]}<br>age %{x:.1f} days<br>%{customdata[2]:.1f} days in %{y}"
            "<extra>%{fullData.name}</extra>",
        )
        chart.add_item_columns(
            figure,
            y=_plain(series["current_tool_state"]),
            customdata=_plain(series[["item_key", "item_url", "time_in_current_state_days"]]),
        )
    figure.update_layout(boxmode="overlay")
    figure = _layout(figure, "", x_title="age (days since work started)")
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=list(order)[::-1])
    figure.update_xaxes(rangemode="tozero")
    # the percentile labels take the top edge, so the legend goes below the axis title
    figure.update_layout(height=380, legend={"y": -0.22, "yanchor": "top"})
    _percentile_lines(figure, percentiles, vertical=True)
    chart.figure, chart.points = figure, len(items)
    return chart


# --- sections -----------------------------------------------------------------------------------------------


def _tiles(connection: duckdb.DuckDBPyConnection, value_stream: str) -> list[tuple[str, str]]:
    """The headline numbers of `vsm summary` (last 90 days), so the page and the terminal agree."""
    rows = _rows(
        connection,
        "select * from marts.metrics_flow_summary where value_stream = $value_stream",
        {"value_stream": value_stream},
    )
    if not rows:
        return []
    row = rows[0]

    def shown(value: Any, template: str) -> str:
        return "-" if value is None else template.format(value)

    return [
        ("Completed", shown(row["completed"], "{:,.0f}")),
        ("Velocity (net)", shown(row["flow_velocity"], "{:,.0f}")),
        ("Flow time p50", shown(row["median_flow_time_days"], "{:,.1f} d")),
        ("Flow time p85", shown(row["p85_flow_time_days"], "{:,.1f} d")),
        ("Flow efficiency", shown(row["flow_efficiency"], "{:.0%}")),
        ("Flow load (avg)", shown(row["avg_flow_load"], "{:,.1f}")),
    ]


def _findings(connection: duckdb.DuckDBPyConnection, value_stream: str) -> list[dict[str, Any]]:
    """Findings grouped by check: count, one message to act on, and a few of the items it names."""
    rows = _rows(
        connection,
        "select check_name, severity, value_stream, item_key, message from marts.dq_findings "
        "where $value_stream = 'all' or value_stream = $value_stream "
        "order by check_name <> 'missing_wait_states', severity, check_name, value_stream, item_key",
        {"value_stream": value_stream},
    )
    grouped: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["check_name"], row["severity"], row["value_stream"] or "")
        group = grouped.setdefault(
            key,
            {
                "check_name": key[0],
                "severity": key[1],
                "value_stream": key[2] or "-",
                "findings": 0,
                "message": row["message"],
                "items": [],
            },
        )
        group["findings"] += 1
        if row["item_key"] and len(group["items"]) < FINDING_SAMPLE_ITEMS:
            group["items"].append(row["item_key"])
    return list(grouped.values())


def _missing_wait_state_warnings(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [finding for finding in findings if finding["check_name"] == "missing_wait_states"]


def _analyzer_rows(items: pd.DataFrame) -> list[dict[str, Any]]:
    """The oldest open items for the table; links only to http(s) URLs, whatever the tracker sent."""
    rows = []
    for item in items.head(ANALYZER_TABLE_ROWS).to_dict("records"):
        url = item["item_url"] if isinstance(item["item_url"], str) else ""
        rows.append({**item, "item_url": url if re.match(r"^https?://", url) else ""})
    return rows


def _of_value_stream(completed: pd.DataFrame, value_stream: str) -> pd.DataFrame:
    """A value stream's share of the items `completed_items` read for the whole report (all for 'all')."""
    return completed if value_stream == PORTFOLIO else completed[completed["value_stream"] == value_stream]


def build_section(
    connection: duckdb.DuckDBPyConnection,
    value_stream: str,
    window: ReportWindow,
    anchor: str,
    known_streams: list[str],
    completed: pd.DataFrame,
    cumulative_flow: pd.DataFrame,
) -> Section:
    """One value stream's section; `completed` and `cumulative_flow` are its rows of the report-wide reads."""
    title = "Portfolio (all value streams)" if value_stream == PORTFOLIO else value_stream
    section = Section(value_stream=value_stream, anchor=anchor, title=title)
    section.findings = _findings(connection, value_stream)
    section.warnings = _missing_wait_state_warnings(section.findings)
    section.tiles = _tiles(connection, value_stream)
    if value_stream not in known_streams:
        others = ", ".join(name for name in known_streams if name != PORTFOLIO) or "none"
        section.notes.append(
            f"No metrics yet for {value_stream}: the warehouse holds no flow item of it. "
            f"Value streams with data: {others}."
        )
    percentiles = flow_time_percentiles(completed)
    open_items = analyzer_items(connection, value_stream)
    section.charts = [
        velocity_chart(connection, value_stream, window),
        distribution_chart(connection, value_stream, window, "velocity_share"),
        distribution_chart(connection, value_stream, window, "load_share"),
        flow_time_scatter_chart(completed, percentiles),
        flow_time_trend_chart(connection, value_stream, window),
        efficiency_chart(connection, value_stream, window),
        load_chart(connection, value_stream, window),
        cumulative_flow_chart(cumulative_flow, window),
        bottleneck_chart(connection, value_stream, window, wait_states_missing=bool(section.warnings)),
        aging_chart(open_items, percentiles),
    ]
    section.analyzer_rows = _analyzer_rows(open_items)
    for chart in section.charts:
        chart.html = _figure_html(chart, f"{anchor}-{chart.kind}-plot")
    return section


def _plain(values: pd.Series | pd.DataFrame) -> list[Any]:
    """A column (or rows of columns) as Plotly's JSON encoder writes an array: timestamps as ISO strings."""
    if isinstance(values, pd.DataFrame):
        return list(zip(*(_plain(values[column]) for column in values.columns), strict=True))
    array = values.to_numpy()
    return np.datetime_as_string(array).tolist() if array.dtype.kind == "M" else array.tolist()


@functools.cache
def _template_json(name: str) -> dict[str, Any]:
    """A named Plotly template as a figure's JSON holds it."""
    return go.Figure().update_layout(template=name).to_dict()["layout"]["template"]


def _figure_html(chart: Chart, div_id: str) -> str:
    """The chart's div and its newPlot call; plotly.js itself is inlined once in the page head."""
    if chart.figure is None:
        return ""
    figure = chart.figure.to_dict()
    figure["layout"]["template"] = _template_json(PLOTLY_TEMPLATE)
    for index, columns in chart.item_columns.items():
        figure["data"][index].update(columns)
    return pio.to_html(
        figure,
        validate=False,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
        post_script=CLICK_TO_OPEN if chart.click_opens_items else None,
    )


# --- the page -----------------------------------------------------------------------------------------------

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vsm flow report">
<title>Flow report{% if as_of %}, as of {{ as_of }}{% endif %}</title>
<style>
  :root { --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --warn-bg: #fff4e5; --warn: #b45309; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--ink); background: #f5f7fa; }
  header.page { background: #1f2933; color: #fff; padding: 20px 32px; }
  header.page h1 { margin: 0 0 4px; font-size: 22px; }
  header.page p { margin: 4px 0; color: #cbd2d9; max-width: 1100px; }
  header.page strong { color: #fff; }
  nav.toc { padding: 10px 32px; background: #fff; border-bottom: 1px solid var(--line); position: sticky;
            top: 0; z-index: 10; }
  nav.toc a { margin-right: 18px; color: #2563eb; text-decoration: none; font-weight: 600; }
  main { padding: 8px 32px 40px; }
  section.value-stream { background: #fff; border: 1px solid var(--line); border-radius: 8px;
                         padding: 16px 20px; margin: 20px 0; }
  section.value-stream > h2 { margin: 0 0 12px; font-size: 20px; }
  .warning { background: var(--warn-bg); border: 2px solid #f59e0b; border-radius: 6px; padding: 10px 14px;
             margin: 0 0 14px; }
  .warning strong { color: var(--warn); }
  .tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 6px; }
  .tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 130px; }
  .tile .value { font-size: 20px; font-weight: 700; }
  .tile .label { color: var(--muted); font-size: 12px; }
  .tiles-note { color: var(--muted); font-size: 12px; margin: 0 0 10px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
  figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
                 min-width: 0; }
  figure.chart h3 { margin: 0; font-size: 15px; }
  figure.chart figcaption p { margin: 2px 0 6px; color: var(--muted); font-size: 12.5px; }
  .no-data { color: var(--muted); background: #f5f7fa; border: 1px dashed #cbd2d9; border-radius: 6px;
             padding: 24px; text-align: center; margin: 8px 0; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  td.number { text-align: right; font-variant-numeric: tabular-nums; }
  tr.older td { background: #fff7ed; }
  h3.block { margin: 18px 0 4px; font-size: 15px; }
  .severity-error { color: #b91c1c; font-weight: 700; }
  .severity-warn { color: var(--warn); font-weight: 700; }
  footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
</style>
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript">{{ plotly_js | safe }}</script>
</head>
<body>
<header class="page">
  <h1>Flow report</h1>
  {% if as_of %}
  <p><strong>As of {{ as_of }}</strong>. Window: <strong>{{ window_start }} to {{ as_of }}</strong>
     (last {{ months }} months); weekly charts start on the Monday of the first week, and the last week may be
     partial.</p>
  <p><strong>How to read this:</strong> velocity is how much you finish, flow time how long one item takes
     from start to done, flow efficiency how much of that time somebody worked on it, flow load how much is
     in progress at once, distribution what kind of work it was. More load than the team can carry makes flow
     time grow; the bottleneck is the queue where work waits most. Hover over a chart for numbers, drag to
     zoom, double-click to reset; click a legend entry to hide it.</p>
  {% else %}
  <p><strong>No data yet.</strong> The warehouse holds no metrics: run <code>vsm refresh</code> first.</p>
  {% endif %}
</header>
{% if sections|length > 1 %}
<nav class="toc" aria-label="Contents">
  {% for section in sections %}<a href="#{{ section.anchor }}">{{ section.title }}</a>{% endfor %}
</nav>
{% endif %}
<main>
{% for section in sections %}
<section class="value-stream" id="{{ section.anchor }}" data-value-stream="{{ section.value_stream }}">
  <h2>{{ section.title }}</h2>
  {% for warning in section.warnings %}
  <div class="warning missing-wait-states" role="alert" data-warning="missing_wait_states"
       data-warning-value-stream="{{ warning.value_stream }}">
    <strong>Flow efficiency of {{ warning.value_stream }} cannot be trusted: no wait states are
      mapped.</strong>
    {% if section.value_stream == 'all' %}Its near-100% efficiency is blindness, not speed, and inflates the
    portfolio's.{% else %}Near-100% efficiency here is blindness, not speed.{% endif %}
    <br>{{ warning.message }}
  </div>
  {% endfor %}
  {% for note in section.notes %}<p class="no-data section-note">{{ note }}</p>{% endfor %}
  {% if section.tiles %}
  <div class="tiles">
    {% for label, value in section.tiles %}
    <div class="tile"><div class="value">{{ value }}</div><div class="label">{{ label }}</div></div>
    {% endfor %}
  </div>
  <p class="tiles-note">Headline numbers for the last 90 days to {{ as_of }}
    (as <code>vsm summary</code>).</p>
  {% endif %}
  <div class="charts">
  {% for chart in section.charts %}
    <figure class="chart" id="{{ section.anchor }}-{{ chart.kind }}" data-chart="{{ chart.kind }}"
            data-value-stream="{{ section.value_stream }}"
            data-has-data="{{ 'true' if chart.html else 'false' }}" data-points="{{ chart.points }}">
      <figcaption><h3>{{ chart.title }}</h3><p>{{ chart.caption }}</p></figcaption>
      {% if chart.html %}{{ chart.html | safe }}
      {% else %}<p class="no-data">{{ chart.empty_note }}</p>{% endif %}
    </figure>
  {% endfor %}
  </div>
  <h3 class="block">Oldest work in progress</h3>
  {% if section.analyzer_rows %}
  <table class="analyzer" data-table="flow-item-analyzer">
    <thead><tr><th>Item</th>{% if section.value_stream == 'all' %}<th>Value stream</th>{% endif %}
      <th>Type</th><th>State</th><th>Age (d)</th><th>In state (d)</th><th>Flagged</th><th>Recent p85 (d)</th>
    </tr></thead>
    <tbody>
    {% for item in section.analyzer_rows %}
      <tr{% if item.is_older_than_recent_p85 %} class="older"{% endif %}>
        <td>{% if item.item_url %}<a href="{{ item.item_url }}" target="_blank" rel="noopener noreferrer">{{
          item.item_key }}</a>{% else %}{{ item.item_key }}{% endif %}</td>
        {% if section.value_stream == 'all' %}<td>{{ item.value_stream }}</td>{% endif %}
        <td>{{ item.flow_item_type }}</td>
        <td>{{ item.current_tool_state }} ({{ item.current_flow_state }})</td>
        <td class="number">{{ fmt_days(item.age_days) }}</td>
        <td class="number">{{ fmt_days(item.time_in_current_state_days) }}</td>
        <td>{{ 'yes' if item.is_flagged else '' }}</td>
        <td class="number">{{ fmt_days(item.recent_flow_time_p85_days) }}</td>
      </tr>
    {% endfor %}
    </tbody>
  </table>
  <p class="tiles-note">Highlighted rows are older than their value stream's recent 85th-percentile
    flow time.</p>
  {% else %}
  <p class="no-data">No flow item is in progress now.</p>
  {% endif %}
  <h3 class="block">Data-quality findings</h3>
  {% if section.findings %}
  <table class="findings" data-table="dq-findings">
    <thead><tr><th>Check</th><th>Severity</th><th>Value stream</th><th>Findings</th><th>Example</th></tr>
    </thead>
    <tbody>
    {% for finding in section.findings %}
      <tr><td><code>{{ finding.check_name }}</code></td>
        <td class="severity-{{ finding.severity }}">{{ finding.severity }}</td>
        <td>{{ finding.value_stream }}</td><td class="number">{{ finding.findings }}</td>
        <td>{{ finding.message }}{% if finding['items'] %}<br><small>Items: {{ finding['items'] | join(', ')
          }}{% if finding.findings > finding['items'] | length %} ...{% endif %}</small>{% endif %}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}
  <p class="no-data">No data-quality findings.</p>
  {% endif %}
</section>
{% endfor %}
</main>
<footer>Generated {{ generated_at }} by <code>vsm report</code> from {{ warehouse_name }} (schema
  <code>marts</code>). Every number comes from the published marts; definitions in
  docs/flow-metrics-spec.md.</footer>
</body>
</html>
"""


def _fmt_days(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1f}"


def render_page(
    sections: list[Section], window: ReportWindow | None, warehouse: Path, generated_at: datetime
) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(PAGE_TEMPLATE)
    return template.render(
        sections=sections,
        as_of=window.as_of.isoformat() if window else None,
        window_start=window.start.isoformat() if window else None,
        months=window.months if window else None,
        plotly_js=get_plotlyjs(),
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        warehouse_name=warehouse.name,
        fmt_days=_fmt_days,
    )


def write_flow_report(warehouse: Path, out: Path, value_stream: str | None = None, months: int = 6) -> Path:
    """Write the flow report for every value stream (portfolio first), or only `value_stream`, to `out`.

    The warehouse is opened read-only, so a report can be written while BI tools read the same file. A value
    stream or window without data gets "no data yet" notes instead of charts; a warehouse without metrics
    gets a page that says to refresh.
    """
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `vsm refresh` first")
    with _connect(warehouse) as connection:
        as_of = as_of_date(connection)
        window = report_window(as_of, months) if as_of else None
        sections: list[Section] = []
        if window is not None:
            known = value_streams(connection)
            taken: set[str] = set()
            # the two reads of the big fact tables cover every section at once, not one value stream at a time
            scope = value_stream or PORTFOLIO
            completed = completed_items(connection, scope, window)
            cumulative_flow = cumulative_flow_counts(connection, scope, window)
            sections = [
                build_section(
                    connection,
                    name,
                    window,
                    _anchor(name, taken),
                    known,
                    completed=_of_value_stream(completed, name),
                    cumulative_flow=cumulative_flow[cumulative_flow["value_stream"] == name],
                )
                for name in ([value_stream] if value_stream else known)
            ]
    page = render_page(sections, window, warehouse, datetime.now(UTC))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return out
