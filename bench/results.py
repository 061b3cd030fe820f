"""Measurements, their targets and verdicts, kept in `bench/results.json` and rendered to RESULTS.md.

Results merge by (scenario, size, metric), so a later run of one scenario or size (the opt-in 1M run)
updates its rows and keeps the rest; each row carries its own date and machine load. The store is tracked
with RESULTS.md: a run on a new machine or in a fresh clone updates the rows it measures and keeps the others.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import env

STORE_PATH = env.BENCH_DIR / "results.json"

_OPERATORS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}


@dataclass
class Measurement:
    scenario: str
    size: int
    metric: str
    value: float
    unit: str
    target: str = ""  # ">= 5000", "<= 0.10" or "" (reported, no target)
    details: str = ""
    load: tuple[float, float, float] = field(default_factory=env.load_average)
    measured_at: str = field(default_factory=env.now_iso)

    @property
    def key(self) -> tuple[str, int, str]:
        return self.scenario, self.size, self.metric

    def verdict(self) -> tuple[str, str]:
        """PASS or MISS, and by how much (relative to the target)."""
        if not self.target:
            return "", ""
        symbol, _, bound_text = self.target.partition(" ")
        bound = float(bound_text)
        met = _OPERATORS[symbol](self.value, bound)
        if bound == 0:
            return ("PASS" if met else "MISS"), ""
        ratio = self.value / bound
        if symbol == ">=":
            needed = 1 / max(ratio, 1e-9)
            margin = f"{ratio - 1:+.0%}" if met else f"{1 - ratio:.0%} short (x{needed:.1f} needed)"
        else:
            margin = f"{1 - ratio:.0%} under" if met else f"{ratio - 1:.0%} over (x{ratio:.1f})"
        return ("PASS" if met else "MISS"), margin


def load_store(path: Path = STORE_PATH) -> dict[tuple[str, int, str], Measurement]:
    if not path.exists():
        return {}
    rows = [Measurement(**{**row, "load": tuple(row["load"])}) for row in json.loads(path.read_text())]
    return {row.key: row for row in rows}


def save_store(rows: dict[tuple[str, int, str], Measurement], path: Path = STORE_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(row) for row in rows.values()], indent=1))


def format_value(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:,.2f}x" if value < 10 else f"{value:,.0f}x"
    if unit == "%":
        return f"{value:.1%}"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if unit in {"s", "ms"}:
        return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{value:,.0f} {unit}"


SCENARIO_TITLES = {
    "ingest": "1. Ingest throughput of the Jira source",
    "history": "1b. Ingest at issue 3's workload: ~12 status changes per issue",
    "build": "2. dbt build time (facts and marts)",
    "refresh": "3. Full refresh end to end (`vsm refresh --full`)",
    "incremental": "4. Daily refresh with 1% of issues changed",
    "queries": "5. Typical BI queries on the refreshed warehouse (read-only)",
}


def render(rows: dict[tuple[str, int, str], Measurement], extra: dict[str, Any]) -> str:
    """The whole RESULTS.md: machine, versions, one table per scenario, then the notes."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand — the analysis lives in "
        "`bench/notes.md` and is copied in below. Every row carries the date it was measured and the "
        "machine's load average (1/5/15 min) at that moment: on this 2-core machine a load above ~2 means "
        "other work competed for the CPU and the wall-clock numbers are pessimistic.",
        "",
        f"Rendered {env.now_iso()}.",
        "",
        "## Machine and software",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in {**env.machine(), **env.versions()}.items()]
    for name, value in extra.items():
        lines.append(f"| {name} | {value} |")
    for scenario, title in SCENARIO_TITLES.items():
        chosen = sorted((row for row in rows.values() if row.scenario == scenario), key=lambda r: r.size)
        if not chosen:
            continue
        lines += [
            "",
            f"## {title}",
            "",
            "| issues | measurement | value | target | verdict | margin | load 1/5/15 | measured | details |",
            "|---:|---|---:|---|---|---|---|---|---|",
        ]
        for row in chosen:
            verdict, margin = row.verdict()
            verdict_cell = f"**{verdict}**" if verdict == "MISS" else verdict
            load = "/".join(f"{value:.1f}" for value in row.load)
            lines.append(
                f"| {row.size:,} | {row.metric} | {format_value(row.value, row.unit)} | {row.target} | "
                f"{verdict_cell} | {margin} | {load} | {row.measured_at} | {row.details} |"
            )
    if env.NOTES_PATH.exists():
        lines += ["", env.NOTES_PATH.read_text().rstrip()]
    return "\n".join(lines) + "\n"
