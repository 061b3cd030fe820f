"""Runs whose process died (SIGKILL, out of memory, a reboot) are failed, so they stop holding the queue.

Dagster marks a run failed when its process reports the failure. A process killed outright reports nothing:
its run stays STARTED for good, and with the queue's one-writer limit (dagster.yaml) every later scheduled
refresh waits behind it. Each run that writes the warehouse records the process it runs in (`WORKER_TAG`), and
a sensor fails the runs whose process is gone.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from .failures import published_before_failing
from .schedules import WRITES_WAREHOUSE_TAG

# `run_id|host:pid:start` of the process a run writes the warehouse from; `start` is the process's start time
# in clock ticks since boot (Linux `/proc/<pid>/stat`), so a pid reused by a later process is not the run's.
# The run id, because a retry (or a re-execution) inherits its parent's tags: until the retry records its own
# process, the parent's dead one must not make it look dead.
WORKER_TAG = "vsm/worker"


def _start_ticks(pid: int) -> str:
    """The process's start time since boot, or "" where `/proc` does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the parenthesised command name


def this_worker(run_id: str) -> str:
    pid = os.getpid()
    return f"{run_id}|{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def worker_is_gone(worker: str) -> bool:
    """Whether the process a run recorded (`host:pid:start`) has ended. Only this host's can be judged."""
    host, _, rest = worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a live process of another user
    return bool(start) and _start_ticks(pid) not in ("", start)


def fail_runs_of_gone_workers(instance) -> list[str]:
    """Fails every STARTED warehouse-writing run whose process has ended; returns their run ids."""
    failed = []
    runs = instance.get_runs(
        filters=RunsFilter(statuses=[DagsterRunStatus.STARTED], tags=WRITES_WAREHOUSE_TAG)
    )
    for run in runs:
        recorded_by, _, worker = run.tags.get(WORKER_TAG, "").partition("|")
        if recorded_by != run.run_id or not worker_is_gone(worker):
            continue  # a live process, another host's, or a retry that has not recorded its own yet
        materialized = instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        if published_before_failing(entry.dagster_event for entry in materialized):
            left = "It had published the warehouse; the steps after that did not finish."
        else:
            left = "Nothing it built was published; the next refresh starts from the published warehouse."
        instance.report_run_failed(
            run,
            message=f"The process of this run ({worker}) ended without finishing it (killed, out of memory "
            f"or the machine restarted). {left}",
        )
        failed.append(run.run_id)
    return failed


@sensor(
    name="fail_runs_of_dead_workers",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Fails a refresh whose process was killed, so the run queue does not wait for it for ever.",
)
def fail_runs_of_dead_workers(context: SensorEvaluationContext) -> SkipReason:
    failed = fail_runs_of_gone_workers(context.instance)
    return SkipReason(f"failed runs of ended processes: {', '.join(failed)}" if failed else "no run to fail")
