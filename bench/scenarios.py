"""The five scenarios. Each measures at the chosen sizes and returns Measurements (see `results`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.paths import dlt_duckdb_memory_limit

from . import env
from .proc import Finished, Server, run_measured, run_task
from .replay import record
from .results import Measurement

MIB = 2**20
NAIVE_SIZE = 20_000  # dlt's default nesting does not survive much more on this machine
INGEST_TARGET_RATE = 5_000
NAIVE_TARGET_RATIO = 30
MEMORY_FLAT_TOLERANCE = 1.25  # "flat": peak at the largest size within 25% of the smallest
# Flat "as the issue count grows (100k and 1M issues)" (issue 3): a 10k read is over before the reader
# processes reach their working size, so it measures start-up, not growth.
MEMORY_FLAT_FROM_SIZE = 100_000
FULL_REFRESH_TARGET_SECONDS = {1_000_000: 360}
FULL_REFRESH_TARGET_RSS_MIB = {1_000_000: 2048}
FACTS_TARGET_SECONDS = {1_000_000: 60}
INCREMENTAL_TARGET = 0.10
QUERY_TARGET_MS = 100
QUERY_RUNS = 30
# Issue 4: "target <= 60 s at 1M on 2 cores, within 3x of one hand-written DuckDB query": both at 1M.
HAND_QUERY_TARGET = {1_000_000: 3.0}
# Ingest's largest size is also measured with dlt's DuckDB capped at the default before 256MB.
COMPARED_DLT_MEMORY_LIMIT = "384MB"
# Issue 3 states its ingest targets for "issues with ~12 status changes each". The demo organisation's own
# history is lighter (~5.4); with this rework chance (DemoOrganisation) it has ~12 per issue. Both are
# measured: scenario "ingest" on the demo's own history, scenario "history" on issue 3's.
SPEC_REWORK = 0.315
SPEC_HISTORY = "~12 status changes/issue"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _history_suffix(rework: float) -> str:
    """What names the work of the heavier history (`-rework`) apart from the demo's own."""
    return "-rework" if rework else ""


def pages_dir(size: int, rework: float = 0.0) -> Path:
    return env.WORK_DIR / f"pages-{size}{_history_suffix(rework)}"


def recorded(size: int, rework: float = 0.0) -> dict[str, Any]:
    say(f"[record] demo tracker pages for {size:,} issues (rework {rework}) -> {pages_dir(size, rework)}")
    return record(pages_dir(size, rework), size, datetime.fromisoformat(env.ANCHOR), rework)


@contextmanager
def replay_server(size: int, rework: float = 0.0, repeat_first_issue: bool = False) -> Iterator[Server]:
    directory = pages_dir(size, rework)
    settle_pages(directory)
    command = [sys.executable, "-m", "bench.replay", str(directory)]
    if repeat_first_issue:
        command.append("--repeat-first-issue")
    with Server(command, env.WORK_DIR / "replay.log") as server:
        yield server


def settle_pages(directory: Path) -> None:
    """Recorded pages on disk and in the page cache before a measured run reads them.

    Right after a recording the kernel is still writing its pages out (780 MB at 100k issues at ~12 status
    changes each), and a run that replays them competes with that I/O: a 100k read measured 5,466 issues/s
    there and 7,952-8,018 issues/s in three runs once the pages were written and read back. Another size's
    pages may also have pushed these out of the cache. So every replay starts from written, cached pages, as
    a real tracker's answers start from its server's memory.
    """
    os.sync()
    for page in directory.glob("*.json"):
        page.read_bytes()


@contextmanager
def demo_server(size: int, changed_fraction: float = 0.0) -> Iterator[Server]:
    command = [sys.executable, "-m", "bench.demo_server", str(size), str(changed_fraction)]
    with Server(command, env.WORK_DIR / "demo-server.log") as server:
        yield server


def _rate_details(run: Finished, size: int) -> str:
    result = run.result
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.get("steps", {}).items())
    cpu = result.get("run_cpu_seconds", 0.0)
    return (
        f"{result['seconds']:.1f} s ({steps}); CPU of the run (all threads) {cpu:.1f} s = "
        f"{size / max(cpu, 1e-9):,.0f} issues per CPU-second; peak RSS {run.peak_rss_bytes / MIB:,.0f} MiB"
    )


def ingest(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 1: the source from the demo tracker and from recorded pages, beside dlt and DuckDB."""
    yield from naive_baseline("ingest")  # first: see `naive_baseline`
    peaks: dict[int, float] = {}
    for size in sizes:
        meta = recorded(size)
        say(
            f"[ingest {size:,}] recorded {meta['responses']:,} responses, {meta['bytes'] / MIB:,.0f} MiB; "
            f"{meta['status_changes'] / size:.1f} status changes and "
            f"{meta['histories'] / size:.1f} histories per issue"
        )
        work = str(env.WORK_DIR / f"ingest-{size}")
        with replay_server(size) as server:
            say(f"[ingest {size:,}] source <- recorded pages (replay server {server.url})")
            run = run_task("ingest_source", {"url": server.url, "issues": size, "work": work}, "ingest")
        rate = size / run.result["seconds"]
        peaks[size] = run.peak_rss_bytes / MIB
        yield Measurement(
            "ingest",
            size,
            "source from recorded pages (issues/s)",
            rate,
            "issues/s",
            f">= {INGEST_TARGET_RATE}",
            _rate_details(run, size)
            + f"; {run.result['rows']['changelog_items']:,} changelog rows"
            + f" ({meta['status_changes'] / size:.1f} status changes/issue)",
        )
        yield Measurement(
            "ingest",
            size,
            "source peak RSS (recorded pages)",
            peaks[size],
            "MiB",
            details=f"{run.result['max_rss_bytes'] / MIB:,.0f} MiB ru_maxrss of the process",
        )
        if size == max(sizes):
            with replay_server(size) as server:
                say(f"[ingest {size:,}] source, dlt's DuckDB memory_limit {COMPARED_DLT_MEMORY_LIMIT}")
                capped = run_task(
                    "ingest_source",
                    {"url": server.url, "issues": size, "work": work + "-capped"},
                    "capped",
                    {"VSM_DLT_DUCKDB_MEMORY_LIMIT": COMPARED_DLT_MEMORY_LIMIT},
                )
            yield Measurement(
                "ingest",
                size,
                f"source peak RSS, dlt's DuckDB memory_limit {COMPARED_DLT_MEMORY_LIMIT}",
                capped.peak_rss_bytes / MIB,
                "MiB",
                details=f"{size / capped.result['seconds']:,.0f} issues/s (load "
                f"{capped.result['steps'].get('load', 0.0):.1f} s); VSM_DLT_DUCKDB_MEMORY_LIMIT, default "
                f"{dlt_duckdb_memory_limit()}",
            )
        say(f"[ingest {size:,}] DuckDB read_json + unnest of the same pages")
        native = run_task(
            "ingest_duckdb",
            {"pages": str(pages_dir(size)), "work": work + "-duckdb", "flagged": "customfield_10021"},
            "duckdb",
        )
        yield Measurement(
            "ingest",
            size,
            "DuckDB read_json reference: source time / DuckDB time",
            run.result["seconds"] / native.result["seconds"],
            "x",
            details=f"DuckDB {native.result['seconds']:.1f} s = "
            f"{size / native.result['seconds']:,.0f} issues/s, "
            f"{native.result['rows']['changelog_items']:,} changelog rows, peak RSS "
            f"{native.peak_rss_bytes / MIB:,.0f} MiB",
        )
        with demo_server(size) as server:
            say(f"[ingest {size:,}] source <- live demo tracker over loopback ({server.url})")
            live = run_task("ingest_source", {"url": server.url, "issues": size, "work": work}, "live")
        yield Measurement(
            "ingest",
            size,
            "source from the live demo tracker (issues/s)",
            size / live.result["seconds"],
            "issues/s",
            details=_rate_details(live, size) + " (the generator runs in its own process)",
        )
    yield from _memory_growth("ingest", peaks)


def history(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 1b: the source from recorded pages of issue 3's workload, ~12 status changes per issue."""
    yield from naive_baseline("history", SPEC_REWORK)  # first: see `naive_baseline`
    peaks: dict[int, float] = {}
    runs: dict[int, Finished] = {}
    for size in sizes:
        meta = recorded(size, SPEC_REWORK)
        work = str(env.WORK_DIR / f"ingest-{size}{_history_suffix(SPEC_REWORK)}")
        with replay_server(size, SPEC_REWORK) as server:
            say(f"[history {size:,}] source <- recorded pages, {SPEC_HISTORY} (replay server {server.url})")
            arguments = {"url": server.url, "issues": size, "work": work}
            run = run_task("ingest_source", arguments, "ingest-rework")
        peaks[size] = run.peak_rss_bytes / MIB
        runs[size] = run
        yield Measurement(
            "history",
            size,
            "source from recorded pages (issues/s)",
            size / run.result["seconds"],
            "issues/s",
            f">= {INGEST_TARGET_RATE}",
            _rate_details(run, size)
            + f"; {run.result['rows']['changelog_items']:,} changelog rows; "
            + f"{meta['status_changes'] / size:.1f} status changes and {meta['histories'] / size:.1f} "
            + f"histories per issue, {meta['issues_needing_bulk_changelog'] / size:.0%} of issues with more "
            + "than the 20 embedded",
        )
    yield from _memory_growth("history", peaks)
    yield from _read_twice("history", max(sizes), runs[max(sizes)], SPEC_REWORK)
    for size in sizes:
        if size in FULL_REFRESH_TARGET_SECONDS:
            yield from _spec_full_refresh(size)


def _read_twice(scenario: str, size: int, once: Finished, rework: float) -> Iterator[Measurement]:
    """The same read when one issue comes twice (moved between projects while the search paged).

    A read of each issue once tells dlt its staged rows are unique, and its merge skips de-duplicating them;
    here it may not, and the merge removes duplicate keys from the whole load under dlt's DuckDB cap.
    """
    work = str(env.WORK_DIR / f"ingest-{size}{_history_suffix(rework)}-twice")
    with replay_server(size, rework, repeat_first_issue=True) as server:
        say(f"[{scenario} {size:,}] source <- recorded pages, the first issue listed again on the last page")
        arguments = {"url": server.url, "issues": size, "work": work}
        run = run_task("ingest_source", arguments, f"ingest{_history_suffix(rework)}-twice")
    twice_load, once_load = run.result["steps"].get("load", 0.0), once.result["steps"].get("load", 0.0)
    twice_rows, once_rows = run.result["rows"], once.result["rows"]
    yield Measurement(
        scenario,
        size,
        "source reading one issue twice (issues/s)",
        size / run.result["seconds"],
        "issues/s",
        details=f"dlt's merge removes duplicate keys from the whole load (DuckDB cap "
        f"{dlt_duckdb_memory_limit()}): load {twice_load:.1f} s against {once_load:.1f} s when each issue is "
        f"read once; peak RSS {run.peak_rss_bytes / MIB:,.0f} MiB against {once.peak_rss_bytes / MIB:,.0f} "
        f"MiB; {twice_rows['issues']:,} issues and {twice_rows['changelog_items']:,} changelog rows landed "
        f"(once: {once_rows['issues']:,} and {once_rows['changelog_items']:,})",
    )


def _spec_full_refresh(size: int) -> Iterator[Measurement]:
    """Issue 7's full refresh, "1M issues (~12M status changes)", from recorded pages of that history."""
    meta = recorded(size, SPEC_REWORK)
    run, log = full_refresh(size, SPEC_REWORK)
    yield Measurement(
        "history",
        size,
        "full refresh wall time",
        run.wall_seconds,
        "s",
        f"<= {FULL_REFRESH_TARGET_SECONDS[size]}",
        f"{size / run.wall_seconds:,.0f} issues/s end to end, {meta['status_changes']:,} status changes, "
        f"Jira = recorded demo tracker; steps: {_step_times(log)}",
    )
    yield Measurement(
        "history",
        size,
        "full refresh peak RSS (process tree)",
        run.peak_rss_bytes / MIB,
        "MiB",
        f"<= {FULL_REFRESH_TARGET_RSS_MIB[size]}",
        "vsm + dbt subprocesses; the replay server runs in its own process, not counted",
    )


def _memory_growth(scenario: str, peaks: dict[int, float]) -> Iterator[Measurement]:
    grown = [size for size in peaks if size >= MEMORY_FLAT_FROM_SIZE]
    if len(grown) < 2:
        say(f"[{scenario}] peak RSS growth needs two sizes from {MEMORY_FLAT_FROM_SIZE:,} up (add --with-1m)")
        return
    low, high = min(grown), max(grown)
    yield Measurement(
        scenario,
        high,
        f"peak RSS growth from {low:,} to {high:,} issues",
        peaks[high] / peaks[low],
        "x",
        f"<= {MEMORY_FLAT_TOLERANCE}",
        f"{peaks[low]:,.0f} MiB -> {peaks[high]:,.0f} MiB",
    )


def naive_baseline(scenario: str, rework: float = 0.0) -> Iterator[Measurement]:
    """The source and dlt's default nesting on the same 20k pages, one after the other.

    A scenario runs this pair first, before its large reads keep the machine busy with their files. The
    source's 20k read still moves by more than 10% between runs: 3.1 s right after the 1M reads (load 2.4),
    2.5 s in a run of its own (load 1.8) and 2.8 s first in its scenario (load 1.4), 2026-11-27/28.
    """
    size = NAIVE_SIZE
    meta = recorded(size, rework)
    suffix = _history_suffix(rework)
    work = str(env.WORK_DIR / f"naive-{size}{suffix}")
    with replay_server(size, rework) as server:
        say(f"[ingest {size:,}] source and dlt default nesting, side by side on the same pages")
        source = run_task(
            "ingest_source",
            {"url": server.url, "issues": size, "work": work + "-source"},
            "source20k" + suffix,
        )
        arguments = {"url": server.url, "issues": size, "work": work}
        naive = run_task("ingest_naive_dlt", arguments, "naive" + suffix)
    yield Measurement(
        scenario,
        size,
        "source vs dlt default nesting (speed-up)",
        naive.result["seconds"] / source.result["seconds"],
        "x",
        f">= {NAIVE_TARGET_RATIO}",
        f"source {source.result['seconds']:.1f} s ({size / source.result['seconds']:,.0f}/s, peak "
        f"{source.peak_rss_bytes / MIB:,.0f} MiB); dlt nested {naive.result['seconds']:.1f} s "
        f"({size / naive.result['seconds']:,.0f}/s, peak {naive.peak_rss_bytes / MIB:,.0f} MiB; steps "
        + ", ".join(f"{k} {v:.1f} s" for k, v in naive.result["steps"].items())
        + f"; {len(naive.result['tables'])} tables); "
        + f"{meta['status_changes'] / size:.1f} status changes/issue",
    )


# ---- refresh ---------------------------------------------------------------------------------------------


def refresh_dir(size: int, rework: float = 0.0) -> Path:
    return env.WORK_DIR / f"refresh-{size}{_history_suffix(rework)}"


def _refresh_env(size: int, url: str, rework: float = 0.0) -> dict[str, str]:
    directory = refresh_dir(size, rework)
    return {
        "VSM_WAREHOUSE": str(directory / "vsm.duckdb"),
        "VSM_DAGSTER_STORAGE": str(directory / "dagster"),
        "VSM_DAGSTER_COMPUTE_LOGS": str(directory / "dagster" / "compute_logs"),
        "DAGSTER_HOME": str(env.PROJECT_ROOT),
        "DAGSTER_TELEMETRY_DISABLED": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "VSM_DEMO_ISSUES": str(size),
        "VSM_DEMO_ANCHOR": env.ANCHOR[:10],
        "SOURCES__JIRA__BASE_URL": url,
        "SOURCES__JIRA__EMAIL": "demo@example.com",
        "SOURCES__JIRA__API_TOKEN": "demo-token",
        "SOURCES__JIRA__BROWSE_URL": "http://127.0.0.1:8765",
        "VSM_LOG_LEVEL": "DEBUG",  # Dagster logs STEP_SUCCESS (with each step's duration) at debug
    }


def _step_times(log: Path) -> str:
    """Dagster's per-step durations from the run log (`... finished execution of step ... in X`)."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        match = _STEP_DONE.search(line)
        if match:
            found.append(f"{match.group('step')} {match.group('took')}")
    return "; ".join(found)


_STEP_DONE = re.compile(r'Finished execution of step "(?P<step>[^"]+)" in (?P<took>.+?)\.?$')


# Where the full refresh reads Jira: "live" is the demo tracker (in its own process), "recorded" the replay
# of its recorded pages, which takes the generator's cost (~2-3k issues/s on one core) out of the number.
FULL_REFRESH_TRACKER = {"mode": "live"}


@contextmanager
def full_refresh_tracker(size: int, rework: float = 0.0) -> Iterator[Server]:
    """The tracker a full refresh reads; pages with `rework` are always replayed (the live one has none)."""
    if rework or FULL_REFRESH_TRACKER["mode"] == "recorded":
        recorded(size, rework)
        with replay_server(size, rework) as server:
            yield server
    else:
        with demo_server(size) as server:
            yield server


def full_refresh(size: int, rework: float = 0.0) -> tuple[Finished, Path]:
    directory = refresh_dir(size, rework)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log = directory / "full.log"
    with full_refresh_tracker(size, rework) as server:
        say(f"[refresh {size:,}] vsm refresh --full (log {log})")
        run = run_measured(
            [str(env.VENV_BIN / "vsm"), "refresh", "--full", "--as-of", env.AS_OF],
            _refresh_env(size, server.url, rework),
            log,
        )
    if run.returncode != 0:
        raise RuntimeError(f"vsm refresh --full failed at {size:,} issues; see {log}")
    return run, log


def refresh(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 3 (and 4 when asked for in the same run): `vsm refresh --full`, wall time and tree RSS."""
    for size in sizes:
        run, log = full_refresh(size)
        (refresh_dir(size) / "full.json").write_text(json.dumps({"seconds": run.wall_seconds}))
        seconds_target = FULL_REFRESH_TARGET_SECONDS.get(size)
        rss_target = FULL_REFRESH_TARGET_RSS_MIB.get(size)
        yield Measurement(
            "refresh",
            size,
            "full refresh wall time",
            run.wall_seconds,
            "s",
            f"<= {seconds_target}" if seconds_target else "",
            f"{size / run.wall_seconds:,.0f} issues/s end to end, Jira = {FULL_REFRESH_TRACKER['mode']} "
            f"demo tracker; steps: {_step_times(log)}",
        )
        yield Measurement(
            "refresh",
            size,
            "full refresh peak RSS (process tree)",
            run.peak_rss_bytes / MIB,
            "MiB",
            f"<= {rss_target}" if rss_target else "",
            "vsm + dbt subprocesses; the demo tracker runs in its own process, not counted",
        )


def incremental(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 4: after a full refresh, the daily run against an organisation with 1% changed."""
    for size in sizes:
        full_json = refresh_dir(size) / "full.json"
        if not full_json.exists() or not (refresh_dir(size) / "vsm.duckdb").exists():
            run, _ = full_refresh(size)
            full_json.write_text(json.dumps({"seconds": run.wall_seconds}))
        full_seconds = json.loads(full_json.read_text())["seconds"]
        log = refresh_dir(size) / "incremental.log"
        unchanged_log = refresh_dir(size) / "unchanged.log"
        command = [str(env.VENV_BIN / "vsm"), "refresh", "--as-of", env.INCREMENTAL_AS_OF]
        with demo_server(size, env.CHANGED_FRACTION) as server:
            say(f"[incremental {size:,}] vsm refresh with {env.CHANGED_FRACTION:.0%} changed (log {log})")
            run = run_measured(command, _refresh_env(size, server.url), log)
            if run.returncode != 0:
                raise RuntimeError(f"incremental vsm refresh failed at {size:,} issues; see {log}")
            # The floor: the same refresh again at once, on unchanged source data (only the overlap window
            # and the id-only scope listing are read), which is what every step costs regardless of changes.
            say(f"[incremental {size:,}] again, nothing changed since (log {unchanged_log})")
            unchanged = run_measured(command, _refresh_env(size, server.url), unchanged_log)
        if unchanged.returncode != 0:
            raise RuntimeError(f"second incremental refresh failed at {size:,} issues; see {unchanged_log}")
        yield Measurement(
            "incremental",
            size,
            "daily refresh / full refresh (wall time)",
            run.wall_seconds / full_seconds,
            "x",
            f"<= {INCREMENTAL_TARGET}",
            f"incremental {run.wall_seconds:.1f} s vs full {full_seconds:.1f} s; peak RSS "
            f"{run.peak_rss_bytes / MIB:,.0f} MiB; steps: {_step_times(log)}",
        )
        yield Measurement(
            "incremental",
            size,
            "refresh on unchanged source data / full refresh (the floor)",
            unchanged.wall_seconds / full_seconds,
            "x",
            "",
            f"{unchanged.wall_seconds:.1f} s vs full {full_seconds:.1f} s; "
            f"steps: {_step_times(unchanged_log)}",
        )


# ---- dbt build -------------------------------------------------------------------------------------------

# Status changes -> one row per stay in a status, by hand, in one statement on the raw tables: the same
# intervals as the models (spec section 3), so the ratio compares two ways of computing one result, and
# `_hand_query` checks that the rows are the same. Every rule of the spec that decides an interval's bounds
# or state is here: the changes in (changed_at, history id) order; the state before the first change is its
# `from` (even after as-of), entered at creation, and an item without changes is in its current state;
# states named by the status catalog by id; a change before creation takes effect at creation; the last
# change of an instant wins; consecutive stays in one state merge; changes after as-of have not happened.
# One window orders each issue's creation and changes; the creation sorts first, so the window also gives
# the creation time and the first change's `from`. The scope (which issues count) is not an interval rule:
# every recorded issue is in scope, and the row check would show it if one were not.
HAND_INTERVALS_SQL = """
with statuses as (
    select id, arg_max(name, _dlt_load_id) as name from raw_jira.statuses group by id
),
points as (
    select
        issues.id as issue_id,
        0 as point_kind,
        issues.created as changed_at,
        cast(null as bigint) as history_sequence,
        cast(null as varchar) as from_state,
        coalesce(current_status.name, issues.status_name) as state
    from raw_jira.issues as issues
    left join statuses as current_status on issues.status_id = current_status.id
    where issues.created <= $as_of
    union all
    select
        changes.issue_id,
        1,
        changes.created,
        cast(changes.history_id as bigint),
        coalesce(from_status.name, changes.from_string),
        coalesce(to_status.name, changes.to_string)
    from raw_jira.changelog_items as changes
    left join statuses as from_status on changes.from_value = from_status.id
    left join statuses as to_status on changes.to_value = to_status.id
    where changes.field = 'status'
),
points_ordered as (
    select
        issue_id,
        point_kind,
        changed_at,
        first_value(point_kind) over issue_points as first_point_kind,
        first_value(changed_at) over issue_points as created_at,
        case
            when point_kind = 0 and lead(point_kind) over issue_points = 1
                then lead(from_state) over issue_points
            else state
        end as state,
        lead(changed_at) over issue_points as next_changed_at
    from points
    window issue_points as (partition by issue_id order by point_kind, changed_at, history_sequence)
),
instants as (
    select
        issue_id,
        greatest(changed_at, created_at) as entered_at,
        state,
        lag(state) over issue_instants as previous_state,
        row_number() over issue_instants as instant_rank
    from points_ordered
    where
        first_point_kind = 0
        and (point_kind = 0 or changed_at <= $as_of)
        and (
            next_changed_at is null
            or next_changed_at > $as_of
            or greatest(next_changed_at, created_at) > greatest(changed_at, created_at)
        )
    window issue_instants as (partition by issue_id order by greatest(changed_at, created_at))
),
stays as (
    select issue_id, entered_at, state
    from instants
    where instant_rank = 1 or state is distinct from previous_state
)
select
    issue_id,
    state as status,
    entered_at,
    lead(entered_at) over (partition by issue_id order by entered_at) as exited_at
from stays
"""

# Rows in one of the two results and not the other (as multisets): 0 when the hand query and the models
# computed the same intervals.
HAND_ROWS_DIFFERING_SQL = """
with hand as (
    select issue_id as item_id, status as tool_state, entered_at, exited_at from hand_intervals
),
models as (
    select item_id, tool_state, entered_at, exited_at
    from intermediate.int_status_intervals_built
    where source = 'jira'
)
select
    (select count(*) from (select * from hand except all select * from models))
    + (select count(*) from (select * from models except all select * from hand))
"""


def _dbt(arguments: list[str], warehouse: Path, log: Path) -> Finished:
    target = warehouse.parent / "dbt_target"
    command = [
        str(env.VENV_BIN / "dbt"),
        *arguments,
        "--project-dir",
        str(env.PROJECT_ROOT / "dbt_project"),
        "--profiles-dir",
        str(env.PROJECT_ROOT / "dbt_project"),
        "--target-path",
        str(target),
        "--log-path",
        str(warehouse.parent / "dbt_logs"),
    ]
    return run_measured(command, {"VSM_WAREHOUSE": str(warehouse)}, log)


def _node_seconds(warehouse: Path) -> dict[str, float]:
    results = json.loads((warehouse.parent / "dbt_target" / "run_results.json").read_text())
    return {row["unique_id"]: float(row["execution_time"]) for row in results["results"]}


def _relation_of(warehouse: Path, node: str) -> tuple[str, str]:
    """The relation dbt builds for a model, and its materialization."""
    manifest = json.loads((warehouse.parent / "dbt_target" / "manifest.json").read_text())
    model = manifest["nodes"][node]
    return f"{model['schema']}.{model['alias']}", model["config"]["materialized"]


def _evaluate_seconds(warehouse: Path, relation: str) -> float:
    """What a reader pays to get a view's rows: its query, run once into a temp table (2 threads)."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("set threads = 2")
        started = time.perf_counter()
        connection.execute(f"create temp table evaluated as select * from {relation}")
        return time.perf_counter() - started


def _chain_seconds(warehouse: Path, node: str, seconds: dict[str, float]) -> tuple[float, int, str]:
    """dbt's time to produce a model's rows from the raw tables: its ancestor models' node times, plus the
    evaluation of the model itself when it is a view (a view holds a query, not the rows)."""
    models = {n for n in seconds if n.startswith("model.")}
    chain = _ancestors(warehouse, node) & models
    total = sum(seconds[n] for n in chain)
    relation, materialized = _relation_of(warehouse, node)
    note = materialized
    if materialized == "view":
        evaluated = _evaluate_seconds(warehouse, relation)
        total += evaluated
        note = f"view, evaluated in {evaluated:.2f} s"
    return total, len(chain), note


def _ancestors(warehouse: Path, node: str) -> set[str]:
    manifest = json.loads((warehouse.parent / "dbt_target" / "manifest.json").read_text())
    parents = manifest["parent_map"]
    seen: set[str] = set()
    stack = [node]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen | {node}


def build(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 2: `dbt build` without and with tests on a refreshed warehouse, and the hand-written query."""
    for size in sizes:
        published = refresh_dir(size) / "vsm.duckdb"
        if not published.exists():
            run, _ = full_refresh(size)
            (refresh_dir(size) / "full.json").write_text(json.dumps({"seconds": run.wall_seconds}))
        directory = env.WORK_DIR / f"build-{size}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        warehouse = directory / "vsm.duckdb"
        shutil.copy2(published, warehouse)
        variables = json.dumps({"as_of": env.AS_OF.replace("T", " ").rstrip("Z")})
        say(f"[build {size:,}] dbt build --exclude-resource-type test")
        no_tests = _dbt(
            ["build", "--exclude-resource-type", "test", "unit_test", "--vars", variables],
            warehouse,
            directory / "build-no-tests.log",
        )
        if no_tests.returncode != 0:
            raise RuntimeError(f"dbt build failed; see {directory / 'build-no-tests.log'}")
        nodes = _node_seconds(warehouse)
        slowest = sorted(nodes.items(), key=lambda item: -item[1])[:6]
        top = ", ".join(f"{name.split('.')[-1]} {seconds:.1f} s" for name, seconds in slowest)
        yield Measurement(
            "build",
            size,
            "dbt build without tests",
            no_tests.wall_seconds,
            "s",
            details=f"sum of model times {sum(nodes.values()):.1f} s; slowest: {top}; peak RSS "
            f"{no_tests.peak_rss_bytes / MIB:,.0f} MiB",
        )
        say(f"[build {size:,}] dbt build (with data tests, as a refresh runs it)")
        refresh_build = ["build", "--exclude-resource-type", "unit_test", "--vars", variables]
        with_tests = _dbt(refresh_build, warehouse, directory / "build.log")
        tests = {k: v for k, v in _node_seconds(warehouse).items() if k.startswith("test.")}
        slow_tests = sorted(tests.items(), key=lambda item: -item[1])[:3]
        yield Measurement(
            "build",
            size,
            "dbt build with tests",
            with_tests.wall_seconds,
            "s",
            details=f"the refresh's build (unit tests excluded: they run in make test); {len(tests)} data "
            f"tests, {sum(tests.values()):.1f} s in tests; slowest: "
            + ", ".join(f"{name.split('.')[2]} {seconds:.1f} s" for name, seconds in slow_tests)
            + ("" if with_tests.returncode == 0 else f"; exit code {with_tests.returncode} (a test failed)"),
        )
        # The chain alone, one node at a time, as the hand query runs alone: in the full build two dbt threads
        # share the 2 cores, so a node's time there includes waiting for its neighbour. Seeds are out (loaded
        # once whatever the build computes); dbt's start-up (parsing) is out, its per-node cost is in.
        say(f"[build {size:,}] dbt run --select +fct_state_intervals +fct_flow_items --threads 1 (the facts)")
        facts_selection = ["+fct_state_intervals", "+fct_flow_items"]
        alone = _dbt(
            ["run", "--select", *facts_selection, "--threads", "1", "--vars", variables],
            warehouse,
            directory / "chain.log",
        )
        if alone.returncode != 0:
            raise RuntimeError(f"dbt run of the chain failed; see {directory / 'chain.log'}")
        chain_nodes = _node_seconds(warehouse)
        chain_seconds, chain_count, chain_note = _chain_seconds(
            warehouse, "model.vsm.int_status_intervals_built", chain_nodes
        )
        facts_seconds, facts_count, _ = _chain_seconds(
            warehouse, "model.vsm.fct_state_intervals", chain_nodes
        )
        models = {n for n in chain_nodes if n.startswith("model.")}
        facts = models & (
            _ancestors(warehouse, "model.vsm.fct_state_intervals")
            | _ancestors(warehouse, "model.vsm.fct_flow_items")
        )
        slowest_facts = sorted(facts, key=lambda n: -chain_nodes[n])[:4]
        yield Measurement(
            "build",
            size,
            "dbt build time of the two fact tables",
            sum(chain_nodes[n] for n in facts),
            "s",
            f"<= {FACTS_TARGET_SECONDS[size]}" if size in FACTS_TARGET_SECONDS else "",
            f"the {len(facts)} models up to fct_state_intervals and fct_flow_items, run alone with one dbt "
            f"thread (each DuckDB query uses both cores); dbt's start-up and the seeds left out; slowest: "
            + ", ".join(f"{n.split('.')[-1]} {chain_nodes[n]:.1f} s" for n in slowest_facts),
        )
        say(f"[build {size:,}] hand-written intervals query")
        hand = _hand_query(warehouse)
        chain_details = (
            f"the {chain_count} dbt models up to int_status_intervals_built ({chain_note}) "
            f"{chain_seconds:.2f} s ({hand.dbt_rows:,} rows), run alone with one dbt thread"
        )
        yield Measurement(
            "build",
            size,
            "dbt status-interval models / hand-written query",
            chain_seconds / hand.as_built,
            "x",
            # No verdict when the query's rows are not the models': it would not be the baseline.
            f"<= {HAND_QUERY_TARGET[size]}" if size in HAND_QUERY_TARGET and not hand.differing_rows else "",
            f"hand query {hand.as_built:.2f} s ({hand.rows:,} rows, {_sameness(hand)}) written to a "
            f"warehouse table with the build's DuckDB settings (memory limit {hand.memory_limit}, insertion "
            f"order not kept), as the models are, vs {chain_details}; up to the fact fct_state_intervals "
            f"({facts_count} models, adds type and state mapping, resolutions, flag splits, keys) "
            f"{facts_seconds:.2f} s = "
            f"{facts_seconds / hand.as_built:.1f}x",
        )
        yield Measurement(
            "build",
            size,
            "dbt status-interval models / hand-written query in memory",
            chain_seconds / hand.in_memory,
            "x",
            details=f"hand query {hand.in_memory:.2f} s into a temporary (in-memory) table with DuckDB's "
            f"default settings (memory limit 80% of RAM), the baseline of the rounds before the twelfth, vs "
            f"{chain_details}",
        )


def _sameness(hand: HandQuery) -> str:
    if hand.differing_rows == 0:
        return "the same rows as the models"
    return f"NOT the models' rows: {hand.differing_rows:,} rows in one and not the other, so no baseline"


@dataclass(frozen=True)
class HandQuery:
    """Best-of-three times of the hand-written intervals query under two sets of conditions (see below)."""

    as_built: float  # into a warehouse table, with the dbt profile's DuckDB settings
    in_memory: float  # into a temporary table, with DuckDB's defaults
    rows: int
    dbt_rows: int
    differing_rows: int  # rows in one result and not the other: 0 when both computed the same intervals
    memory_limit: str


def _hand_query(warehouse: Path) -> HandQuery:
    """The hand-written intervals query, timed the way the models run and the way DuckDB runs it at best.

    The models write their tables into the warehouse file with the profile's settings (its memory limit, no
    insertion order kept); the baseline the ratio is judged by does the same, so the ratio measures the
    models' layering and dbt, not DuckDB's persistence or its buffer cap. The in-memory time (DuckDB's
    defaults, the baseline before the twelfth round) is reported in a row of its own.
    """
    memory_limit = dbt_memory_limit()
    parameters = {"as_of": env.AS_OF.replace("T", " ").rstrip("Z")}
    timings: dict[str, list[float]] = {"as_built": [], "in_memory": []}
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("set threads = 2")
        for _ in range(3):
            connection.execute(f"set memory_limit = '{memory_limit}'")
            connection.execute("set preserve_insertion_order = false")
            started = time.perf_counter()
            connection.execute(
                "create or replace table main.bench_hand_intervals as" + HAND_INTERVALS_SQL, parameters
            )
            timings["as_built"].append(time.perf_counter() - started)
            connection.execute("reset memory_limit")
            connection.execute("reset preserve_insertion_order")
            started = time.perf_counter()
            connection.execute(
                "create or replace temp table hand_intervals as" + HAND_INTERVALS_SQL, parameters
            )
            timings["in_memory"].append(time.perf_counter() - started)
        rows = connection.execute("select count(*) from hand_intervals").fetchone()[0]  # type: ignore[index]
        dbt_rows = connection.execute(
            "select count(*) from intermediate.int_status_intervals_built where source = 'jira'"
        ).fetchone()[0]  # type: ignore[index]
        differing = connection.execute(HAND_ROWS_DIFFERING_SQL).fetchone()[0]  # type: ignore[index]
        connection.execute("drop table main.bench_hand_intervals")
    return HandQuery(
        min(timings["as_built"]), min(timings["in_memory"]), rows, dbt_rows, differing, memory_limit
    )


def dbt_memory_limit() -> str:
    """DuckDB's memory limit in the dbt build: `VSM_DUCKDB_MEMORY_LIMIT`, else the profile's default."""
    if configured := os.environ.get("VSM_DUCKDB_MEMORY_LIMIT"):
        return configured
    profile = (env.PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text()
    found = re.search(r"env_var\('VSM_DUCKDB_MEMORY_LIMIT', '([^']+)'\)", profile)
    if found is None:
        raise RuntimeError("dbt_project/profiles.yml sets no default VSM_DUCKDB_MEMORY_LIMIT for DuckDB")
    return found.group(1)


# ---- BI queries ------------------------------------------------------------------------------------------


def _mart_queries(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """One typical dashboard query per mart: one value stream, one grain, the last 12 periods."""
    columns: dict[str, set[str]] = {}
    for table, column in connection.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    queries = {}
    for table, names in sorted(columns.items()):
        if table.startswith("int_"):
            continue
        if {"value_stream", "period_grain", "period_start"} <= names:
            queries[table] = (
                f"select * from marts.{table} where value_stream = $vs and period_grain = 'week' "
                f"and period_start in (select distinct period_start from marts.{table} "
                f"where value_stream = $vs and period_grain = 'week' order by period_start desc limit 12) "
                f"order by period_start"
            )
        elif table == "fct_state_intervals" and "value_stream" in names:
            queries[table] = (
                "select tool_state, count(*) as stays, sum(epoch(coalesce(exited_at, $as_of) - entered_at)) "
                "/ 86400 as days from marts.fct_state_intervals where value_stream = $vs "
                "and entered_at >= $as_of - interval 84 day group by tool_state order by days desc"
            )
        elif "value_stream" in names:
            queries[table] = f"select * from marts.{table} where value_stream = $vs limit 500"
        else:
            queries[table] = f"select * from marts.{table} limit 500"
    return queries


def queries(sizes: list[int]) -> Iterator[Measurement]:
    """Scenario 5: p50/p95 latency of each mart's typical query, warehouse opened read-only."""
    for size in sizes:
        published = refresh_dir(size) / "vsm.duckdb"
        if not published.exists():
            run, _ = full_refresh(size)
            (refresh_dir(size) / "full.json").write_text(json.dumps({"seconds": run.wall_seconds}))
        started = time.perf_counter()
        connection = duckdb.connect(str(published), read_only=True)
        opened = time.perf_counter() - started
        try:
            value_stream = connection.execute(
                "select value_stream from marts.fct_flow_items group by 1 order by count(*) desc limit 1"
            ).fetchone()[0]  # type: ignore[index]
            as_of = datetime.fromisoformat(env.AS_OF.replace("Z", "+00:00")).replace(tzinfo=None)
            for table, sql in _mart_queries(connection).items():
                parameters = {k: v for k, v in {"vs": value_stream, "as_of": as_of}.items() if f"${k}" in sql}
                latencies = []
                rows = 0
                for _ in range(QUERY_RUNS + 1):
                    begun = time.perf_counter()
                    rows = len(connection.execute(sql, parameters).fetchall())
                    latencies.append((time.perf_counter() - begun) * 1000)
                first, warm = latencies[0], sorted(latencies[1:])
                p50 = statistics.median(warm)
                p95 = warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))]
                yield Measurement(
                    "queries",
                    size,
                    f"{table} p95",
                    p95,
                    "ms",
                    f"<= {QUERY_TARGET_MS}",
                    f"p50 {p50:.1f} ms, first run {first:.1f} ms, {rows} rows, value stream {value_stream}",
                )
        finally:
            connection.close()
        yield Measurement("queries", size, "open read-only connection", opened * 1000, "ms")


SCENARIOS = {
    "ingest": ingest,
    "history": history,
    "refresh": refresh,
    "incremental": incremental,
    "build": build,
    "queries": queries,
}
ORDER = ("ingest", "history", "refresh", "incremental", "build", "queries")


def cpu_count() -> int:
    return os.cpu_count() or 1
