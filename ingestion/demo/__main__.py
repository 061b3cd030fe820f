"""Serve the demo organisation until Ctrl-C: `python -m ingestion.demo --issues 5000 --seed 7 --port 8080`."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from .generator import DemoOrganisation
from .server import DEMO_API_TOKEN, DEMO_EMAIL, DemoTracker


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ingestion.demo", description=__doc__)
    parser.add_argument("--issues", type=int, default=5000, help="issues to generate (default 5000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--utc-offset-minutes", type=int, default=0, help="offset of served timestamps")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Start the tracker and block; the printed URL and credentials are what SOURCES__JIRA__* take."""
    args = _arguments(argv)
    org = DemoOrganisation(seed=args.seed, issues=args.issues, utc_offset_minutes=args.utc_offset_minutes)
    with DemoTracker(org, port=args.port, flavor=args.flavor) as tracker:
        print(f"Demo tracker ({args.flavor}) serving {org.issues} issues at {tracker.url}", flush=True)
        print(f"  email:     {DEMO_EMAIL}", flush=True)
        print(f"  api token: {DEMO_API_TOKEN}", flush=True)
        print(f"  GitHub {tracker.github_repository} at {tracker.github_url}", flush=True)
        print(f"  GitLab {tracker.gitlab_project} at {tracker.gitlab_url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopped", flush=True)


if __name__ == "__main__":
    main()
