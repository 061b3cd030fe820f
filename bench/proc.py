"""Child processes the benchmarks measure: peak RSS of the whole process tree, and clean shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from .env import PROJECT_ROOT, WORK_DIR


class RssSampler:
    """Samples the summed RSS of a process and all its descendants every `interval` seconds.

    Polling misses spikes shorter than the interval; the measured process also reports its own
    `ru_maxrss` (exact, one process) where it can.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)


@dataclass
class Finished:
    """A measured child: its wall time, peak tree RSS, exit code and (for tasks) its JSON result."""

    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    result: dict[str, Any]


def run_measured(
    command: Sequence[str], env: Mapping[str, str] | None = None, log: Path | None = None
) -> Finished:
    """Run `command`, sampling its tree's RSS; stdout/stderr go to `log` (and stderr is echoed live)."""
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    out = log.open("w") if log else None
    try:
        process = subprocess.Popen(
            list(command), cwd=PROJECT_ROOT, env=full_env, stdout=out or None, stderr=subprocess.STDOUT
        )
        with RssSampler(process.pid) as sampler:
            returncode = process.wait()
    finally:
        if out:
            out.close()
    return Finished(time.perf_counter() - started, sampler.peak, returncode, {})


def run_task(
    name: str, arguments: Mapping[str, Any], label: str, env: Mapping[str, str] | None = None
) -> Finished:
    """Run `bench.tasks.<name>(**arguments)` in a fresh interpreter so its RSS is its own."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    result_path = WORK_DIR / f"result-{label}.json"
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.tasks", name, json.dumps(dict(arguments)), str(result_path)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})})
    with RssSampler(process.pid) as sampler:
        returncode = process.wait()
    wall = time.perf_counter() - started
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    if returncode != 0:
        raise RuntimeError(f"benchmark task {name} ({label}) failed with exit code {returncode}")
    return Finished(wall, sampler.peak, returncode, result)


class Server:
    """A helper server in its own process (so it does not share the measured process's GIL or RSS).

    The command prints `URL <url>` on its first line once it listens on 127.0.0.1; stop() ends it.
    """

    def __init__(self, command: Sequence[str], log: Path) -> None:
        self.command = list(command)
        self.log = log
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._err = self.log.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=self._err, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("URL "):
            self.stop()
            raise RuntimeError(f"{' '.join(self.command)} did not start: {line!r}; see {self.log}")
        self.url = line.split(" ", 1)[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self._err.close()
