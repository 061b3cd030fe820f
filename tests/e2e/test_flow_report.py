"""The flow report end to end: a warehouse from the demo tracker, the HTML in headless Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.flow_report import (
    COMPLETED_ITEMS_SQL,
    cumulative_flow_counts,
    report_window,
    write_flow_report,
)

AS_OF = "2026-06-30T12:00:00Z"
ANCHOR = "2026-06-30"
CHROMIUM = Path("/usr/bin/chromium")
CHART_KINDS = {
    "flow-velocity",
    "flow-distribution-velocity",
    "flow-distribution-load",
    "flow-time-scatter",
    "flow-time-trend",
    "flow-efficiency",
    "flow-load",
    "cumulative-flow",
    "bottleneck-finder",
    "flow-item-analyzer",
}
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
]


@dataclass(frozen=True)
class RenderedReport:
    warehouse: Path
    html: Path
    dom: str
    screenshot: Path


def chromium(*args: str, profile: Path, timeout: float = 120) -> str:
    """Run headless Chromium and return its stdout; the whole process group it started is stopped after."""
    process = subprocess.Popen(
        [str(CHROMIUM), *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def refresh_demo_warehouse(root: Path) -> Path:
    warehouse, storage = root / "vsm.duckdb", root / "dagster"
    env = {
        **os.environ,
        "VSM_WAREHOUSE": str(warehouse),
        "VSM_DAGSTER_STORAGE": str(storage),
        "VSM_DAGSTER_COMPUTE_LOGS": str(storage / "logs"),
        "VSM_DEMO_ISSUES": "400",
        "VSM_DEMO_ANCHOR": ANCHOR,
    }
    command = [str(Path(sys.executable).parent / "vsm"), "refresh", "--as-of", AS_OF]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return warehouse


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> RenderedReport:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the flow report is tested in a real browser. "
            "Install it with `apt-get install -y chromium` (Debian/Ubuntu)."
        )
    root = tmp_path_factory.mktemp("flow_report")
    warehouse = refresh_demo_warehouse(root)
    html = write_flow_report(warehouse, root / "flow-report.html")
    url = html.resolve().as_uri()
    dom = chromium("--dump-dom", url, profile=root / "chromium-dom")
    screenshot = root / "flow-report.png"
    chromium(f"--screenshot={screenshot}", "--window-size=1400,3000", url, profile=root / "chromium-shot")
    return RenderedReport(warehouse, html, dom, screenshot)


def sections(dom: str) -> dict[str, str]:
    """Each value stream's section of the rendered DOM, by value stream name."""
    found = re.findall(r"<section\b([^>]*)>(.*?)</section>", dom, flags=re.DOTALL)
    return {attributes(tag)["data-value-stream"]: body for tag, body in found if "value-stream" in tag}


def figures(section: str) -> dict[str, tuple[dict[str, str], str]]:
    found = re.findall(r"<figure\b([^>]*)>(.*?)</figure>", section, flags=re.DOTALL)
    return {attributes(tag)["data-chart"]: (attributes(tag), body) for tag, body in found}


def attributes(tag: str) -> dict[str, str]:
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def drawn_marks(figure_body: str) -> int:
    """Marks Plotly drew in the SVG: points (markers, bars, box points), line and area paths."""
    return len(re.findall(r'class="(?:point|js-line|js-fill)\b', figure_body))


def test_the_report_has_the_portfolio_first_then_every_value_stream(report: RenderedReport) -> None:
    assert list(sections(report.dom)) == ["all", "Mobile", "Operations", "Payments"]
    toc = re.search(r'<nav class="toc"[^>]*>(.*?)</nav>', report.dom, flags=re.DOTALL)
    assert toc is not None
    assert re.findall(r'href="#([^"]+)"', toc.group(1)) == [
        "vs-all",
        "vs-mobile",
        "vs-operations",
        "vs-payments",
    ]


def test_every_chart_with_data_is_drawn_by_plotly_in_the_browser(report: RenderedReport) -> None:
    for value_stream, body in sections(report.dom).items():
        charts = figures(body)
        assert set(charts) == CHART_KINDS, value_stream
        for kind, (attrs, figure_body) in charts.items():
            if attrs["data-has-data"] == "true":
                assert int(attrs["data-points"]) > 0, (value_stream, kind)
                assert 'class="main-svg"' in figure_body, (value_stream, kind)
                assert drawn_marks(figure_body) > 0, (value_stream, kind)
            else:
                assert 'class="no-data"' in figure_body, (value_stream, kind)


def test_the_portfolio_and_a_stream_with_queues_have_data_in_every_chart(report: RenderedReport) -> None:
    rendered = sections(report.dom)
    for value_stream in ("all", "Payments"):
        empty = [
            kind
            for kind, (attrs, _) in figures(rendered[value_stream]).items()
            if attrs["data-has-data"] != "true"
        ]
        assert empty == [], value_stream


def test_the_missing_wait_states_warning_heads_the_operations_section_only(report: RenderedReport) -> None:
    rendered = sections(report.dom)
    operations = rendered["Operations"]
    assert 'data-warning="missing_wait_states"' in operations
    assert operations.index('data-warning="missing_wait_states"') < operations.index("<figure")
    assert "data-warning" not in rendered["Payments"]
    assert "data-warning" not in rendered["Mobile"]
    bottleneck_attrs, bottleneck_body = figures(operations)["bottleneck-finder"]
    assert bottleneck_attrs["data-has-data"] == "false"
    assert "No state is mapped as waiting" in bottleneck_body


def test_the_bottleneck_is_highlighted_and_named(report: RenderedReport) -> None:
    with duckdb.connect(str(report.warehouse), read_only=True) as connection:
        waiting_states = {
            row[0]
            for row in connection.execute(
                "select distinct tool_state from marts.metrics_bottlenecks "
                "where value_stream = 'Payments' and flow_state = 'waiting'"
            ).fetchall()
        }
    _, body = figures(sections(report.dom)["Payments"])["bottleneck-finder"]
    named = re.search(r"Bottleneck: ([^<&]+)", body)
    assert named is not None
    assert named.group(1).strip() in waiting_states


def test_the_report_loads_nothing_from_the_network(report: RenderedReport) -> None:
    page = report.html.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+\bsrc=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert "cdn.plot.ly" not in page.split("</head>", 1)[1]


def test_aging_items_link_to_their_tracker(report: RenderedReport) -> None:
    payments = sections(report.dom)["Payments"]
    table = re.search(r'<table class="analyzer"[^>]*>(.*?)</table>', payments, flags=re.DOTALL)
    assert table is not None
    links = re.findall(r'<a href="(http[^"]+)"[^>]*>(PAY-\d+)</a>', table.group(1))
    assert links
    assert all(url.endswith(f"/browse/{key}") for url, key in links)


def test_the_screenshot_is_a_full_non_blank_page(report: RenderedReport) -> None:
    data = report.screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 3000)
    # a blank 1400x3000 page compresses to about 20 kB; charts and text make it many times larger
    assert len(data) > 150_000


def test_cumulative_flow_agrees_with_the_flow_load_mart(report: RenderedReport) -> None:
    with duckdb.connect(str(report.warehouse), read_only=True) as connection:
        as_of = connection.execute(
            "select max(period_start) from marts.metrics_flow_load where period_grain = 'day'"
        ).fetchall()[0][0]
        window = report_window(as_of, 6)
        # one read serves every section, as in the report: the portfolio's rows and each value stream's
        counts = cumulative_flow_counts(connection, "all", window)
        for value_stream in ("all", "Payments", "Operations"):
            rows = counts[counts["value_stream"] == value_stream]
            derived: dict[tuple[date, str], int] = {
                (row.day_date.date(), row.flow_state): row.items for row in rows.itertuples()
            }
            load = connection.execute(
                "select period_start, active_load, waiting_load from marts.metrics_flow_load "
                "where period_grain = 'day' and flow_item_type = 'all' and value_stream = $value_stream "
                "and period_start between $start and $as_of",
                window.params(value_stream),
            ).fetchall()
            assert len(load) == (window.as_of - window.start).days + 1
            for day, active, waiting in load:
                assert derived.get((day, "active"), 0) == active, (value_stream, day)
                assert derived.get((day, "waiting"), 0) == waiting, (value_stream, day)


def test_the_flow_time_scatter_holds_the_items_the_flow_time_mart_counts(report: RenderedReport) -> None:
    with duckdb.connect(str(report.warehouse), read_only=True) as connection:
        as_of = connection.execute(
            "select max(period_start) from marts.metrics_flow_load where period_grain = 'day'"
        ).fetchall()[0][0]
        window = report_window(as_of, 6)
        for value_stream in ("all", "Mobile"):
            scattered = connection.execute(COMPLETED_ITEMS_SQL, window.params(value_stream)).fetchall()
            counted = connection.execute(
                "select sum(items) from marts.metrics_flow_time where period_grain = 'day' "
                "and flow_item_type = 'all' and value_stream = $value_stream "
                "and period_start between $start and $as_of",
                window.params(value_stream),
            ).fetchall()[0][0]
            assert len(scattered) == counted > 0


def test_one_value_stream_writes_only_its_section(report: RenderedReport, tmp_path: Path) -> None:
    page = write_flow_report(report.warehouse, tmp_path / "payments.html", value_stream="Payments")
    html = page.read_text(encoding="utf-8")
    assert re.findall(r'<section class="value-stream"[^>]*data-value-stream="([^"]+)"', html) == ["Payments"]
    assert '<nav class="toc"' not in html


def test_a_value_stream_without_data_gets_no_data_notes(report: RenderedReport, tmp_path: Path) -> None:
    page = write_flow_report(report.warehouse, tmp_path / "new.html", value_stream="Brand new stream")
    html = page.read_text(encoding="utf-8")
    assert html.count('data-has-data="false"') == len(CHART_KINDS)
    assert "No metrics yet for Brand new stream" in html


def test_a_warehouse_without_metrics_renders_a_page_that_says_to_refresh(
    report: RenderedReport, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.duckdb"
    shutil.copy(report.warehouse, empty)
    with duckdb.connect(str(empty)) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(f"delete from marts.{table}")
    html = write_flow_report(empty, tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "No data yet." in html
    assert "<figure" not in html
