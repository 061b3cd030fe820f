"""Serve a demo organisation in its own process: `python -m bench.demo_server ISSUES [CHANGED_FRACTION]`.

Prints `URL http://127.0.0.1:<port>` once listening. The benchmarks point the Jira source (or `vsm
refresh`, through `SOURCES__JIRA__*`) at it, so the generator never shares the measured process's GIL.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime

from ingestion.demo import DemoOrganisation, DemoTracker

from .env import ANCHOR, SEED


def main(issues: int, changed_fraction: float) -> None:
    org = DemoOrganisation(
        seed=SEED,
        issues=issues,
        anchor=datetime.fromisoformat(ANCHOR),
        changed_fraction=changed_fraction,
        cache_size=4096,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with DemoTracker(org) as tracker:
        print(f"URL {tracker.url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
