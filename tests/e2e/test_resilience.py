"""What a daily unattended refresh survives: concurrent refreshes, BI readers, and kill -9 at any stage.

Every scenario ends with marts identical, row for row, to one clean refresh of the same input and as-of.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from .helpers import AS_OF, snapshot, vsm, vsm_environment


def start_refresh(warehouse: Path, storage: Path, *args: str) -> subprocess.Popen[str]:
    """A `vsm refresh` in its own process group, so a kill reaches the dbt subprocess too."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "vsm"), "refresh", "--as-of", AS_OF, *args],
        env=vsm_environment(warehouse, storage),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill_when_output_contains(process: subprocess.Popen[str], marker: str, timeout: float = 600) -> str:
    """Read the refresh's output until `marker` shows, then SIGKILL its whole process group."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            return "".join(seen)
        if time.monotonic() > deadline:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    pytest.fail(f"never saw {marker!r} before the refresh ended:\n{''.join(seen)[-3000:]}")


@pytest.fixture(scope="module")
def clean(refreshed) -> dict[str, list[tuple]]:
    warehouse, _, _ = refreshed
    return snapshot(warehouse)


def test_two_refreshes_started_together_leave_the_warehouse_as_one_refresh_does(
    tmp_path: Path, clean
) -> None:
    warehouse, storage = tmp_path / "vsm.duckdb", tmp_path / "dagster"
    first, second = start_refresh(warehouse, storage), start_refresh(warehouse, storage)
    outputs = [process.communicate(timeout=900)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert snapshot(warehouse) == clean


def test_a_bi_reader_holding_the_warehouse_open_sees_the_old_state_until_it_reconnects(
    tmp_path: Path, refreshed, clean
) -> None:
    source, _, _ = refreshed
    warehouse, storage = tmp_path / "vsm.duckdb", tmp_path / "dagster"
    warehouse.write_bytes(source.read_bytes())
    reader = duckdb.connect(str(warehouse), read_only=True)
    before = reader.execute("select count(*), sum(completed) from marts.metrics_flow_velocity").fetchone()
    observed: list[tuple] = []
    stop = threading.Event()

    def read_while_refreshing() -> None:
        while not stop.is_set():
            observed.append(
                reader.execute("select count(*), sum(completed) from marts.metrics_flow_velocity").fetchone()
            )
            time.sleep(0.2)

    thread = threading.Thread(target=read_while_refreshing)
    thread.start()
    try:
        result = vsm("refresh", "--as-of", "2026-07-15T00:00:00Z", warehouse=warehouse, storage=storage)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert observed
    assert set(observed) == {before}  # never a half-built state, and never blocked
    reader.close()
    with duckdb.connect(str(warehouse), read_only=True) as fresh:
        days = fresh.execute(
            "select max(period_start) from marts.metrics_flow_load where period_grain = 'day'"
        )
        assert str(days.fetchone()[0]) == "2026-07-15"


@pytest.mark.parametrize(
    ("stage", "marker"),
    [
        ("ingestion", "Extract raw_jira"),
        ("dbt build", "START sql table model marts.fct_state_intervals"),
        ("checks", "START test"),
    ],
)
def test_a_refresh_killed_during_any_stage_is_repaired_by_the_next_one(
    tmp_path: Path, refreshed, clean, stage: str, marker: str
) -> None:
    source, _, _ = refreshed
    warehouse, storage = tmp_path / "vsm.duckdb", tmp_path / "dagster"
    warehouse.write_bytes(source.read_bytes())
    published_before = warehouse.read_bytes()
    kill_when_output_contains(start_refresh(warehouse, storage), marker)
    assert warehouse.read_bytes() == published_before, (
        f"a kill during {stage} touched the published warehouse"
    )
    result = vsm("refresh", "--as-of", AS_OF, warehouse=warehouse, storage=storage)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert snapshot(warehouse) == clean
    leftovers = list((warehouse.parent / f".{warehouse.name}.refresh").iterdir())
    assert not leftovers, "working copies of killed runs are cleaned up"
