"""A refresh whose process was killed is failed, so the one-writer run queue does not wait for it for ever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    asset,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from orchestration.liveness import WORKER_TAG, fail_runs_of_dead_workers, this_worker, worker_is_gone
from orchestration.resources import WarehouseResource
from orchestration.schedules import WRITES_WAREHOUSE_TAG


def _ended_process() -> str:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:"


def _started_run(instance, worker_of: str | None = None, process: str | None = None) -> str:
    """A STARTED warehouse-writing run whose tag names `process`, as recorded by run `worker_of` (itself by
    default; another run id is a tag inherited from a parent run)."""
    run_id = str(uuid.uuid4())
    recorded = this_worker(run_id) if process is None else f"{worker_of or run_id}|{process}"
    instance.add_run(
        DagsterRun(
            job_name="refresh_warehouse",
            run_id=run_id,
            status=DagsterRunStatus.STARTED,
            tags={**WRITES_WAREHOUSE_TAG, WORKER_TAG: recorded},
        )
    )
    return run_id


def _status(instance, run_id: str) -> DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def test_the_sensor_fails_a_started_refresh_whose_process_ended_and_leaves_a_live_one() -> None:
    with instance_for_test() as instance:
        killed = _started_run(instance, process=_ended_process())
        running = _started_run(instance)
        fail_runs_of_dead_workers(build_sensor_context(instance=instance))
        assert _status(instance, killed) == DagsterRunStatus.FAILURE
        assert _status(instance, running) == DagsterRunStatus.STARTED
        (failure,) = instance.all_logs(killed, of_type=DagsterEventType.RUN_FAILURE)
        message = failure.dagster_event.message
    assert "ended without finishing it" in message
    assert "Nothing it built was published" in message


def test_a_retry_carrying_its_dead_parents_process_is_not_failed() -> None:
    """A retry inherits its parent's tags, the dead process's among them, until it records its own."""
    with instance_for_test() as instance:
        retry = _started_run(instance, worker_of=str(uuid.uuid4()), process=_ended_process())
        fail_runs_of_dead_workers(build_sensor_context(instance=instance))
        assert _status(instance, retry) == DagsterRunStatus.STARTED


def test_a_pid_reused_by_a_later_process_is_not_the_runs_process() -> None:
    """The run recorded its process's start time; a live process with that pid but another start is not it."""
    host, pid, start = this_worker("run").split("|")[1].split(":")
    assert start, "Linux /proc gives the start time"
    assert worker_is_gone(f"{host}:{pid}:{int(start) - 1}")
    assert not worker_is_gone(f"{host}:{pid}:{start}")


def test_a_process_of_another_host_is_not_judged() -> None:
    assert not worker_is_gone(f"not-{socket.gethostname()}:{os.getpid() + 1_000_000}:1")


def test_a_run_writing_the_warehouse_records_its_process(tmp_path: Path) -> None:
    @asset
    def writes(warehouse: WarehouseResource) -> None:
        return None

    with instance_for_test() as instance:
        resource = WarehouseResource(path=str(tmp_path / "vsm.duckdb"))
        result = materialize([writes], instance=instance, resources={"warehouse": resource})
        assert instance.get_run_by_id(result.run_id).tags[WORKER_TAG] == this_worker(result.run_id)
